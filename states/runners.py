"""One runner per lifecycle state: it does the state's work and returns the next trigger."""

from __future__ import annotations

import math
from collections.abc import Callable, Iterator
from typing import Any

import torch
from torch.utils.data import DataLoader, IterableDataset

from schemas.errors import MisconfigurationError
from states.context import RunContext
from states.data import EvalData, TrainData, batch_count, validate_loaders
from states.epoch_data import open_epoch, shard, with_sampler
from states.evaluation import run_evaluation
from states.hooks import overrides
from states.metrics import to_floats
from states.optim import parse_optimizers, step_schedulers
from states.reporting import (
    agree_on_step_metrics,
    agreed,
    log_epoch_end,
    log_step_row,
    test_results,
)
from states.rng import mix_seed, rng_state
from states.schedule import val_pending, validates_this_epoch
from states.training import BatchRunner

__all__ = ["RUNNERS"]

Runner = Callable[[RunContext], str]


def run_init(ctx: RunContext) -> str:
    """Check the module has what the run needs, and place it on the backend's device."""
    required = ("training_step", "configure_optimizers") if ctx.fitting() else ("test_step",)
    missing = [name for name in required if not overrides(ctx.module, name)]
    if ctx.fitting() and "train_dataloader" not in ctx.loader_overrides \
            and not overrides(ctx.module, "train_dataloader"):
        missing.append("train_dataloader (or pass train_dataloader= to fit)")
    if missing:
        raise MisconfigurationError(
            f"{type(ctx.module).__name__} cannot {ctx.mode}: it does not define "
            + ", ".join(missing)
        )
    ctx.backend.setup(ctx.module)
    if ctx.fitting():
        ctx.hooks.callbacks_only("on_fit_start")
    return "prepared"


def run_prepare_data(ctx: RunContext) -> str:
    """Call ``prepare_data`` once per node, then wait for every process."""
    if ctx.backend.local_rank == 0:
        ctx.module.prepare_data()
    ctx.backend.barrier("prepare_data")
    return "data_prepared"


def run_optimizers(ctx: RunContext) -> str:
    """Call ``configure_optimizers`` and accept every return form of the seed."""
    ctx.optimizers, ctx.schedulers = parse_optimizers(ctx.module.configure_optimizers())
    return "configured"


def run_dataloaders(ctx: RunContext) -> str:
    """Get the run's dataloaders and how many batches to take from each."""
    if ctx.fitting():
        ctx.train = _train_data(ctx)
        ctx.val = _eval_data(ctx, "val", ctx.config.val_percent_check)
    else:
        ctx.test = _eval_data(ctx, "test", ctx.config.test_percent_check)
        if not ctx.test.loaders:
            raise MisconfigurationError(
                f"{type(ctx.module).__name__} has test_step but no test data: define "
                "test_dataloader or pass test_dataloaders= to test()"
            )
    if ctx.restore is not None:
        ctx.restore(ctx)
        if ctx.fitting():
            return "resumed"
    return "loaded"


def _train_data(ctx: RunContext) -> TrainData:
    config = ctx.config
    loader = ctx.loader_overrides.get("train_dataloader") or ctx.module.train_dataloader()
    loader = validate_loaders("train_dataloader", loader, allow_list=False)[0]
    count = 1 if config.fast_dev_run else batch_count(loader, config.train_percent_check)
    backend = ctx.backend
    if backend.world_size > 1 and count != math.inf and isinstance(loader, DataLoader):
        mine = len(shard(loader, 0, backend.global_rank, backend.world_size))
        count = 1 if config.fast_dev_run else max(1, int(mine * config.train_percent_check))
    if count == 0:
        raise MisconfigurationError("train_dataloader yields no batches: the dataset is empty")
    interval = config.val_check_interval
    if isinstance(interval, int) and not isinstance(interval, bool):
        if interval > count:
            raise MisconfigurationError(
                f"Trainer(val_check_interval={interval}) is more than the {count} training "
                "batches of an epoch; use a smaller int or a float fraction of the epoch"
            )
        check = float(interval)
    elif count == float("inf"):
        check = float("inf")
    else:
        check = float(max(1, int(count * interval)))
    return TrainData(loader, count, check)


