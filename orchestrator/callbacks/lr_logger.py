"""LearningRateLogger: log the learning rate of every scheduler, by step or by epoch."""

from __future__ import annotations

import warnings
from collections.abc import Mapping, Sequence
from typing import Any

from orchestrator.callbacks.base import Callback
from schemas.errors import MisconfigurationError
from schemas.outputs import describe_value

__all__ = ["LearningRateLogger"]

# (logged name, optimizer) of the schedulers of one interval
_Tracked = list[tuple[str, Any]]


class LearningRateLogger(Callback):
    """Logs each scheduler's learning rate through ``trainer.logger.log_metrics``.

    A scheduler with ``interval='step'`` is logged before every training batch, one with
    ``interval='epoch'`` at the start of every epoch, both at ``step=trainer.global_step``.
    A scheduler is named ``lr-<optimizer class>`` (``lr-Adam``); further schedulers of the
    same optimizer class get ``-1``, ``-2`` (``lr-Adam-1``); an optimizer with several
    parameter groups gets one name per group (``lr-Adam/pg1``, ``lr-Adam/pg2``). A
    ``'name'`` in the scheduler dict replaces the automatic name.

    Attributes:
        lrs: every logged value, by name (filled from the start of training).
        lr_sch_names: the name of each scheduler, in the order of ``trainer.lr_schedulers``.

    Raises:
        MisconfigurationError: at the start of training, when the Trainer has no logger
            (``logger=False``; with ``fast_dev_run`` the values are only kept in ``lrs``).

    Example:
        >>> trainer = Trainer(callbacks=[LearningRateLogger()])
        >>> trainer.fit(model)  # configure_optimizers returns ([Adam], [StepLR])
        >>> trainer.callbacks[-1].lrs["lr-Adam"][:2]
        [0.001, 0.001]
    """

    def __init__(self) -> None:
        self.lrs: dict[str, list[float]] = {}
        self.lr_sch_names: list[str] = []
        self._tracked: dict[str, _Tracked] = {"step": [], "epoch": []}

    def on_train_start(self, trainer: Any, pl_module: Any) -> None:
        """Name the schedulers and start their lists of values."""
        # fast_dev_run runs without a logger on purpose: the values are kept in ``lrs``
        if trainer.logger is None and trainer.is_global_zero and not trainer.fast_dev_run:
            raise MisconfigurationError(
                "LearningRateLogger needs a logger to write to, and the Trainer has none "
                "(logger=False): pass Trainer(logger=True) or a logger such as "
                "TensorBoardLogger(save_dir), or remove LearningRateLogger from callbacks"
            )
        schedulers = trainer.lr_schedulers
        if not schedulers and trainer.is_global_zero:
            warnings.warn(
                "LearningRateLogger has nothing to log: configure_optimizers returned no "
                "learning-rate schedulers; return ([optimizer], [scheduler]) from it, or "
                "remove LearningRateLogger from callbacks", RuntimeWarning, stacklevel=2)
        self.lr_sch_names = _scheduler_names(schedulers)
        self._tracked = {"step": [], "epoch": []}
        self.lrs = {}
        for name, config in zip(self.lr_sch_names, schedulers):
            optimizer = config["scheduler"].optimizer
            self._tracked[config["interval"]].append((name, optimizer))
            self.lrs.update({key: [] for key in _group_names(name, len(optimizer.param_groups))})

    def on_batch_start(self, trainer: Any, pl_module: Any) -> None:
        if self._tracked["step"]:
            self._log(trainer, self._tracked["step"])

    def on_epoch_start(self, trainer: Any, pl_module: Any) -> None:
        if self._tracked["epoch"]:
            self._log(trainer, self._tracked["epoch"])

    def _log(self, trainer: Any, tracked: _Tracked) -> None:
        latest: dict[str, float] = {}
        for name, optimizer in tracked:
            groups = optimizer.param_groups
            for key, group in zip(_group_names(name, len(groups)), groups):
                value = float(group["lr"])
                self.lrs.setdefault(key, []).append(value)
                latest[key] = value
        if trainer.logger is not None:
            trainer.logger.log_metrics(latest, step=trainer.global_step)


def _scheduler_names(schedulers: Sequence[Mapping[str, Any]]) -> list[str]:
    """One name per scheduler: its ``'name'``, else ``lr-<optimizer class>`` made unique
    with ``-1``, ``-2``."""
    names: list[str] = []
    for config in schedulers:
        scheduler = config["scheduler"]
        if not hasattr(scheduler, "optimizer"):
            raise MisconfigurationError(
                f"LearningRateLogger reads the learning rate through scheduler.optimizer, and "
                f"the scheduler {describe_value(scheduler)} has no attribute 'optimizer': give "
                "it one (as torch.optim.lr_scheduler's do), or remove LearningRateLogger"
            )
        name = config.get("name")
        if name is None:
            base = f"lr-{type(scheduler.optimizer).__name__}"
            name, suffix = base, 1
            while name in names:
                name, suffix = f"{base}-{suffix}", suffix + 1
        names.append(str(name))
    return names


def _group_names(name: str, groups: int) -> list[str]:
    """``name`` for one parameter group, ``name/pg1``, ``name/pg2``, ... for several."""
    return [name] if groups == 1 else [f"{name}/pg{i + 1}" for i in range(groups)]
