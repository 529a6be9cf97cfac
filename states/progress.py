"""Run progress: where a run is, as one plain object that serializes to a checkpoint."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import asdict, dataclass, fields
from typing import Any

__all__ = ["RunProgress"]


@dataclass
class RunProgress:
    """Epoch, optimizer steps and the position inside the epoch.

    ``batch_idx`` counts the batches of the current epoch already consumed; a mid-epoch
    validation and a mid-epoch resume both continue from it. ``epoch_finished`` is set
    once every batch of ``epoch`` ran and its epoch-end hooks were called.
    ``val_checks_in_epoch`` counts the validations completed in the epoch: whether one is due
    is derived from it and the position. ``data_seed`` seeds every epoch's batch order.
    ``total_batch_idx`` counts every training batch of the run (0.8's counter).
    ``accumulate_grad_batches`` is the factor set for this epoch by a callback (0.8's
    ``GradientAccumulationScheduler`` sets ``trainer.accumulate_grad_batches``); None: the
    config's. ``epoch_schedulers_stepped``: the epoch-interval schedulers took the finished
    epoch's step. Fields added after format version 1 began load with their defaults.
    """

    epoch: int = 0
    global_step: int = 0
    batch_idx: int = 0
    epoch_finished: bool = False
    val_checks_in_epoch: int = 0
    stop_requested: bool = False
    data_seed: int | None = None
    total_batch_idx: int = 0
    accumulate_grad_batches: int | None = None
    epoch_schedulers_stepped: bool = False

    def start_next_epoch(self) -> None:
        """Move to the first batch of the next epoch."""
        self.epoch += 1
        self.batch_idx = 0
        self.epoch_finished = False
        self.val_checks_in_epoch = 0
        self.accumulate_grad_batches = None
        self.epoch_schedulers_stepped = False

    @property
    def epochs_completed(self) -> int:
        """Epochs whose every batch has run."""
        return self.epoch + int(self.epoch_finished)

    def state_dict(self) -> dict[str, Any]:
        """Plain data for a checkpoint."""
        return asdict(self)

    def load_state_dict(self, state: Mapping[str, Any]) -> None:
        """Take the position ``state_dict`` gave, in place (every holder sees it)."""
        for item in fields(self):
            setattr(self, item.name, state.get(item.name, item.default))