def _eval_data(ctx: RunContext, kind: str, fraction: float) -> EvalData:
    hook = f"{kind}_dataloader"
    step = "validation_step" if kind == "val" else "test_step"
    if hook in ctx.loader_overrides:
        loaders = ctx.loader_overrides[hook]
    elif overrides(ctx.module, hook):
        loaders = getattr(ctx.module, hook)()
    else:
        return EvalData()
    if loaders is None:
        return EvalData()
    loaders = [_sharded_eval(ctx, loader)
               for loader in validate_loaders(hook, loaders, allow_list=True)]
    if not overrides(ctx.module, step):
        raise MisconfigurationError(
            f"{type(ctx.module).__name__} has {hook} but no {step}; define {step}"
        )
    cap = 1 if ctx.config.fast_dev_run else None
    return EvalData(loaders, [batch_count(loader, fraction, cap) for loader in loaders])


def _sharded_eval(ctx: RunContext, loader: Any) -> Any:
    """With several processes, each evaluates its shard of a map-style loader."""
    backend = ctx.backend
    if backend.world_size == 1 or not isinstance(loader, DataLoader) \
            or isinstance(loader.dataset, IterableDataset):
        return loader
    return with_sampler(loader, shard(loader, 0, backend.global_rank, backend.world_size))


def run_sanity_val(ctx: RunContext) -> str:
    """Run a few validation batches before training, to fail fast; nothing is logged."""
    ctx.hooks.callbacks_only("on_sanity_check_start")
    steps = ctx.config.num_sanity_val_steps
    run_evaluation(ctx, ctx.val, "validation", limit=None if steps < 0 else steps)
    ctx.hooks.callbacks_only("on_sanity_check_end")
    return "checked"


def run_train_epoch(ctx: RunContext) -> str:
    """Train until the epoch ends, a validation is due, or a stop is reached."""
    progress, hooks = ctx.progress, ctx.hooks
    if not ctx.training_started:
        hooks.call("on_train_start")
        ctx.training_started = True
        ctx.batch_runner = BatchRunner(ctx)
    if progress.epoch_finished:
        if val_pending(ctx):
            return "validate"
        if not ctx.should_continue():
            return "epoch_done"
        if ctx.schedulers:
            step_schedulers(ctx.schedulers, "epoch", progress.epoch + 1,
                            ctx.metrics.callback_metrics)
        progress.start_next_epoch()
    train = ctx.train
    assert train is not None
    if ctx.stop_reached() and progress.batch_idx > 0:
        return _finish_epoch(ctx, train)  # resumed after the stop, before the epoch's end
    if val_pending(ctx):
        return "validate"
    if train.iterator is None:
        if progress.batch_idx == 0:
            hooks.call("on_epoch_start")
        ctx.module.train()
        seed = mix_seed(progress.data_seed or 0, progress.epoch)
        backend = ctx.backend
        epoch = open_epoch(train.loader, seed, progress.batch_idx, backend.global_rank,
                           backend.world_size, backend.device_loader, progress.epoch)
        train.iterator = epoch if train.sized else _Lookahead(epoch)
    return _train_batches(ctx, train)


def _train_batches(ctx: RunContext, train: TrainData) -> str:
    """The batch loop. Per batch it compares counters set up once per pass: the position
    against the next event (the last batch or a validation check), the optimizer step
    against the next log row or ``max_steps``; everything else is skipped."""
    progress, runner, config = ctx.progress, ctx.batch_runner, ctx.config
    batch_start = ctx.hooks.caller("on_batch_start")
    batch_end = ctx.hooks.caller("on_batch_end")
    intervals = (config.row_log_interval, config.log_save_interval)
    max_steps = config.max_steps if config.max_steps is not None else math.inf
    next_row = _next_multiple(progress.global_step, intervals)
    next_step_event = min(next_row, max_steps)
    val_every = train.val_check_batch if validates_this_epoch(ctx) else math.inf
    next_check = _next_multiple(progress.batch_idx, (val_every,))
    count = train.num_batches  # inf for an unsized loader: its _Lookahead tells the end
    ahead = train.iterator if isinstance(train.iterator, _Lookahead) else None
    interrupt = ctx.interrupt
    assert train.iterator is not None
    for batch in train.iterator:
        batch_idx = progress.batch_idx
        if batch_start is not None and batch_start(batch) == -1:
            break
        position = batch_idx + 1
        is_last = position >= count or (ahead is not None and ahead.last)
        runner.run(batch, batch_idx, is_last)
        progress.batch_idx = position
        at_max = False
        if progress.global_step >= next_step_event:
            step = progress.global_step
            if step >= next_row:
                log_step_row(ctx)
                next_row = _next_multiple(step, intervals)
            at_max = step >= max_steps
            next_step_event = min(next_row, max_steps)
        if batch_end is not None:
            batch_end()
        if interrupt is not None and interrupt.requested:
            interrupt.save_and_raise()
        if is_last or at_max or (progress.stop_requested and ctx.minimums_met()):
            break
        if position >= next_check:
            next_check += val_every
            if val_pending(ctx):
                return "validate"
    return _finish_epoch(ctx, train)


