"""The batch loop inside ``train_epoch``, and the end of an epoch.

Per batch the loop compares counters set up once per pass: the position against the next event
(the last batch, a validation check), the optimizer step against the next log row or
``max_steps``; everything else is skipped.
"""

from __future__ import annotations

import math

from states.data import TrainData
from states.hook_table import Hook
from states.reporting import agree_on_step_metrics, agree_on_stop, log_epoch_end, log_step_row
from states.run import Run
from states.schedule import minimums_met, val_pending, validates_this_epoch

__all__ = ["finish_epoch", "train_batches"]


class _StepEvents:
    """When an optimizer step is due a log row, and whether it reached ``max_steps``."""

    def __init__(self, run: Run) -> None:
        config = run.config
        self.run = run
        self.intervals = (config.row_log_interval, config.log_save_interval)
        self.max_steps = config.max_steps if config.max_steps is not None else math.inf
        self.next_row = _next_multiple(run.state.progress.global_step, self.intervals)
        self.next = min(self.next_row, self.max_steps)  # the step of the next event

    def reached(self, step: int) -> bool:
        """Write the row due at ``step``; whether ``max_steps`` is reached."""
        if step >= self.next_row:
            log_step_row(self.run)
            self.next_row = _next_multiple(step, self.intervals)
        self.next = min(self.next_row, self.max_steps)
        return step >= self.max_steps


def train_batches(run: Run, train: TrainData) -> str:
    """Train on the epoch's batches until it ends, a validation is due or a stop is reached."""
    progress, step, config = run.state.progress, run.data.step, run.config
    assert step is not None and train.iterator is not None
    train_on = step.__call__  # bound once: calling the instance would look __call__ up per batch
    batch_start = run.hooks.caller(Hook.ON_BATCH_START)
    batch_end = run.hooks.caller(Hook.ON_BATCH_END)
    events = _StepEvents(run)
    val_every = train.val_check_batch \
        if validates_this_epoch(config, progress, run.data.val.enabled) else math.inf
    next_check = _next_multiple(progress.batch_idx, (val_every,))
    count, ahead, interrupt = train.num_batches, train.lookahead, run.interrupt
    for batch in train.iterator:
        batch_idx = progress.batch_idx
        if batch_start is not None and batch_start(batch) == -1:
            break
        position = batch_idx + 1
        is_last = position >= count or (ahead is not None and ahead.last)
        train_on(batch, batch_idx, is_last)
        progress.batch_idx = position
        progress.total_batch_idx += 1
        at_max = events.reached(progress.global_step) if progress.global_step >= events.next \
            else False
        if batch_end is not None:
            batch_end()
        if interrupt is not None and interrupt.requested:
            interrupt.save_and_raise()
        if is_last or at_max or (progress.stop_requested and minimums_met(config, progress)):
            break
        if position >= next_check:
            next_check += val_every
            if val_pending(run):
                return "validate"
    return finish_epoch(run, train)


def _next_multiple(value: int, intervals: tuple[float, ...]) -> float:
    """The smallest multiple of any of ``intervals`` above ``value`` (inf for inf)."""
    return min((value // every + 1) * every if every != math.inf else math.inf
               for every in intervals)


def finish_epoch(run: Run, train: TrainData) -> str:
    """Epoch-end hooks, then the epoch-end validation if one is due."""
    step, progress = run.data.step, run.state.progress
    assert step is not None
    train.close()
    step.end_epoch()
    progress.epoch_finished = True
    if run.hooks.module_hook(Hook.TRAINING_EPOCH_END) is not None:
        returned = run.hooks.call(Hook.TRAINING_EPOCH_END, run.state.outputs.take())
        output = run.validator("epoch_end", Hook.TRAINING_EPOCH_END, returned, progress.epoch,
                               None)
        log_epoch_end(run, output)
    agree_on_step_metrics(run)
    run.hooks.call(Hook.ON_EPOCH_END)
    agree_on_stop(run)
    return "validate" if val_pending(run) else "epoch_done"
