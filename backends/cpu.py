"""The CPU backend: one process, tensors stay where the DataLoader put them."""

from __future__ import annotations

from typing import Any

import torch

from backends.base import Backend
from backends.gpu import GPUBackend
from backends.precision import Precision
from backends.registry import build_strategy, register_strategy
from schemas.config import TrainerConfig
from schemas.errors import ConfigError

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


@register_strategy(None, "the CPU, or one GPU (`gpus=1`); `num_processes=N` as 'ddp_cpu'")
def _build_one_process(config: TrainerConfig, gpu_ids: list[int]) -> Backend:
    """No distributed_backend: the CPU, one GPU, or CPU processes for num_processes > 1."""
    if config.num_processes > 1:
        return build_strategy("ddp_cpu", config, gpu_ids)
    if config.num_nodes > 1:
        raise ConfigError(
            f"Trainer(num_nodes={config.num_nodes}) needs distributed_backend='ddp' or "
            "'ddp_cpu', started on every node by a launcher such as torchrun"
        )
    if not gpu_ids:
        return CPUBackend(config.precision)
    if len(gpu_ids) > 1:
        raise ConfigError(
            f"Trainer(gpus={config.gpus!r}) asks for several GPUs: choose "
            "distributed_backend='ddp'"
        )
    return GPUBackend(gpu_ids[0], config.precision)
