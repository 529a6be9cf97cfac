"""When validation is due and when training must stop, derived from the config and the progress."""

from __future__ import annotations

import math

from schemas.config import TrainerConfig
from states.progress import RunProgress
from states.run import Run

__all__ = ["accumulation", "max_epochs", "minimums_met", "should_continue", "stop_reached",
           "val_pending", "validates_this_epoch"]


def validates_this_epoch(config: TrainerConfig, progress: RunProgress, has_val: bool) -> bool:
    """Whether the current epoch has validation checks at all."""
    return has_val and (progress.epoch + 1) % config.check_val_every_n_epoch == 0


def checks_due(run: Run) -> int:
    """How many validation checks the epoch should have completed at its current position.

    Mid-epoch checks follow every ``val_check_batch`` batches except the last; one more
    follows the end of the epoch.
    """
    progress, train = run.state.progress, run.data.train
    if not validates_this_epoch(run.config, progress, run.data.val.enabled):
        return 0
    assert train is not None
    every = train.val_check_batch
    last_mid: float
    if progress.epoch_finished:
        last_mid = progress.batch_idx - 1
    else:
        last_mid = min(progress.batch_idx, train.num_batches - 1)
    mid = int(last_mid // every) if every != math.inf and last_mid > 0 else 0
    return mid + int(progress.epoch_finished)


def val_pending(run: Run) -> bool:
    """Whether a validation check is due now and has not run."""
    return run.state.progress.val_checks_in_epoch < checks_due(run)


def max_epochs(config: TrainerConfig) -> int:
    """The epochs a fit may run (one with ``fast_dev_run``)."""
    return 1 if config.fast_dev_run else config.max_epochs


def minimums_met(config: TrainerConfig, progress: RunProgress) -> bool:
    """Whether min_epochs and min_steps allow stopping now."""
    steps_ok = config.min_steps is None or progress.global_step >= config.min_steps
    return progress.epochs_completed >= config.min_epochs and steps_ok


def stop_reached(config: TrainerConfig, progress: RunProgress) -> bool:
    """``max_steps`` reached, or a stop was requested and the minimums are met."""
    if config.max_steps is not None and progress.global_step >= config.max_steps:
        return True
    return progress.stop_requested and minimums_met(config, progress)


def should_continue(config: TrainerConfig, progress: RunProgress) -> bool:
    """Go back to ``train_epoch``: to finish the epoch in progress, or for another one."""
    if not progress.epoch_finished:
        return not (stop_reached(config, progress) and progress.batch_idx == 0)
    return not stop_reached(config, progress) and progress.epoch + 1 < max_epochs(config)


def accumulation(config: TrainerConfig, epoch: int) -> int:
    """The gradient accumulation factor in force at ``epoch`` (counted from 0)."""
    factor = config.accumulate_grad_batches
    if isinstance(factor, int):
        return factor
    current = 1
    for start in sorted(factor):
        if epoch >= start:
            current = factor[start]
    return current
