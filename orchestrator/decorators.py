"""Decorators for LightningModule methods: ``auto_move_data``; ``data_loader`` (deprecated)."""

from __future__ import annotations

from collections.abc import Callable
from functools import wraps
from typing import Any, TypeVar

from orchestrator.module import LightningModule
from orchestrator.rank_zero import rank_zero_warn

__all__ = ["auto_move_data", "data_loader"]

F = TypeVar("F", bound=Callable[..., Any])
R = TypeVar("R")


def auto_move_data(fn: Callable[..., R]) -> Callable[..., R]:
    """Move the arguments of a LightningModule method (``forward``, ``__call__``) to the
    module's device before it runs, through the module's ``transfer_batch_to_device`` (tensors
    inside dicts, lists and tuples too). On anything other than a LightningModule it only calls
    ``fn``. With or without a trainer attached, as in Lightning 0.8.

    Args:
        fn: the method whose positional and keyword arguments are moved.

    Returns:
        The method, moving its arguments first.

    Example:
        >>> class Model(LightningModule):
        ...     @auto_move_data
        ...     def forward(self, x):
        ...         return self.layer(x)
        >>> Model().cuda()(torch.zeros(1, 4))  # x is moved to the GPU  # doctest: +SKIP
    """

    @wraps(fn)
    def moving_arguments(self: Any, *args: Any, **kwargs: Any) -> R:
        if isinstance(self, LightningModule):
            device = self.device
            args = self.transfer_batch_to_device(args, device)
            kwargs = self.transfer_batch_to_device(kwargs, device)
        return fn(self, *args, **kwargs)

    return moving_arguments


def data_loader(fn: F) -> F:
    """Lightning 0.7's dataloader decorator, deprecated since: it warns and returns ``fn``
    itself, since the trainer calls ``train_dataloader`` and the others when it needs them.

    Example:
        >>> class Model(LightningModule):
        ...     @data_loader  # DeprecationWarning: remove it
        ...     def train_dataloader(self):
        ...         return DataLoader(dataset, batch_size=32)
    """
    rank_zero_warn(
        f"@data_loader on {getattr(fn, '__qualname__', fn)!r} is deprecated since Lightning "
        "0.7.0 and does nothing: remove it (the trainer calls the dataloader methods itself)",
        DeprecationWarning, stacklevel=2,
    )
    return fn