def _next_multiple(value: int, intervals: tuple[float, ...]) -> float:
    """The smallest multiple of any of ``intervals`` above ``value`` (inf for inf)."""
    return min((value // every + 1) * every if every != math.inf else math.inf
               for every in intervals)


def _finish_epoch(ctx: RunContext, train: TrainData) -> str:
    """Epoch-end hooks, then the epoch-end validation if one is due."""
    train.iterator = None
    ctx.batch_runner.end_epoch()
    ctx.progress.epoch_finished = True
    if ctx.hooks.module_overrides("training_epoch_end"):
        returned = ctx.module.training_epoch_end(ctx.batch_runner.take_outputs())
        output = ctx.validator("epoch_end", "training_epoch_end", returned,
                               ctx.progress.epoch, None)
        log_epoch_end(ctx, output)
    agree_on_step_metrics(ctx)
    ctx.hooks.call("on_epoch_end")
    _agree_on_stop(ctx)
    return "validate" if val_pending(ctx) else "epoch_done"


def _agree_on_stop(ctx: RunContext) -> None:
    """With several processes, a stop requested on any of them is a stop for all."""
    backend = ctx.backend
    if backend.world_size > 1:
        flag = torch.tensor(float(ctx.progress.stop_requested))
        ctx.progress.stop_requested = bool(backend.reduce(flag, "max").item())


class _Lookahead:
    """An unsized loader's batches, read one ahead: ``last`` is true once the batch just
    given out is the final one."""

    def __init__(self, iterator: Iterator[Any]) -> None:
        self.last = False
        self._batches = self._read_ahead(iterator)

    def __iter__(self) -> Iterator[Any]:
        return self._batches

    def _read_ahead(self, iterator: Iterator[Any]) -> Iterator[Any]:
        try:
            current = next(iterator)
        except StopIteration:
            return
        for upcoming in iterator:
            yield current
            current = upcoming
        self.last = True
        yield current


def run_val_check(ctx: RunContext) -> str:
    """Validate, record the metrics, and let callbacks (checkpoint, early stopping) act.

    The check counts as done before ``on_validation_end``, so a checkpoint saved there
    resumes after it. A run resumed from a checkpoint taken during the check reruns it
    from its start, with the generators as they were then.
    """
    if not val_pending(ctx):
        return "validated"  # resumed from a checkpoint saved after this check completed
    ctx.val_start_rng = rng_state()
    ctx.hooks.callbacks_only("on_validation_start")
    output, _ = run_evaluation(ctx, ctx.val, "validation")
    log_epoch_end(ctx, output)
    ctx.progress.val_checks_in_epoch += 1
    ctx.val_start_rng = None
    agree_on_step_metrics(ctx)
    ctx.hooks.callbacks_only("on_validation_end")
    _agree_on_stop(ctx)
    return "validated"


def run_test(ctx: RunContext) -> str:
    """Test over every test loader and gather one dict of metrics per loader."""
    ctx.hooks.callbacks_only("on_test_start")
    output, per_loader = run_evaluation(ctx, ctx.test, "test")
    log_epoch_end(ctx, output)
    ctx.test_results = [to_floats(agreed(ctx, results))
                        for results in test_results(output, per_loader)]
    ctx.hooks.callbacks_only("on_test_end")
    return "tested"


RUNNERS: dict[str, Runner] = {
    "init": run_init,
    "prepare_data": run_prepare_data,
    "optimizers": run_optimizers,
    "dataloaders": run_dataloaders,
    "sanity_val": run_sanity_val,
    "train_epoch": run_train_epoch,
    "val_check": run_val_check,
    "test": run_test,
}
