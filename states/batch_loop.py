"""The batch loop inside ``train_epoch``, and the end of an epoch.

Per batch the loop compares counters set up once per pass: the position against the next event
(the last batch, a validation check), the optimizer step against the next log row or
``max_steps``; everything else is skipped.
"""

from __future__ import annotations

import math

from states.data import TrainData
from states.hook_table import Hook
from states.hooks import timed
from states.optim import step_schedulers
from states.reporting import agree_on_step_metrics, agree_on_stop, log_epoch_end, log_step_row
from states.run import Run
from states.schedule import minimums_met, val_pending, validates_this_epoch

__all__ = ["end_epoch_schedulers", "finish_epoch", "train_batches"]


class _BatchEvents:
    """When a batch is due a log row or a logger flush.

    As in 0.8.5, a row is due at every batch whose index in the epoch is a multiple of
    ``row_log_interval`` (the first batch included), and the loggers flush after every
    ``log_save_interval`` batches. Under gradient accumulation a due row waits for the batch
    that completes the optimizer step, so every row has the index of a step taken (0.8.5 writes
    one per batch, several at one index, and a resume could not tell them apart).
    """

    def __init__(self, run: Run, batch_idx: int, factor: int) -> None:
        config = run.config
        self.run, self.progress = run, run.state.progress
        self.rows, self.saves = config.row_log_interval, config.log_save_interval
        window = batch_idx - batch_idx % factor  # the first batch of the step in progress
        self.next_row = -(-window // self.rows) * self.rows  # first multiple >= window
        self.next_save = -(-(batch_idx + 1) // self.saves) * self.saves - 1
        self.next = min(self.next_row, self.next_save)  # the batch of the next event

    def at(self, batch_idx: int, step_index: int) -> None:
        """Write the row due (once the step ``step_index`` is taken); flush when due."""
        if batch_idx >= self.next_row and self.progress.global_step > step_index:
            log_step_row(self.run, step_index)
            self.next_row = (batch_idx // self.rows + 1) * self.rows
        if batch_idx >= self.next_save:
            self.run.loggers.save()
            self.next_save += self.saves
        self.next = min(self.next_row, self.next_save)


def train_batches(run: Run, train: TrainData) -> str:
    """Train on the epoch's batches until it ends, a validation is due or a stop is reached."""
    progress, step, config = run.state.progress, run.data.step, run.config
    assert step is not None and train.iterator is not None
    train_on = step.__call__  # bound once: calling the instance would look __call__ up per batch
    if run.hooks.profiler is not None:
        train_on = timed(run.hooks.profiler, "run_training_batch", train_on)
    batch_start = run.hooks.caller(Hook.ON_BATCH_START)
    batch_end = run.hooks.caller(Hook.ON_BATCH_END)
    events = _BatchEvents(run, progress.batch_idx, step.factor)
    max_steps = config.max_steps if config.max_steps is not None else math.inf
    val_every = train.val_check_batch \
        if validates_this_epoch(config, progress, run.data.val.enabled) else math.inf
    next_check = _next_multiple(progress.batch_idx, (val_every,))
    count, ahead, interrupt, data = train.num_batches, train.lookahead, run.interrupt, run.data
    for batch in train.iterator:
        data.batch_idx = batch_idx = progress.batch_idx
        if batch_start is not None and batch_start(batch) == -1:
            break
        position = batch_idx + 1
        is_last = position >= count or (ahead is not None and ahead.last)
        step_index = progress.global_step  # the optimizer step this batch belongs to
        train_on(batch, batch_idx, is_last)
        progress.batch_idx = position
        progress.total_batch_idx += 1
        if batch_idx >= events.next:
            events.at(batch_idx, step_index)
        at_max = progress.global_step >= max_steps
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
    if val_pending(run):
        return "validate"
    end_epoch_schedulers(run)
    return "epoch_done"


def end_epoch_schedulers(run: Run) -> None:
    """Step the epoch-interval schedulers once the epoch and its last validation are done,
    once per epoch (as 0.8.5, after every epoch: the last one too)."""
    progress, schedulers = run.state.progress, run.state.optimization.schedulers
    if not progress.epoch_finished or progress.epoch_schedulers_stepped or val_pending(run):
        return
    progress.epoch_schedulers_stepped = True
    if schedulers:
        step_schedulers(schedulers, "epoch", progress.epoch + 1,
                        run.state.metrics.callback_metrics)
