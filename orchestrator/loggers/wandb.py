"""WandbLogger on the ``wandb`` package (``pip install 'orchestrator[wandb]'``), with Lightning
0.8.5's arguments: online, or with ``offline=True`` a run kept under
``<save_dir>/wandb/offline-run-*`` that ``wandb sync`` uploads later."""

from __future__ import annotations

import importlib
import io
import os
import threading
import uuid
from typing import Any

from orchestrator.loggers.base import (
    LightningLoggerBase,
    backend_module,
    flattened,
    hparams_as_dict,
)

__all__ = ["WandbLogger"]

STEP_KEY = "global_step"  # the trainer's step, in each row (as 0.8.5) and the charts' x-axis
PICTURE_STEP_KEY = "lifecycle/state_change"  # the x-axis of the lifecycle images


def _wandb() -> Any:
    """The ``wandb`` module: imported on first use (not with ``orchestrator``), or what
    ``mock.patch('orchestrator.loggers.wandb.wandb')`` put in its place."""
    return globals().get("wandb") or backend_module("WandbLogger", "wandb", "wandb")


def __getattr__(name: str) -> Any:
    if name == "wandb":  # the attribute 0.8 code's tests patch: None without wandb, as 0.8.5
        try:
            return importlib.import_module("wandb")
        except ImportError:
            return None
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")


def _config_value(value: Any) -> Any:
    """A hyperparameter as W&B's config keeps it: None as 'None' (as 0.8.5), other values
    that are not numbers, text or lists as their text."""
    if isinstance(value, bool | int | float | str | list | tuple):
        return value
    return str(value)


def _new_id() -> str:
    return uuid.uuid4().hex[:8]  # W&B's form: 8 of [0-9a-z]


