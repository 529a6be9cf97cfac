"""One runner per lifecycle state: it does the state's work and returns the next trigger."""

from __future__ import annotations

import math
from collections.abc import Callable
from typing import Any

from torch.utils.data import DataLoader, IterableDataset

from schemas.errors import MisconfigurationError
from states.batch_loop import finish_epoch, train_batches
from states.data import EvalData, TrainData, batch_count, validate_loaders
from states.epoch_data import open_epoch, shard, with_sampler
from states.evaluation import run_evaluation
from states.hook_table import Hook
from states.hooks import overrides
from states.metrics import to_floats
from states.optim import step_schedulers
from states.reporting import (
    agree_on_step_metrics,
    agree_on_stop,
    agreed,
    log_epoch_end,
    test_results,
)
from states.rng import mix_seed
from states.run import Run
from states.schedule import should_continue, stop_reached, val_pending
from states.step import assemble_step

__all__ = ["RUNNERS"]

Runner = Callable[[Run], str]


def run_init(run: Run) -> str:
    """Check the module has what the run needs, and place it on the backend's device."""
    fitting = run.mode == "fit"
    required = (Hook.TRAINING_STEP, Hook.CONFIGURE_OPTIMIZERS) if fitting else (Hook.TEST_STEP,)
    missing = [str(hook) for hook in required if not overrides(run.module, hook)]
    if fitting and Hook.TRAIN_DATALOADER not in run.loader_overrides \
            and not overrides(run.module, Hook.TRAIN_DATALOADER):
        missing.append("train_dataloader (or pass train_dataloader= to fit)")
    if missing:
        raise MisconfigurationError(
            f"{type(run.module).__name__} cannot {run.mode}: it does not define "
            + ", ".join(missing)
        )
    run.backend.setup(run.module)
    if fitting:
        run.hooks.call(Hook.ON_FIT_START)
    return "prepared"


def run_prepare_data(run: Run) -> str:
    """Call ``prepare_data`` once per node, wait for every process, then ``setup(stage)``."""
    if run.backend.local_rank == 0:
        run.hooks.call(Hook.PREPARE_DATA)
    run.backend.barrier("prepare_data")
    run.hooks.call(Hook.SETUP, run.mode)
    return "data_prepared"


def run_optimizers(run: Run) -> str:
    """Call ``configure_optimizers`` and accept every return form of the seed."""
    run.state.optimization.configure(run.hooks.call(Hook.CONFIGURE_OPTIMIZERS))
    return "configured"


def run_dataloaders(run: Run) -> str:
    """Get the run's dataloaders and how many batches to take from each."""
    data, config = run.data, run.config
    if run.mode == "fit":
        data.train = _train_data(run)
        data.val = _eval_data(run, Hook.VAL_DATALOADER, Hook.VALIDATION_STEP,
                              config.val_percent_check)
    else:
        data.test = _eval_data(run, Hook.TEST_DATALOADER, Hook.TEST_STEP,
                               config.test_percent_check)
        if not data.test.loaders:
            raise MisconfigurationError(
                f"{type(run.module).__name__} has test_step but no test data: define "
                "test_dataloader or pass test_dataloaders= to test()"
            )
    if run.restore is not None:
        run.restore(run)
        if run.mode == "fit":
            return "resumed"
    return "loaded"


def _train_data(run: Run) -> TrainData:
    config, backend = run.config, run.backend
    loader = run.loader_overrides.get(Hook.TRAIN_DATALOADER) \
        or run.hooks.call(Hook.TRAIN_DATALOADER)
    loader = validate_loaders(Hook.TRAIN_DATALOADER, loader, allow_list=False)[0]
    count = 1 if config.fast_dev_run else batch_count(loader, config.train_percent_check)
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


def _eval_data(run: Run, hook: Hook, step: Hook, fraction: float) -> EvalData:
    if hook in run.loader_overrides:
        loaders = run.loader_overrides[hook]
    elif overrides(run.module, hook):
        loaders = run.hooks.call(hook)
    else:
        return EvalData()
    if loaders is None:
        return EvalData()
    loaders = [_sharded_eval(run, loader)
               for loader in validate_loaders(hook, loaders, allow_list=True)]
    if not overrides(run.module, step):
        raise MisconfigurationError(
            f"{type(run.module).__name__} has {hook} but no {step}; define {step}"
        )
    cap = 1 if run.config.fast_dev_run else None
    return EvalData(loaders, [batch_count(loader, fraction, cap) for loader in loaders])


