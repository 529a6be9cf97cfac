"""Accelerators: the device a process computes on, how batches reach it, and which
``torch.distributed`` backend its processes talk through."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

import torch

__all__ = ["Accelerator", "CPUAccelerator", "CUDAAccelerator", "accelerator_for", "move_to"]


def move_to(batch: Any, device: torch.device) -> Any:
    """The batch with every tensor on ``device``: inside dicts, lists, tuples, namedtuples,
    and any object with a ``.to(device)`` method."""
    if isinstance(batch, torch.Tensor):
        return batch.to(device, non_blocking=True)
    if isinstance(batch, Mapping):
        moved = {k: move_to(v, device) for k, v in batch.items()}
        return moved if type(batch) is dict else type(batch)(moved)  # type: ignore[call-arg]
    if isinstance(batch, tuple) and hasattr(batch, "_fields"):
        return type(batch)(*(move_to(v, device) for v in batch))
    if isinstance(batch, list | tuple):
        return type(batch)(move_to(v, device) for v in batch)
    if hasattr(batch, "to") and callable(batch.to):
        return batch.to(device)
    return batch


class Accelerator:
    """A kind of device. Strategies hold one and ask it the device facts."""

    device_type = "cpu"
    collective_backend = "gloo"  # the torch.distributed backend of its processes
    moves_batches = False  # False: DataLoader batches are already where they compute

    def claim(self, local_rank: int) -> torch.device:
        """The device of the process with this local rank, made its current device."""
        return torch.device(self.device_type)

    def move(self, batch: Any, device: torch.device) -> Any:
        """``batch`` on ``device`` (as it came where batches need no move)."""
        return batch

    def device_ids(self, device: torch.device) -> list[int] | None:
        """The ``device_ids`` torch's DDP takes for a module on ``device`` (None on CPU)."""
        return None


class CPUAccelerator(Accelerator):
    """The CPU: tensors stay where the DataLoader put them; processes talk over gloo."""


class CUDAAccelerator(Accelerator):
    """An NVIDIA GPU: batches moved to it; processes talk over NCCL."""

    device_type = "cuda"
    collective_backend = "nccl"
    moves_batches = True

    def claim(self, local_rank: int) -> torch.device:
        torch.cuda.set_device(local_rank)
        return torch.device("cuda", local_rank)

    def move(self, batch: Any, device: torch.device) -> Any:
        return move_to(batch, device)

    def device_ids(self, device: torch.device) -> list[int] | None:
        return [device.index if device.index is not None else torch.cuda.current_device()]


_ACCELERATORS: dict[str, type[Accelerator]] = {"cpu": CPUAccelerator, "cuda": CUDAAccelerator}


def accelerator_for(device_type: str) -> Accelerator:
    """The accelerator of ``device_type`` (``'cpu'`` or ``'cuda'``)."""
    return _ACCELERATORS[device_type]()
