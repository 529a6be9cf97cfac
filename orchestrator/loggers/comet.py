"""CometLogger on the ``comet_ml`` package (``pip install 'orchestrator[comet]'``), as
Lightning 0.8.5 offered it: online with an ``api_key``, else offline with a ``save_dir`` (an
``OfflineExperiment``: one ``<experiment key>.zip`` there, which ``comet upload`` sends later)."""

from __future__ import annotations

import io
import os
from typing import Any

from orchestrator.loggers.base import (
    LightningLoggerBase,
    backend_module,
    flattened,
    hparams_as_dict,
)
from schemas.errors import MisconfigurationError

__all__ = ["CometLogger"]


def _comet() -> Any:
    return backend_module("CometLogger", "comet_ml", "comet")


class CometLogger(LightningLoggerBase):
    """Logs to a Comet experiment.

    Args:
        api_key: Comet's API key: the run goes online. Without one, ``save_dir`` is needed.
        save_dir: where an offline run writes its archive (used when ``api_key`` is None).
        workspace: the Comet workspace.
        project_name: the Comet project.
        rest_api_key: a REST API key: ``logger.comet_api`` is then a ``comet_ml.API``.
        experiment_name: the experiment's name.
        experiment_key: an online experiment to continue (``ExistingExperiment``).
        lifecycle: the lifecycle diagram as images (``lifecycle``, Graphics tab) and its
            Mermaid text (Text tab), at the state change's number as step: None (the default)
            on a budget of 2% of the run's time, True at each state entered, False never.
        **kwargs: passed on to the experiment (``log_code=False``, ``log_env_details=False``...).

    Raises:
        MisconfigurationError: neither ``api_key`` nor ``save_dir`` was given.

    Example:
        >>> logger = CometLogger(save_dir="comet", project_name="mnist")  # offline
        >>> Trainer(logger=logger).fit(model)
        >>> logger.version  # the experiment key: comet/<key>.zip
    """

    def __init__(self, api_key: str | None = None, save_dir: str | None = None,
                 workspace: str | None = None, project_name: str | None = None,
                 rest_api_key: str | None = None, experiment_name: str | None = None,
                 experiment_key: str | None = None, lifecycle: bool | None = None,
                 **kwargs: Any) -> None:
        comet_ml = _comet()  # fails at once without comet_ml
        if api_key is None and save_dir is None:
            raise MisconfigurationError(
                "CometLogger needs api_key (to log online) or save_dir (to log offline), and "
                "got neither: pass CometLogger(save_dir='comet_logs') to keep the run in a "
                "local archive, or your Comet API key")
        self.mode = "online" if api_key is not None else "offline"
        self.api_key = api_key
        self._save_dir = None if save_dir is None else os.fspath(save_dir)
        self.workspace = workspace
        self.project_name = project_name
        self.experiment_name = experiment_name
        self._experiment_key = experiment_key
        self.lifecycle = lifecycle
        self._kwargs = kwargs
        self._experiment: Any = None
        self.comet_api = comet_ml.API(rest_api_key) if rest_api_key is not None else None

    def __getstate__(self) -> dict[str, Any]:
        """Without the open experiment (a copy in another process opens its own)."""
        return {**self.__dict__, "_experiment": None, "comet_api": None}

    @property
    def experiment(self) -> Any:
        """The Comet experiment (made on first use; after ``finalize``, a new one)."""
        if self._experiment is None:
            self._experiment = self._new_experiment(_comet())
            if self.experiment_name is not None:
                self._experiment.set_name(self.experiment_name)
        return self._experiment

    def _new_experiment(self, comet_ml: Any) -> Any:
        where = {"workspace": self.workspace, "project_name": self.project_name,
                 **self._kwargs}
        if self.mode == "offline":
            os.makedirs(str(self._save_dir), exist_ok=True)
            return comet_ml.OfflineExperiment(offline_directory=self._save_dir, **where)
        if self._experiment_key is not None:
            return comet_ml.ExistingExperiment(api_key=self.api_key,
                                               previous_experiment=self._experiment_key,
                                               **where)
        made = comet_ml.Experiment(api_key=self.api_key, **where)
        self._experiment_key = made.get_key()
        return made

    @property
    def save_dir(self) -> str | None:
        return self._save_dir

    @property
    def name(self) -> str:
        return str(self.experiment.project_name)

    @property
    def version(self) -> str:
        return str(self.experiment.id)

    def log_hyperparams(self, params: Any) -> None:
        self.experiment.log_parameters(flattened(hparams_as_dict(params)))

    def log_metrics(self, metrics: dict[str, float], step: int | None = None) -> None:
        values = {key: float(value) for key, value in metrics.items()}
        self.experiment.log_metrics(values, step=step)

    def log_lifecycle(self, image: bytes | None, mermaid: str, step: int) -> None:
        if image is not None:
            self.experiment.log_image(io.BytesIO(image), name="lifecycle", step=step)
        self.experiment.log_text(mermaid, step=step, metadata={"name": "lifecycle/mermaid"})

    def finalize(self, status: str) -> None:
        if self._experiment is not None:
            self._experiment.end()
        self._experiment = None
