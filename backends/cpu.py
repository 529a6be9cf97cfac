"""The CPU backend: one process, tensors stay where the DataLoader put them."""

from __future__ import annotations

from typing import Any

import torch

from backends.base import Backend
from backends.precision import Precision

__all__ = ["CPUBackend"]


class CPUBackend(Backend):
    """Runs everything on the CPU in this process; 32-bit or bf16 autocast."""

    moves_batches = False

    def __init__(self, precision: int | str = 32) -> None:
        self.root_device = torch.device("cpu")
        self.precision = Precision(precision, "cpu")

    def setup(self, module: torch.nn.Module) -> torch.nn.Module:
        return module.to(self.root_device)

    def to_device(self, batch: Any) -> Any:
        return batch  # DataLoader batches are already on the CPU