class WandbLogger(LightningLoggerBase):
    """Logs to a Weights & Biases run.

    Args:
        name: the run's display name.
        save_dir: the folder the run's files go under (``<save_dir>/wandb``; None: wandb's).
        offline: keep the run on this machine (``wandb sync`` uploads it later).
        id: the run's id, to resume a run (``resume='allow'``); ``version`` is the same.
        anonymous: accepted for 0.8 code; W&B no longer has anonymous runs.
        version: the run's id (takes precedence over ``id``).
        project: the W&B project.
        tags: tags of the run.
        log_model: checkpoints are saved in the run's files (W&B uploads them with the run).
        experiment: a ``wandb`` run to log to instead of starting one.
        entity: the W&B team or user.
        group: the group of the run.
        lifecycle: the lifecycle diagram as images in the run (``lifecycle``) and its Mermaid
            text as the run's file ``lifecycle.mmd``: None (the default) on a budget of 2% of
            the run's time, True at each state entered, False never.
        **kwargs: passed on to ``wandb.init`` (``job_type``, ``notes``, ``settings``, ...).

    Example:
        >>> logger = WandbLogger(project="mnist", offline=True, save_dir="runs")
        >>> logger.watch(model)  # gradients every 100 steps
        >>> Trainer(logger=logger).fit(model)
        >>> # wandb sync runs/wandb/offline-run-*  uploads it later
    """

    def __init__(self, name: str | None = None, save_dir: str | None = None,
                 offline: bool = False, id: str | None = None, anonymous: bool = False,
                 version: str | None = None, project: str | None = None,
                 tags: list[str] | None = None, log_model: bool = False,
                 experiment: Any = None, entity: str | None = None, group: str | None = None,
                 lifecycle: bool | None = None, **kwargs: Any) -> None:
        _wandb()  # fails at once without wandb
        del anonymous  # W&B has no anonymous runs any more: accepted for 0.8 code only
        self._name = name
        self._save_dir = None if save_dir is None else os.fspath(save_dir)
        self._offline = offline
        # an id from the start: every copy (a DDP process's) logs to the same run, and the
        # caller knows it without starting one
        self._id = version or id or (experiment.id if experiment is not None else _new_id())
        self._project = project
        self._tags = tags
        self._log_model = log_model
        self._entity = entity
        self._group = group
        self.lifecycle = lifecycle
        self._kwargs = kwargs
        self._experiment = experiment
        self._owns_run = experiment is None  # a run given is the caller's to finish
        self._lock = threading.Lock()  # rows from the trainer and the pictures' thread

    def __getstate__(self) -> dict[str, Any]:
        """Without the run (a copy in another process logs to the same id)."""
        return {**self.__dict__, "_experiment": None, "_lock": None}

    def __setstate__(self, state: dict[str, Any]) -> None:
        self.__dict__.update(state, _lock=threading.Lock())

    @property
    def experiment(self) -> Any:
        """The ``wandb`` run (started on first use)."""
        if self._experiment is None:
            self._experiment = self._start(_wandb())
        return self._experiment

    def _start(self, wandb: Any) -> Any:
        if self._save_dir is not None:
            os.makedirs(self._save_dir, exist_ok=True)
        run = wandb.init(name=self._name, dir=self._save_dir, project=self._project,
                         id=self._id, resume="allow", tags=self._tags, entity=self._entity,
                         group=self._group, mode="offline" if self._offline else None,
                         **self._kwargs)
        if hasattr(run, "define_metric"):  # wandb >= 0.10.22 (a run of 0.8.5's time has none)
            run.define_metric(STEP_KEY)
            run.define_metric("*", step_metric=STEP_KEY)
            run.define_metric(PICTURE_STEP_KEY)
            run.define_metric("lifecycle", step_metric=PICTURE_STEP_KEY)
        return run

    def watch(self, model: Any, log: str = "gradients", log_freq: int = 100) -> None:
        """Let W&B log the model's gradients (``'parameters'``, ``'all'``) every ``log_freq``
        steps."""
        self.experiment.watch(model, log=log, log_freq=log_freq)

    @property
    def save_dir(self) -> str | None:
        """The run's files folder with ``log_model`` (checkpoints go there), else ``save_dir``."""
        return str(self.experiment.dir) if self._log_model else self._save_dir

    @property
    def name(self) -> str:
        """The run's project (W&B chooses one when none was given: the run is started)."""
        if self._experiment is None and self._project is not None:
            return self._project
        run = self.experiment
        named = getattr(run, "project_name", None)  # the wandb of 0.8.5's time: a method
        return str(named() if callable(named) else run.project)

    @property
    def version(self) -> str:
        """The run's id (given, or made when the logger was)."""
        return str(self._id)

    def log_hyperparams(self, params: Any) -> None:
        flat = {key: _config_value(value)
                for key, value in flattened(hparams_as_dict(params)).items()}
        self.experiment.config.update(flat, allow_val_change=True)

    def log_metrics(self, metrics: dict[str, float], step: int | None = None) -> None:
        row = {key: float(value) for key, value in metrics.items()}
        if step is not None:
            row[STEP_KEY] = step
        with self._lock:
            self.experiment.log(row)

    def finalize(self, status: str) -> None:
        """Finish the run (failed unless ``status`` is 'success'): its records are on disk
        before a DDP process exits; a later ``test`` resumes the same id."""
        if self._experiment is not None and self._owns_run:
            self._experiment.finish(exit_code=0 if status == "success" else 1)
            self._experiment = None

    def log_lifecycle(self, image: bytes | None, mermaid: str, step: int) -> None:
        """The diagram as an image row (x-axis ``lifecycle/state_change``) and its Mermaid text
        as the run's file ``lifecycle.mmd`` (the latest is kept)."""
        run = self.experiment
        with open(os.path.join(run.dir, "lifecycle.mmd"), "w", encoding="utf-8") as text:
            text.write(mermaid)
        if image is None:
            return
        from PIL import Image

        picture = _wandb().Image(Image.open(io.BytesIO(image)), caption="lifecycle")
        with self._lock:
            run.log({"lifecycle": picture, PICTURE_STEP_KEY: step})
