"""The run's dataloaders: requested from the module (or the caller), limited, sharded.

``limit_*_batches`` take a fraction of each loader (a float) or a count (an int);
``overfit_batches`` sets all three and validates and tests on the training loader, in order;
``replace_sampler_ddp=False`` leaves the loaders' samplers to the user under DDP.
"""

from __future__ import annotations

import math
import multiprocessing
import warnings
from typing import Any

from torch.utils.data import (
    BatchSampler,
    DataLoader,
    IterableDataset,
    RandomSampler,
    SequentialSampler,
)

from schemas.errors import MisconfigurationError
from states.data import EvalData, TrainData, batch_count, validate_loaders
from states.epoch_data import shard, with_sampler
from states.hook_table import Hook
from states.hooks import overrides
from states.run import Run

__all__ = ["FewWorkersWarning", "eval_data", "shards_loaders", "train_data"]

_STEPS = {Hook.VAL_DATALOADER: Hook.VALIDATION_STEP, Hook.TEST_DATALOADER: Hook.TEST_STEP}
_EPOCH_ENDS = {Hook.VAL_DATALOADER: Hook.VALIDATION_EPOCH_END,
               Hook.TEST_DATALOADER: Hook.TEST_EPOCH_END}


class FewWorkersWarning(UserWarning):
    """A DataLoader with at most 2 workers on a machine with more CPUs (filter it by class)."""


def _check_workers(run: Run, loader: Any, name: str) -> None:
    """Warn, as 0.8.5 and Lightning 2 do, when loading may hold the run back: a DataLoader
    with at most 2 workers where more than 2 CPUs could read (not under ``ddp_spawn``, whose
    workers start slowly)."""
    if not isinstance(loader, DataLoader) or run.config.distributed_backend == "ddp_spawn":
        return
    cpus = multiprocessing.cpu_count()
    if loader.num_workers <= 2 < cpus:
        warnings.warn(
            f"The dataloader, {name}, does not have many workers which may be a bottleneck: "
            f"num_workers={loader.num_workers} on a machine of {cpus} CPUs; try "
            f"DataLoader(num_workers={cpus}) (or filter FewWorkersWarning)",
            FewWorkersWarning, stacklevel=3)


def shards_loaders(run: Run) -> bool:
    """Whether each process takes its shard of the loaders (DDP with ``replace_sampler_ddp``)."""
    return run.backend.several_processes and run.config.replace_sampler_ddp


def train_data(run: Run) -> TrainData:
    """The training loader, its batches per epoch and the batches between validations."""
    config, backend = run.config, run.backend
    limit = config.eval_limits[0]
    loader = _train_loader(run)
    _check_workers(run, loader, "train dataloader")
    _check_unsized_limit(loader, limit, "train_dataloader", "limit_train_batches")
    count = 1 if config.fast_dev_run else batch_count(loader, limit)
    if shards_loaders(run) and count != math.inf and isinstance(loader, DataLoader):
        mine = len(shard(loader, 0, backend.global_rank, backend.world_size))
        count = 1 if config.fast_dev_run else batch_count(range(mine), limit)
    if limit == 0:  # limit_train_batches=0: the fit skips training (states.table)
        return TrainData(loader, 0, math.inf)
    if count == 0:
        raise MisconfigurationError("train_dataloader yields no batches: the dataset is empty")
    return TrainData(loader, count, _val_check_batch(config.val_check_interval, count))


def _train_loader(run: Run) -> Any:
    loader = run.loader_overrides.get(Hook.TRAIN_DATALOADER)
    if loader is None:  # not `or`: the truth of an unsized DataLoader calls its len()
        loader = run.hooks.call(Hook.TRAIN_DATALOADER)
    return validate_loaders(Hook.TRAIN_DATALOADER, loader, allow_list=False)[0]


def _val_check_batch(interval: int | float, count: float) -> float:
    if count == math.inf and isinstance(interval, float) and interval != 1.0:
        raise MisconfigurationError(
            f"Trainer(val_check_interval={interval}): train_dataloader is an infinite "
            "DataLoader (an IterableDataset, or no __len__), whose epoch has no fraction; use "
            "val_check_interval=1.0 (at the epoch's end) or an int (every that many batches)"
        )
    if isinstance(interval, int) and not isinstance(interval, bool):
        if interval > count:
            raise MisconfigurationError(
                f"Trainer(val_check_interval={interval}) is more than the {count} training "
                "batches of an epoch; use a smaller int or a float fraction of the epoch"
            )
        return float(interval)
    if count == math.inf:
        return math.inf
    return float(max(1, int(count * interval)))


