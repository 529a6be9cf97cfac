"""0.8.5's metric bases: ``Metric``, and ``TensorMetric`` / ``NumpyMetric`` that sync across DDP."""

from __future__ import annotations

import numbers
from abc import ABC, abstractmethod
from collections.abc import Callable, Mapping
from typing import Any

import numpy as np
import torch
import torch.distributed as dist

__all__ = ["Metric", "NumpyMetric", "TensorMetric", "sync_ddp"]

_OPS = ("sum", "product", "min", "max", "band", "bor", "bxor")


def _reduce_op(reduce_op: Any) -> Any:
    """``reduce_op`` as a ``torch.distributed.ReduceOp``: None is SUM, a name is looked up."""
    if reduce_op is None:
        return dist.ReduceOp.SUM
    if isinstance(reduce_op, str):
        if reduce_op.lower() not in _OPS:
            raise ValueError(
                f"reduce_op={reduce_op!r} is not a torch.distributed.ReduceOp: pass one of "
                f"{_OPS}, a ReduceOp such as torch.distributed.ReduceOp.MAX, or None for SUM")
        return getattr(dist.ReduceOp, reduce_op.upper())
    return reduce_op


def sync_ddp(tensor: torch.Tensor, group: Any = None, reduce_op: Any = None) -> torch.Tensor:
    """All-reduce ``tensor`` over ``group`` (every process) when torch.distributed is running.

    Args:
        tensor: this process's value; it is not changed.
        group: the process group; ``None`` is the world.
        reduce_op: a ``ReduceOp`` or its name; ``None`` sums, as 0.8.5 did.

    Returns:
        The reduced copy (detached), or ``tensor`` itself on one process.

    Example:
        >>> sync_ddp(torch.tensor(0.5))  # one process: unchanged
        tensor(0.5000)
    """
    if not (dist.is_available() and dist.is_initialized()):
        return tensor
    reduced = tensor.detach().clone()
    dist.all_reduce(reduced, op=_reduce_op(reduce_op), group=group)
    return reduced


def _apply(data: Any, kinds: tuple[type, ...], fn: Callable[[Any], Any]) -> Any:
    """``fn`` on every leaf of ``data`` (nested tuples, lists, dicts) that is one of ``kinds``."""
    if isinstance(data, kinds) and not isinstance(data, bool):
        return fn(data)
    if isinstance(data, Mapping):
        rebuild: Any = type(data)
        return rebuild({key: _apply(value, kinds, fn) for key, value in data.items()})
    if isinstance(data, tuple | list):
        items = [_apply(item, kinds, fn) for item in data]
        return type(data)(*items) if hasattr(data, "_fields") else type(data)(items)
    return data


def _to_tensor(data: Any) -> torch.Tensor:
    """A tensor of ``data``; a number becomes a one-element tensor, as in 0.8.5."""
    if isinstance(data, torch.Tensor):
        return data
    if isinstance(data, np.ndarray):
        return torch.from_numpy(data)
    return torch.tensor([data])


def _to_numpy(data: Any) -> np.ndarray:
    """A numpy array of ``data``; a number becomes a one-element array, as in 0.8.5."""
    if isinstance(data, torch.Tensor):
        return data.detach().cpu().numpy()
    if isinstance(data, np.ndarray):
        return data
    return np.array([data])


_LEAVES = (torch.Tensor, np.ndarray, numbers.Number)


class Metric(torch.nn.Module, ABC):
    """A metric: an ``nn.Module`` whose ``forward`` computes it (0.8.5's abstract base).

    ``device`` and ``dtype`` follow ``.to()``, ``.double()``, ``.cuda()`` and the like.

    Args:
        name: the metric's name.

    Example:
        >>> class Largest(Metric):
        ...     def forward(self, x):
        ...         return x.max()
        >>> Largest("largest")(torch.tensor([1.0, 3.0]))
        tensor(3.)
    """

    _anchor: torch.Tensor

    def __init__(self, name: str) -> None:
        super().__init__()
        self.name = name
        self.register_buffer("_anchor", torch.empty(0), persistent=False)

    @property
    def device(self) -> torch.device:
        """The device the outputs are put on."""
        return self._anchor.device

    @property
    def dtype(self) -> torch.dtype:
        """The dtype the outputs are cast to (the default float dtype, unless changed)."""
        return self._anchor.dtype

    @abstractmethod
    def forward(self, *args: Any, **kwargs: Any) -> Any:
        """Compute the metric."""


class _SyncedMetric(Metric):
    """Converts inputs by ``_convert_input``, outputs to tensors, syncs them, casts them."""

    def __init__(self, name: str, reduce_group: Any = None, reduce_op: Any = None) -> None:
        super().__init__(name)
        _reduce_op(reduce_op)  # a wrong name raises here, not at the first sync
        self.reduce_group = reduce_group
        self.reduce_op = reduce_op

    @staticmethod
    def _convert_input(data: Any) -> Any:
        return _to_tensor(data)

    def __call__(self, *args: Any, **kwargs: Any) -> Any:
        args = _apply(args, _LEAVES, self._convert_input)
        kwargs = _apply(kwargs, _LEAVES, self._convert_input)
        output = _apply(super().__call__(*args, **kwargs), _LEAVES, _to_tensor)
        return _apply(output, (torch.Tensor,), self._finish)

    def _finish(self, tensor: torch.Tensor) -> torch.Tensor:
        reduced = sync_ddp(tensor, self.reduce_group, self.reduce_op)
        return reduced.to(device=self.device, dtype=self.dtype)


class TensorMetric(_SyncedMetric):
    """A metric on tensors: inputs and outputs become tensors, outputs are reduced across processes.

    Numbers and numpy arrays passed in become tensors; every tensor of the output (a tensor or
    a nested tuple/list/dict of them) is all-reduced with ``reduce_op`` under torch.distributed,
    then put on the metric's ``device`` and cast to its ``dtype``.

    Args:
        name: the metric's name.
        reduce_group: the process group to reduce over; ``None`` is every process.
        reduce_op: a ``torch.distributed.ReduceOp`` or its name; ``None`` sums.

    Raises:
        ValueError: ``reduce_op`` is a name that ``ReduceOp`` does not have.

    Example:
        >>> class Total(TensorMetric):
        ...     def forward(self, x):
        ...         return x.sum()
        >>> Total("total")(torch.tensor([1, 2]))
        tensor(3.)
    """


class NumpyMetric(_SyncedMetric):
    """A metric on numpy arrays: inputs become arrays, outputs tensors reduced across processes.

    Args:
        name: the metric's name.
        reduce_group: the process group to reduce over; ``None`` is every process.
        reduce_op: a ``torch.distributed.ReduceOp`` or its name; ``None`` sums.

    Raises:
        ValueError: ``reduce_op`` is a name that ``ReduceOp`` does not have.

    Example:
        >>> class Median(NumpyMetric):
        ...     def forward(self, x):
        ...         return np.median(x)
        >>> Median("median")(torch.tensor([1.0, 5.0, 2.0]))
        tensor([2.])
    """

    @staticmethod
    def _convert_input(data: Any) -> Any:
        return _to_numpy(data)