def _sharded_eval(run: Run, loader: Any) -> Any:
    """With several processes, each evaluates its shard of a map-style loader."""
    backend = run.backend
    if backend.world_size == 1 or not isinstance(loader, DataLoader) \
            or isinstance(loader.dataset, IterableDataset):
        return loader
    return with_sampler(loader, shard(loader, 0, backend.global_rank, backend.world_size))


def run_sanity_val(run: Run) -> str:
    """Run a few validation batches before training, to fail fast; nothing is logged."""
    run.hooks.call(Hook.ON_SANITY_CHECK_START)
    steps = run.config.num_sanity_val_steps
    run_evaluation(run, run.data.val, "validation", limit=None if steps < 0 else steps)
    run.hooks.call(Hook.ON_SANITY_CHECK_END)
    return "checked"


def run_train_epoch(run: Run) -> str:
    """Train until the epoch ends, a validation is due, or a stop is reached."""
    progress, data, config = run.state.progress, run.data, run.config
    if data.step is None:  # the run's first visit: training begins
        run.hooks.call(Hook.ON_TRAIN_START)
        data.step = assemble_step(run)
    if progress.epoch_finished:
        if val_pending(run):
            return "validate"
        schedulers = run.state.optimization.schedulers
        if schedulers:  # after every epoch, the last one included (0.8.5)
            step_schedulers(schedulers, "epoch", progress.epoch + 1,
                            run.state.metrics.callback_metrics)
        if not should_continue(config, progress):
            return "epoch_done"
        progress.start_next_epoch()
    train = data.train
    assert train is not None
    if stop_reached(config, progress) and progress.batch_idx > 0:
        return finish_epoch(run, train)  # resumed after the stop, before the epoch's end
    if val_pending(run):
        return "validate"
    if train.iterator is None:
        _open_epoch(run, train)
    return train_batches(run, train)


def _open_epoch(run: Run, train: TrainData) -> None:
    """The epoch's batch iterator, from the position the progress holds."""
    progress, backend, step = run.state.progress, run.backend, run.data.step
    assert step is not None
    if progress.batch_idx == 0:
        run.hooks.call(Hook.ON_EPOCH_START)
    run.module.train()
    step.start_epoch(progress.epoch)
    seed = mix_seed(progress.data_seed or 0, progress.epoch)
    epoch = open_epoch(train.loader, seed, progress.batch_idx, backend.global_rank,
                       backend.world_size, backend.device_loader, progress.epoch)
    train.open(epoch)


def run_val_check(run: Run) -> str:
    """Validate, record the metrics, and let callbacks (checkpoint, early stopping) act.

    The check counts as done before ``on_validation_end``, so a checkpoint saved there
    resumes after it. A run resumed from a checkpoint taken during the check reruns it
    from its start, with the generators as they were then.
    """
    if not val_pending(run):
        return "validated"  # resumed from a checkpoint saved after this check completed
    generators, hooks = run.state.generators, run.hooks
    generators.pin()
    hooks.call(Hook.ON_PRE_PERFORMANCE_CHECK)
    hooks.call(Hook.ON_VALIDATION_START)
    output, _ = run_evaluation(run, run.data.val, "validation")
    log_epoch_end(run, output)
    run.state.progress.val_checks_in_epoch += 1
    generators.unpin()
    agree_on_step_metrics(run)
    hooks.call(Hook.ON_POST_PERFORMANCE_CHECK)
    hooks.call(Hook.ON_VALIDATION_END)
    agree_on_stop(run)
    return "validated"


def run_test(run: Run) -> str:
    """Test over every test loader and gather one dict of metrics per loader."""
    hooks = run.hooks
    hooks.call(Hook.ON_PRE_PERFORMANCE_CHECK)
    hooks.call(Hook.ON_TEST_START)
    output, per_loader = run_evaluation(run, run.data.test, "test")
    log_epoch_end(run, output)
    run.data.test_results = [to_floats(agreed(run, results))
                             for results in test_results(output, per_loader)]
    hooks.call(Hook.ON_POST_PERFORMANCE_CHECK)
    hooks.call(Hook.ON_TEST_END)
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
