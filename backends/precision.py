"""Numeric precision of a run: autocast and loss scaling, held by a backend."""

from __future__ import annotations

import contextlib
from collections.abc import Iterator
from typing import Any

import torch

__all__ = ["Precision"]


class Precision:
    """32-bit (no-op), ``'bf16'`` autocast, or 16-bit autocast with a gradient scaler.

    Example:
        >>> precision = Precision("bf16", device_type="cpu")
        >>> with precision.autocast():
        ...     out = model(x)
    """

    def __init__(self, precision: int | str, device_type: str) -> None:
        self.precision = precision
        self.device_type = device_type
        self._scaler: Any = None

    @property
    def scaler(self) -> Any:
        """The gradient scaler at 16-bit, else None. Made on first use: building one asks
        ``torch.cuda.is_available()``, which initializes CUDA, and a process that forks its
        DDP workers must not have done that yet."""
        if self._scaler is None and self.precision == 16:
            self._scaler = torch.amp.GradScaler(self.device_type)
        return self._scaler

    @property
    def scales(self) -> bool:
        """Whether losses are scaled (16-bit): backward and the optimizer step go through the
        gradient scaler."""
        return self.precision == 16

    @property
    def dtype(self) -> torch.dtype | None:
        return {16: torch.float16, "bf16": torch.bfloat16}.get(self.precision)

    @contextlib.contextmanager
    def autocast(self) -> Iterator[None]:
        """Autocast in the precision's dtype; a no-op at 32-bit."""
        if self.dtype is None:
            yield
            return
        with torch.autocast(self.device_type, dtype=self.dtype):
            yield

    def scale_loss(self, loss: torch.Tensor) -> torch.Tensor:
        """The loss to call backward on (scaled when a gradient scaler is in use)."""
        return self.scaler.scale(loss) if self.scaler is not None else loss

    def unscale(self, optimizer: torch.optim.Optimizer) -> None:
        """Unscale gradients in place before clipping."""
        if self.scaler is not None:
            self.scaler.unscale_(optimizer)

    def state_dict(self) -> dict[str, Any] | None:
        """The gradient scaler's state (None without a scaler), for checkpoints."""
        scaler = self.scaler
        return scaler.state_dict() if scaler is not None else None

    def load_state_dict(self, state: dict[str, Any] | None) -> None:
        scaler = self.scaler
        if scaler is not None and state:
            scaler.load_state_dict(state)

    def step(self, optimizer: torch.optim.Optimizer, closure: Any = None) -> Any:
        """Step the optimizer through the scaler when there is one."""
        if self.scaler is not None:
            result = self.scaler.step(optimizer)
            self.scaler.update()
            return result
        return optimizer.step(closure) if closure is not None else optimizer.step()
