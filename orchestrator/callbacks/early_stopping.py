"""EarlyStopping: stop training when a monitored metric stops improving."""

from __future__ import annotations

from typing import Any

from loguru import logger

from orchestrator.callbacks.base import Callback
from orchestrator.callbacks.monitor import improves, read_monitored, resolve_mode

__all__ = ["EarlyStopping"]


class EarlyStopping(Callback):
    """Request a stop after ``patience`` checks without an improvement of ``min_delta``.

    Checked after every validation; in epochs without validation, at the epoch's end
    against the training metrics. ``min_epochs`` and ``min_steps`` still apply.

    Args:
        monitor: the metric to watch (a key of ``trainer.callback_metrics``).
        min_delta: the smallest change that counts as an improvement.
        patience: checks without improvement before stopping.
        verbose: log each decision.
        mode: 'min', 'max', or 'auto' (max for names containing 'acc').
        strict: a missing metric is an error (True) or is skipped with a warning.

    Raises:
        MonitorKeyError: ``strict`` and the metric is missing; names the metrics that exist.

    Example:
        >>> trainer = Trainer(early_stop_callback=EarlyStopping(monitor="val_loss", patience=2))
    """

    def __init__(self, monitor: str = "val_loss", min_delta: float = 0.0, patience: int = 3,
                 verbose: bool = False, mode: str = "auto", strict: bool = True) -> None:
        self.monitor = monitor
        self.min_delta = abs(min_delta)
        self.patience = patience
        self.verbose = verbose
        self.mode = resolve_mode("EarlyStopping", monitor, mode)
        self.strict = strict
        self.wait_count = 0
        self.stopped_epoch = 0
        self.best_score: float | None = None

    def on_validation_end(self, trainer: Any, pl_module: Any) -> None:
        self._check(trainer)

    def on_epoch_end(self, trainer: Any, pl_module: Any) -> None:
        if not trainer.validates_at_epoch_end:
            self._check(trainer)

    def _check(self, trainer: Any) -> None:
        current = read_monitored("EarlyStopping", self.monitor, trainer.callback_metrics,
                                 self.strict)
        if current is None:
            logger.warning("EarlyStopping: metric {m} not found; not checking", m=self.monitor)
            return
        if improves(current, self.best_score, self.mode, self.min_delta):
            self.best_score, self.wait_count = current, 0
            return
        self.wait_count += 1
        if self.wait_count >= self.patience:
            self.stopped_epoch = trainer.current_epoch
            trainer.should_stop = True
            if self.verbose:
                logger.info("EarlyStopping: {m} did not improve for {n} checks; stopping",
                            m=self.monitor, n=self.wait_count)

    def state_dict(self) -> dict[str, Any]:
        """What a checkpoint keeps of the callback (0.8.5's keys)."""
        return {"wait_count": self.wait_count, "stopped_epoch": self.stopped_epoch,
                "best_score": self.best_score, "patience": self.patience}

    def load_state_dict(self, state_dict: dict[str, Any]) -> None:
        """Take back what ``state_dict`` gave; ``patience`` stays as constructed."""
        self.wait_count = state_dict["wait_count"]
        self.stopped_epoch = state_dict["stopped_epoch"]
        self.best_score = state_dict["best_score"]

    @property
    def state_key(self) -> str:
        """"EarlyStopping" for subclasses too: a subclass resumes from its parent's state (0.8.5
        restored the Trainer's one early stopping callback whatever its class)."""
        return "EarlyStopping"

    def on_save_checkpoint(self, trainer: Any, pl_module: Any) -> dict[str, Any]:
        return self.state_dict()

    def on_load_checkpoint(self, checkpointed_state: dict[str, Any]) -> None:
        self.load_state_dict(checkpointed_state)
