"""One runner per lifecycle state: it does the state's work and returns the next trigger."""

from __future__ import annotations

from collections.abc import Callable

from schemas.errors import MisconfigurationError
from states.batch_loop import end_epoch_schedulers, finish_epoch, train_batches
from states.data import TrainData
from states.epoch_data import open_epoch
from states.evaluation import run_evaluation
from states.hook_table import Hook
from states.hooks import overrides
from states.loaders import eval_data, shards_loaders, train_data
from states.metrics import to_floats
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
    """Call ``prepare_data`` once per node (once in all with ``prepare_data_per_node=False``),
    wait for every process, then ``setup(stage)``."""
    backend = run.backend
    if (backend.local_rank if run.config.prepare_data_per_node else backend.global_rank) == 0:
        run.hooks.call(Hook.PREPARE_DATA)
    run.backend.barrier("prepare_data")
    run.hooks.call(Hook.SETUP, run.mode)
    return "data_prepared"


def run_optimizers(run: Run) -> str:
    """Call ``configure_optimizers`` and accept every return form of the seed; then let the
    backend wrap the module (DDP), which needs to know whether several optimizers train it."""
    optimization = run.state.optimization
    optimization.configure(run.hooks.call(Hook.CONFIGURE_OPTIMIZERS))
    configure_ddp = run.module.configure_ddp  # a LightningModule's (0.8.5 overrides it)
    run.backend.wrap(run.module, len(optimization.optimizers) > 1, configure_ddp)  # type: ignore[arg-type]
    return "configured"


def run_dataloaders(run: Run) -> str:
    """Get the run's dataloaders and how many batches to take from each."""
    data = run.data
    if run.mode == "fit":
        data.train = train_data(run)
        data.val = eval_data(run, Hook.VAL_DATALOADER)
    else:
        data.test = eval_data(run, Hook.TEST_DATALOADER)
        if not data.test.loaders:
            raise MisconfigurationError(
                f"{type(run.module).__name__} has test_step but does not implement "
                "`test_dataloader` (no test data): define test_dataloader or pass "
                "test_dataloaders= to test()"
            )
    if run.restore is not None:
        run.restore(run)
        if run.mode == "fit":
            return "resumed"
    return "loaded"


def run_sanity_val(run: Run) -> str:
    """Run a few validation batches before training, to fail fast; nothing is logged."""
    run.hooks.call(Hook.ON_SANITY_CHECK_START)
    steps, interrupt = run.config.num_sanity_val_steps, run.interrupt
    run_evaluation(run, run.data.val, "validation", limit=None if steps < 0 else steps,
                   on_interrupt=interrupt.end_before_training if interrupt else None)
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
        end_epoch_schedulers(run)  # resumed after the epoch's end: they may be due
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
        train = _open_epoch(run, train)
    return train_batches(run, train)


def _open_epoch(run: Run, train: TrainData) -> TrainData:
    """The epoch's batch iterator, from the position the progress holds (with
    ``reload_dataloaders_every_epoch``, from loaders requested again at each new epoch)."""
    progress, backend, step = run.state.progress, run.backend, run.data.step
    assert step is not None
    run.data.batch_idx = None  # trainer.batch_idx: where the epoch starts, until a batch runs
    if progress.batch_idx == 0:
        if run.config.reload_dataloaders_every_epoch and progress.epoch > 0:
            run.data.train = train = train_data(run)
            run.data.val = eval_data(run, Hook.VAL_DATALOADER)
        run.hooks.call(Hook.ON_EPOCH_START)
    run.module.train()
    step.start_epoch(progress.epoch)
    seed = mix_seed(progress.data_seed or 0, progress.epoch)
    rank, world = (backend.global_rank, backend.world_size) if shards_loaders(run) else (0, 1)
    epoch = open_epoch(train.loader, seed, progress.batch_idx, rank, world,
                       backend.device_loader, progress.epoch)
    train.open(epoch)
    return train


def run_val_check(run: Run) -> str:
    """Validate, record the metrics, and let callbacks (checkpoint, early stopping) act.

    The check counts as done before ``on_validation_end``, so a checkpoint saved there
    resumes after it. A run resumed from a checkpoint taken during the check reruns it
    from its start, with the generators as they were then.
    """
    if not val_pending(run):  # resumed from a checkpoint saved after this check completed
        end_epoch_schedulers(run)
        return "validated"
    generators, hooks = run.state.generators, run.hooks
    generators.pin()
    hooks.call(Hook.ON_PRE_PERFORMANCE_CHECK)
    hooks.call(Hook.ON_VALIDATION_START)
    interrupt = run.interrupt
    output, _ = run_evaluation(run, run.data.val, "validation",
                               on_interrupt=interrupt.save_and_raise if interrupt else None)
    log_epoch_end(run, output)
    run.state.progress.val_checks_in_epoch += 1
    generators.unpin()
    agree_on_step_metrics(run)
    hooks.call(Hook.ON_POST_PERFORMANCE_CHECK)
    hooks.call(Hook.ON_VALIDATION_END)
    agree_on_stop(run)
    end_epoch_schedulers(run)
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
