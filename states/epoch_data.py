"""Reproducible training epochs: the batch order and each batch's random draws follow a seed.

For a map-style ``DataLoader`` the epoch's order is drawn once, when the epoch opens, under a
generator seeded by the epoch's seed; the loader is rebuilt over that fixed order. A resumed
epoch skips the consumed batches in the order itself, so they are never loaded. With worker
processes every batch is fetched under generators seeded by (epoch seed, batch position), so a
batch's random augmentations do not depend on which worker fetched it or what it fetched before.
Iterable datasets are fast-forwarded instead, with a warning.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from typing import Any

import torch
from loguru import logger
from torch.utils.data import (
    BatchSampler,
    DataLoader,
    Dataset,
    DistributedSampler,
    IterableDataset,
    RandomSampler,
    Sampler,
    SequentialSampler,
)

from states.rng import forked_rng, mix_seed, seed_all

__all__ = ["open_epoch"]


class _FixedOrder(Sampler[Any]):
    """Yields a list made in advance (indices, or index lists for a batch sampler)."""

    def __init__(self, items: list[Any]) -> None:
        self.items = items

    def __iter__(self) -> Iterator[Any]:
        return iter(self.items)

    def __len__(self) -> int:
        return len(self.items)


class _Positioned:
    """A sampler item with its position in the epoch, so a worker can seed from it."""

    __slots__ = ("item", "position")

    def __init__(self, item: Any, position: int) -> None:
        self.item = item
        self.position = position


class _SeededDataset(Dataset[Any]):
    """Fetches each batch under generators seeded by (epoch seed, batch position)."""

    def __init__(self, dataset: Any, seed: int) -> None:
        self.dataset = dataset
        self.seed = seed

    def __len__(self) -> int:
        return len(self.dataset)

    def __getitem__(self, key: Any) -> Any:
        if isinstance(key, _Positioned):
            seed_all(mix_seed(self.seed, key.position))
            key = key.item
        return self.dataset[key]

    def __getitems__(self, keys: Any) -> list[Any]:
        # with a batch sampler, `keys` is one _Positioned wrapping the batch's index list
        if isinstance(keys, _Positioned):
            seed_all(mix_seed(self.seed, keys.position))
            keys = keys.item
        fetch = getattr(self.dataset, "__getitems__", None)
        return list(fetch(keys)) if fetch is not None else [self.dataset[i] for i in keys]


def open_epoch(loader: Any, seed: int, skip: int, rank: int = 0, world: int = 1,
               device_loader: Callable[[Any], Any] = lambda loader: loader,
               epoch: int = 0) -> Iterator[Any]:
    """An iterator over one epoch of ``loader`` from batch ``skip`` on, reproducible by ``seed``.

    With ``world > 1`` each process gets its shard of the epoch: a ``DistributedSampler``
    takes the place of the loader's sampler unless the user set one.
    """
    if not isinstance(loader, DataLoader) or isinstance(loader.dataset, IterableDataset):
        return _fast_forward(loader, skip)
    batched = loader.batch_sampler is not None
    source: Any = loader.batch_sampler if batched else loader.sampler
    if world > 1:
        source = shard(loader, seed, rank, world, epoch)
    if _sequential(source):
        # nothing random decides the order; the loader's one draw (its base seed, when it is
        # iterated) comes from a generator of its own, seeded as the forked ones would be
        generator = loader.generator if loader.generator is not None \
            else torch.Generator().manual_seed(seed)
        return iter(device_loader(_rebuild(loader, list(source), seed, skip, generator)))
    with forked_rng(seed):
        order = list(source)
        return iter(device_loader(_rebuild(loader, order, seed, skip, loader.generator)))


def _sequential(source: Any) -> bool:
    """Whether ``source`` is torch's sequential sampler, or its batch sampler over one."""
    if type(source) is BatchSampler:
        source = source.sampler
    return type(source) is SequentialSampler


def shard(loader: DataLoader[Any], seed: int, rank: int, world: int, epoch: int = 0) -> Any:
    """This process's sampler (or batch sampler) over ``loader``'s dataset for ``epoch``.

    A ``DistributedSampler`` the user set is kept, and told the epoch (``set_epoch``).
    """
    sampler = loader.sampler
    if not isinstance(sampler, DistributedSampler):
        sampler = DistributedSampler(loader.dataset, num_replicas=world, rank=rank,
                                     shuffle=isinstance(loader.sampler, RandomSampler),
                                     seed=seed % 2**31)
    sampler.set_epoch(epoch)
    if loader.batch_sampler is None:
        return sampler
    return BatchSampler(sampler, loader.batch_size or 1, loader.drop_last)


def with_sampler(loader: DataLoader[Any], sampler: Any, dataset: Any = None,
                 generator: torch.Generator | None = None) -> DataLoader[Any]:
    """``loader`` rebuilt around ``sampler`` (a batch sampler when the loader batches), with
    every other setting of the loader kept (its generator unless ``generator`` is given)."""
    options: dict[str, Any] = dict(
        num_workers=loader.num_workers, collate_fn=loader.collate_fn,
        pin_memory=loader.pin_memory, timeout=loader.timeout, worker_init_fn=loader.worker_init_fn,
        generator=loader.generator if generator is None else generator,
    )
    if loader.num_workers > 0:
        options.update(multiprocessing_context=loader.multiprocessing_context,
                       prefetch_factor=loader.prefetch_factor, persistent_workers=False)
    dataset = loader.dataset if dataset is None else dataset
    if loader.batch_sampler is not None:
        return DataLoader(dataset, batch_sampler=sampler, **options)
    return DataLoader(dataset, batch_size=None, sampler=sampler, **options)


def _rebuild(loader: DataLoader[Any], order: list[Any], seed: int, skip: int,
             generator: torch.Generator | None) -> DataLoader[Any]:
    if loader.num_workers > 0:
        # with workers each item is _Positioned (a batch passes to the fetcher whole)
        items = [_Positioned(item, pos) for pos, item in enumerate(order)][skip:]
        return with_sampler(loader, _FixedOrder(items), _SeededDataset(loader.dataset, seed),
                            generator)
    return with_sampler(loader, _FixedOrder(order[skip:]), generator=generator)


def _fast_forward(loader: Any, skip: int) -> Iterator[Any]:
    iterator = iter(loader)
    if skip:
        logger.warning(
            "resuming an iterable dataset mid-epoch: fast-forwarding past {n} batches by "
            "loading and dropping them (a map-style dataset would skip them without loading)",
            n=skip,
        )
        for _ in range(skip):
            next(iterator)
    return iterator
