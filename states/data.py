"""Dataloaders of a run: how many batches each yields, and helpers on batches and outputs."""

from __future__ import annotations

import math
import warnings
from collections.abc import Iterable, Iterator, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

import torch
from torch.utils.data import DataLoader, IterableDataset

from schemas.errors import MisconfigurationError
from schemas.outputs import describe_value

__all__ = [
    "EvalData",
    "Lookahead",
    "TrainData",
    "batch_count",
    "detach_all",
    "has_iterable_dataset",
    "has_len",
    "split_for_tbptt",
    "validate_loaders",
]


def has_len(loader: Any) -> bool:
    """Whether ``loader`` has a length (an unsized one is iterated to its end).

    Raises:
        MisconfigurationError: it has a length of 0, so it yields no batch.
    """
    try:
        total = len(loader)
    except (TypeError, NotImplementedError):
        return False
    if total == 0:
        raise MisconfigurationError(f"{type(loader).__name__} has length 0: it yields no batch; "
                                    "check its dataset (and drop_last with a small dataset)")
    return True


def has_iterable_dataset(loader: Any) -> bool:
    """Whether ``loader`` reads an ``IterableDataset``."""
    return isinstance(getattr(loader, "dataset", None), IterableDataset)


def batch_count(loader: Any, limit: int | float, cap: int | None = None) -> float:
    """Batches to use from ``loader``: a float ``limit`` is a fraction of its length (at least
    one batch unless 0), an int a count; an unsized loader gives inf (or the count)."""
    try:
        total = len(loader)
    except (TypeError, NotImplementedError):
        total = None
    if isinstance(limit, int):
        count: float = min(limit, total) if total is not None else limit
    elif total is None:
        count = math.inf if limit > 0 else 0
    elif limit == 0:
        count = 0
    else:
        count = max(1, int(total * limit)) if total else 0
    return min(count, cap) if cap is not None and cap >= 0 else count


def validate_loaders(hook: str, value: Any, allow_list: bool) -> list[Any]:
    """Check a ``*_dataloader`` return value and give it as a list of loaders."""
    if not allow_list and isinstance(value, list | tuple) and value \
            and all(isinstance(item, DataLoader) for item in value):
        raise MisconfigurationError(
            f"{hook} returned a {type(value).__name__} of {len(value)} DataLoaders; one "
            "training loader is supported (its batches would be the loaders themselves): "
            "return one DataLoader, e.g. over a ConcatDataset of the datasets"
        )
    loaders = list(value) if allow_list and isinstance(value, list | tuple) else [value]
    for loader in loaders:
        if isinstance(loader, torch.Tensor) or not hasattr(loader, "__iter__"):
            raise MisconfigurationError(
                f"{hook} returned {describe_value(loader)}; return a torch DataLoader"
                + (" or a list of them" if allow_list else "")
            )
        if has_iterable_dataset(loader) and has_len(loader):
            warnings.warn(
                f"{hook}: Your `IterableDataset` has `__len__` defined; with several loader "
                "workers each iterates the whole dataset, so samples repeat unless its "
                "__iter__ splits the work by torch.utils.data.get_worker_info()",
                UserWarning, stacklevel=3)
    return loaders


@dataclass
class TrainData:
    """The training loader, its batch count per epoch and the live iterator of the epoch."""

    loader: Any
    num_batches: float
    val_check_batch: float
    iterator: Iterable[Any] | None = None  # resumable: each pass takes up where it left
    lookahead: Lookahead | None = None  # the iterator of an unsized loader, read one ahead

    @property
    def sized(self) -> bool:
        return self.num_batches != math.inf

    def open(self, batches: Iterator[Any]) -> None:
        """Iterate an epoch's batches (an unsized loader's one ahead, to tell the last)."""
        self.lookahead = None if self.sized else Lookahead(batches)
        self.iterator = batches if self.lookahead is None else self.lookahead

    def close(self) -> None:
        self.iterator = self.lookahead = None


class Lookahead:
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


@dataclass
class EvalData:
    """Validation or test loaders with the batch count to use from each."""

    loaders: list[Any] = field(default_factory=list)
    num_batches: list[float] = field(default_factory=list)

    @property
    def enabled(self) -> bool:
        return any(n > 0 for n in self.num_batches)


def detach_all(value: Any) -> Any:
    """Detach every tensor in nested dicts, lists and tuples, so no graph is retained."""
    if isinstance(value, torch.Tensor):
        return value.detach()
    if isinstance(value, Mapping):
        detached = {k: detach_all(v) for k, v in value.items()}
        return detached if type(value) is dict else type(value)(detached)  # type: ignore[call-arg]
    if isinstance(value, tuple) and hasattr(value, "_fields"):
        return type(value)(*(detach_all(v) for v in value))
    if isinstance(value, list | tuple):
        return type(value)(detach_all(v) for v in value)
    return value


def split_for_tbptt(batch: Any, split_size: int) -> list[Any]:
    """Split every tensor of the batch along dim 1 (time) into chunks of ``split_size``; a list
    of lists is one sequence per sample (0.8.5's rule): each is sliced in time."""
    tensors = [x for x in _leaves(batch) if isinstance(x, torch.Tensor) and x.dim() > 1]
    if not tensors:
        raise MisconfigurationError(
            "truncated_bptt_steps needs batches holding tensors of shape (batch, time, ...); "
            f"got {describe_value(batch)}"
        )
    length = tensors[0].size(1)
    return [_slice_time(batch, t, t + split_size) for t in range(0, length, split_size)]


def _leaves(value: Any) -> list[Any]:
    if isinstance(value, Mapping):
        return [leaf for v in value.values() for leaf in _leaves(v)]
    if isinstance(value, Sequence) and not isinstance(value, str | torch.Tensor):
        return [leaf for v in value for leaf in _leaves(v)]
    return [value]


def _slice_time(value: Any, start: int, stop: int) -> Any:
    if isinstance(value, torch.Tensor):
        return value[:, start:stop] if value.dim() > 1 else value
    if isinstance(value, Mapping):
        return {k: _slice_time(v, start, stop) for k, v in value.items()}
    if isinstance(value, list | tuple):
        if value and all(isinstance(v, list | tuple) for v in value):  # per-sample sequences
            return type(value)(v[start:stop] for v in value)
        return type(value)(_slice_time(v, start, stop) for v in value)
    return value
