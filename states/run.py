"""One run: what it is given (fixed when it starts), the state it changes, and its data.

``Run`` is frozen: the runners change the run only through its parts (``state``, ``data``),
never by rebinding a field. ``RunState`` is what a Trainer's runs share and checkpoints hold;
``RunData`` is what one run builds for itself (its loaders, its training step).
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from typing import Any, Literal, Protocol

from torch import nn

from backends.base import Backend
from schemas.config import TrainerConfig
from schemas.outputs import OutputValidator
from states.data import EvalData, TrainData
from states.epoch_outputs import EpochOutputs
from states.hooks import HookDispatcher
from states.lifecycle import Lifecycle
from states.metrics import MetricStore
from states.optim import Optimization
from states.progress import RunProgress
from states.rng import GeneratorStates

__all__ = ["BatchTrainer", "InterruptRequest", "LogSink", "Mode", "Run", "RunData", "RunState"]

Mode = Literal["fit", "test"]


class LogSink(Protocol):
    """Where metric rows go: the trainer's loggers, behind one object."""

    def log_metrics(self, metrics: dict[str, float], step: int) -> None: ...
    def save(self) -> None: ...
    def finalize(self, status: str) -> None: ...


class InterruptRequest(Protocol):
    """A stop asked for by a signal; the batch loop honours it at a batch boundary."""

    requested: bool

    def save_and_raise(self) -> None: ...

    def end_before_training(self) -> None: ...


class BatchTrainer(Protocol):
    """The training step of a run (``states.step.TrainingStep``), as the batch loop calls it."""

    factor: int  # batches per optimizer step in this epoch

    def __call__(self, batch: Any, batch_idx: int, is_last: bool) -> None: ...
    def start_epoch(self, epoch: int) -> None: ...
    def end_epoch(self) -> None: ...


@dataclass
class RunState:
    """What a Trainer's runs change; each part saves and loads its own state (see
    ``orchestrator.checkpoint_state`` for the list of parts a checkpoint holds)."""

    progress: RunProgress = field(default_factory=RunProgress)
    metrics: MetricStore = field(default_factory=MetricStore)
    optimization: Optimization = field(default_factory=Optimization)
    outputs: EpochOutputs = field(default_factory=EpochOutputs)
    generators: GeneratorStates = field(default_factory=GeneratorStates)


@dataclass
class RunData:
    """What one run builds: its loaders (in ``dataloaders``), its training step (at the first
    ``train_epoch``), a test's results, and the state a resumed checkpoint was saved in."""

    train: TrainData | None = None
    val: EvalData = field(default_factory=EvalData)
    test: EvalData = field(default_factory=EvalData)
    step: BatchTrainer | None = None
    test_results: list[dict[str, float]] = field(default_factory=list)
    resumed_in: str | None = None
    batch_idx: int | None = None  # the training batch running or last run (trainer.batch_idx)


@dataclass(frozen=True)
class Run:
    """A ``fit`` or ``test`` as the runners see it. ``restore`` puts a checkpoint back into the
    run (called in ``dataloaders``); ``interrupt`` is the signal handler's request."""

    mode: Mode
    module: nn.Module
    config: TrainerConfig
    backend: Backend
    hooks: HookDispatcher
    loggers: LogSink
    validator: OutputValidator
    lifecycle: Lifecycle
    state: RunState
    data: RunData = field(default_factory=RunData)
    loader_overrides: Mapping[str, Any] = field(default_factory=dict)
    restore: Callable[[Run], None] | None = None
    interrupt: InterruptRequest | None = None