def eval_data(run: Run, hook: Hook) -> EvalData:
    """The validation or test loaders of the run (none when the module has none)."""
    config = run.config
    limit = config.eval_limits[1 if hook is Hook.VAL_DATALOADER else 2]
    if config.fast_dev_run:  # one batch of each loader, whatever the limits say (as 0.8.5)
        limit = 1.0
    step = _STEPS[hook]
    if config.overfit_batches:  # the training loader, where the module evaluates (0.8.5)
        loaders = _overfit_loaders(run) if overrides(run.module, step) else None
    else:
        loaders = _eval_loaders(run, hook)
    if loaders is None:
        if hook is Hook.VAL_DATALOADER and overrides(run.module, step):
            warnings.warn(f"{type(run.module).__name__} defines {step} but has no {hook}: "
                          f"validation is skipped; define {hook} or pass val_dataloaders to "
                          "fit", UserWarning, stacklevel=2)
        return EvalData()
    if not overrides(run.module, step):
        raise MisconfigurationError(
            f"{type(run.module).__name__} has {hook} but no {step}; define {step}"
        )
    if not overrides(run.module, _EPOCH_ENDS[hook]):  # as 0.8.5 says it
        warnings.warn(f"{type(run.module).__name__} has {hook} and {step}: you may also want "
                      f"{_EPOCH_ENDS[hook]}, to gather the outputs of {step} (they are not "
                      "logged without it)", RuntimeWarning, stacklevel=2)
    stage = "val" if hook is Hook.VAL_DATALOADER else "test"
    for index, loader in enumerate(loaders):
        _check_workers(run, loader, f"{stage} dataloader {index}")
    loaders = [_sharded_eval(run, loader) for loader in loaders]
    cap = 1 if config.fast_dev_run else None
    name = "limit_val_batches" if hook is Hook.VAL_DATALOADER else "limit_test_batches"
    for loader in loaders:
        _check_unsized_limit(loader, limit, f"{hook}", name)
    return EvalData(loaders, [batch_count(loader, limit, cap) for loader in loaders])


def _check_unsized_limit(loader: Any, limit: int | float, hook: str, name: str) -> None:
    """A fraction of a loader without a length cannot be taken (0.8.5 refuses it too)."""
    if isinstance(limit, float) and 0 < limit < 1 and batch_count(loader, 1.0) == math.inf:
        raise MisconfigurationError(
            f"Trainer({name}={limit}): {hook} is an infinite DataLoader (an IterableDataset, "
            f"or no __len__), of which no fraction can be taken; use {name}=1.0 (all of it), "
            "0.0 (none) or an int count of batches"
        )


def _eval_loaders(run: Run, hook: Hook) -> list[Any] | None:
    if hook in run.loader_overrides:
        loaders = run.loader_overrides[hook]
    elif overrides(run.module, hook):
        loaders = run.hooks.call(hook)
    else:
        return None
    return None if loaders is None else validate_loaders(hook, loaders, allow_list=True)


def _overfit_loaders(run: Run) -> list[Any]:
    """``overfit_batches``: evaluate on the training loader, unshuffled (as 0.8.5)."""
    loader = run.data.train.loader if run.data.train is not None else _train_loader(run)
    if isinstance(loader, DataLoader) and isinstance(loader.sampler, RandomSampler):
        warnings.warn("Trainer(overfit_batches=...) validates and tests on the training loader; "
                      "its shuffling is turned off for them", UserWarning, stacklevel=2)
        in_order = SequentialSampler(loader.dataset)  # type: ignore[arg-type]
        sampler = in_order if loader.batch_size is None \
            else BatchSampler(in_order, loader.batch_size, loader.drop_last)
        loader = with_sampler(loader, sampler)
    return [loader]


def _sharded_eval(run: Run, loader: Any) -> Any:
    """With several processes, each evaluates its shard of a map-style loader."""
    backend = run.backend
    if not shards_loaders(run) or not isinstance(loader, DataLoader) \
            or isinstance(loader.dataset, IterableDataset):
        return loader
    return with_sampler(loader, shard(loader, 0, backend.global_rank, backend.world_size))
