"""MLFlowLogger on mlflow's own client (``pip install 'orchestrator[mlflow]'``).

Lightning 0.8.5 wrote to a file store (``file:./mlruns``); MLflow 3 keeps that store in
maintenance mode and refuses it unless told otherwise, so without a ``tracking_uri`` the runs
go to a SQLite store in ``save_dir`` (``save_dir/mlflow.db``), which every MLflow reader and
``mlflow ui --backend-store-uri sqlite:///...`` opens.
"""

from __future__ import annotations

import os
import tempfile
import time
from pathlib import Path
from typing import Any

from orchestrator.loggers.base import LightningLoggerBase, backend_module, hparams_as_dict

__all__ = ["MLFlowLogger"]

_STATUS = {"success": "FINISHED", "failed": "FAILED", "aborted": "KILLED"}


def _client(tracking_uri: str) -> Any:
    tracking = backend_module("MLFlowLogger", "mlflow.tracking", "mlflow",
                              what=" (mlflow-skinny with SQLAlchemy)")
    return tracking.MlflowClient(tracking_uri=tracking_uri)


class MLFlowLogger(LightningLoggerBase):
    """Metrics, parameters and tags of one MLflow run.

    Args:
        experiment_name: the MLflow experiment (made when missing).
        tracking_uri: where runs are kept (``sqlite:///...``, ``http://host:5000``, ...);
            None: ``sqlite:///<save_dir>/mlflow.db``.
        tags: tags of the run.
        save_dir: the folder of the default store.
        lifecycle: the run's latest lifecycle diagram as artifacts ``lifecycle/``: None (the
            default) on a budget of 2% of the run's time, True at each state entered, False
            never.

    Example:
        >>> logger = MLFlowLogger("digits", save_dir="runs/mlflow")
        >>> Trainer(logger=logger).fit(model)
        >>> logger.experiment.get_metric_history(logger.run_id, "val_loss")
    """

    def __init__(self, experiment_name: str = "default", tracking_uri: str | None = None,
                 tags: dict[str, Any] | None = None, save_dir: str | None = "./mlruns",
                 lifecycle: bool | None = None) -> None:
        self.lifecycle = lifecycle  # the lifecycle diagram as artifacts: None budgeted
        self._experiment_name = experiment_name
        self._save_dir = os.path.abspath(save_dir) if save_dir else None
        if tracking_uri is None:
            folder = self._save_dir or os.path.abspath("./mlruns")
            os.makedirs(folder, exist_ok=True)
            tracking_uri = f"sqlite:///{os.path.join(folder, 'mlflow.db')}"
        self.tracking_uri = tracking_uri
        self.tags = dict(tags or {})
        self._client_: Any = _client(tracking_uri)  # fails at once without mlflow
        self._run_id: str | None = None
        self._experiment_id: str | None = None
        self._rows: list[Any] = []  # mlflow Metric entities, sent in one batch at save()

    def __getstate__(self) -> dict[str, Any]:
        """Without the client (a copy in another process makes its own) and unsent rows."""
        return {**self.__dict__, "_client_": None, "_rows": []}

    @property
    def experiment(self) -> Any:
        """The ``MlflowClient`` (0.8.5's ``logger.experiment``)."""
        if self._client_ is None:
            self._client_ = _client(self.tracking_uri)
        return self._client_

    @property
    def experiment_id(self) -> str:
        if self._experiment_id is None:
            found = self.experiment.get_experiment_by_name(self._experiment_name)
            artifacts = None if self._save_dir is None else \
                Path(self._save_dir, "artifacts").as_uri()  # beside the store, not in the cwd
            self._experiment_id = found.experiment_id if found is not None else \
                self.experiment.create_experiment(self._experiment_name,
                                                  artifact_location=artifacts)
        return self._experiment_id

    @property
    def run_id(self) -> str:
        if self._run_id is None:
            run = self.experiment.create_run(self.experiment_id,
                                             tags={k: str(v) for k, v in self.tags.items()})
            self._run_id = run.info.run_id
        return self._run_id

    @property
    def name(self) -> str:
        return self.experiment_id

    @property
    def version(self) -> str:
        return self.run_id

    @property
    def save_dir(self) -> str | None:
        return self._save_dir

    def log_hyperparams(self, params: Any, metrics: dict[str, Any] | None = None) -> None:
        from mlflow.entities import Param

        values = hparams_as_dict(params)
        self.experiment.log_batch(self.run_id, params=[Param(k, str(v)[:6000])
                                                       for k, v in values.items()])
        if metrics:
            self.log_metrics(metrics, step=0)

    def log_metrics(self, metrics: dict[str, float], step: int | None = None) -> None:
        from mlflow.entities import Metric

        stamp = int(time.time() * 1000)
        self._rows += [Metric(key, float(value), stamp, step or 0)
                       for key, value in metrics.items()]

    def save(self) -> None:
        """Send the kept rows in batches (one store transaction each)."""
        rows, self._rows = self._rows, []
        for start in range(0, len(rows), 1000):  # MLflow takes at most 1000 metrics a batch
            self.experiment.log_batch(self.run_id, metrics=rows[start:start + 1000])

    def write_pending(self) -> None:
        self.save()

    def log_lifecycle(self, image: bytes | None, mermaid: str, step: int) -> None:
        """The diagram as the run's artifacts ``lifecycle/lifecycle.png`` and
        ``lifecycle/lifecycle.mmd``, replaced at each state change (the latest is kept)."""
        with tempfile.TemporaryDirectory(prefix="orchestrator-lifecycle-") as folder:
            files = {"lifecycle.mmd": mermaid.encode()}
            if image is not None:
                files["lifecycle.png"] = image
            for name, data in files.items():
                Path(folder, name).write_bytes(data)
            self.experiment.log_artifacts(self.run_id, folder, artifact_path="lifecycle")

    def finalize(self, status: str) -> None:
        self.save()
        self.experiment.set_terminated(self.run_id, _STATUS.get(status, "FINISHED"))

    def state_dict(self) -> dict[str, Any]:
        return {"name": self.experiment_id, "version": self.run_id}

    def load_state_dict(self, state: dict[str, Any]) -> None:
        """Continue the run a checkpoint names (in the same experiment, no run made yet)."""
        if self._run_id is None and state.get("name") == self.experiment_id:
            self._run_id = str(state["version"])
