"""When validation is due and when training must stop, derived from the run progress alone."""

from __future__ import annotations

import math

from states.context import RunContext

__all__ = ["val_pending", "validates_this_epoch"]


def validates_this_epoch(ctx: RunContext) -> bool:
    """Whether the current epoch has validation checks at all."""
    every = ctx.config.check_val_every_n_epoch
    return ctx.val.enabled and (ctx.progress.epoch + 1) % every == 0


def checks_due(ctx: RunContext) -> int:
    """How many validation checks the epoch should have completed at its current position.

    Mid-epoch checks follow every ``val_check_batch`` batches except the last; one more
    follows the end of the epoch.
    """
    if not validates_this_epoch(ctx):
        return 0
    progress, train = ctx.progress, ctx.train
    assert train is not None
    every = train.val_check_batch
    last_mid: float
    if progress.epoch_finished:
        last_mid = progress.batch_idx - 1
    else:
        last_mid = min(progress.batch_idx, train.num_batches - 1)
    mid = int(last_mid // every) if every != math.inf and last_mid > 0 else 0
    return mid + int(progress.epoch_finished)


def val_pending(ctx: RunContext) -> bool:
    """Whether a validation check is due now and has not run."""
    return ctx.progress.val_checks_in_epoch < checks_due(ctx)

