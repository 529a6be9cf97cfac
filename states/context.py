"""Everything the runners of one run share, passed explicitly (no globals)."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any, Literal, Protocol

from backends.base import Backend
from schemas.config import TrainerConfig
from schemas.outputs import OutputValidator
from states.data import EvalData, TrainData
from states.hooks import HookDispatcher
from states.metrics import MetricStore
from states.optim import SchedulerConfig
from states.progress import RunProgress

__all__ = ["LogSink", "RunContext"]


class LogSink(Protocol):
    """Where metric rows go: the trainer's loggers, behind one object."""

    def log_metrics(self, metrics: dict[str, float], step: int) -> None: ...
    def save(self) -> None: ...
    def finalize(self, status: str) -> None: ...


@dataclass
class RunContext:
    """The state of one ``fit`` or ``test`` call, as the runners see it."""

    mode: Literal["fit", "test"]
    trainer: Any
    module: Any
    config: TrainerConfig
    backend: Backend
    hooks: HookDispatcher
    loggers: LogSink
    progress: RunProgress
    metrics: MetricStore
    validator: OutputValidator
    loader_overrides: dict[str, Any] = field(default_factory=dict)
    restore: Callable[[RunContext], None] | None = None
    optimizers: list[Any] = field(default_factory=list)
    schedulers: list[SchedulerConfig] = field(default_factory=list)
    train: TrainData | None = None
    val: EvalData = field(default_factory=EvalData)
    test: EvalData = field(default_factory=EvalData)
    test_results: list[dict[str, float]] = field(default_factory=list)
    training_started: bool = False
    batch_runner: Any = None
    resumed_state: str | None = None
    val_start_rng: dict[str, Any] | None = None
    interrupt: Any = None
    pending_outputs: list[Any] = field(default_factory=list)

    # facts asked by the transition conditions (states.table.CONDITIONS)
    def fitting(self) -> bool:
        return self.mode == "fit"

    def testing(self) -> bool:
        return self.mode == "test"

    def sanity_check_due(self) -> bool:
        if self.config.fast_dev_run or self.config.num_sanity_val_steps == 0:
            return False
        return self.fitting() and self.val.enabled

    def resuming_in_val_check(self) -> bool:
        return self.resumed_state == "val_check"

    def should_continue(self) -> bool:
        """Go back to ``train_epoch``: to finish the epoch in progress, or for another one."""
        progress = self.progress
        if not progress.epoch_finished:
            return not (self.stop_reached() and progress.batch_idx == 0)
        return not self.stop_reached() and progress.epoch + 1 < self.max_epochs

    def stop_reached(self) -> bool:
        """``max_steps`` reached, or a stop was requested and the minimums are met."""
        progress, config = self.progress, self.config
        if config.max_steps is not None and progress.global_step >= config.max_steps:
            return True
        return progress.stop_requested and self.minimums_met()

    def minimums_met(self) -> bool:
        """Whether min_epochs and min_steps allow stopping now."""
        progress, config = self.progress, self.config
        steps_ok = config.min_steps is None or progress.global_step >= config.min_steps
        return progress.epochs_completed >= config.min_epochs and steps_ok

    @property
    def max_epochs(self) -> int:
        return 1 if self.config.fast_dev_run else self.config.max_epochs

    def accumulation(self, epoch: int) -> int:
        """The gradient accumulation factor in force at ``epoch`` (counted from 0)."""
        factor = self.config.accumulate_grad_batches
        if isinstance(factor, int):
            return factor
        current = 1
        for start in sorted(factor):
            if epoch >= start:
                current = factor[start]
        return current
