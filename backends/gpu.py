"""The single-GPU backend, and moving a batch's tensors to a device."""

from __future__ import annotations

import ctypes
from typing import Any

import torch

from backends.accelerator import move_to
from backends.base import Backend
from backends.precision import Precision

__all__ = ["GPUBackend", "cuda_driver_initialized", "gpu_memory_used"]


def cuda_driver_initialized() -> bool:
    """Whether this process has initialized the CUDA driver, asked without initializing it.

    Before ``cuInit`` every driver call but a few answers CUDA_ERROR_NOT_INITIALIZED, so a
    device count that succeeds means CUDA is up. A process forked after that cannot use CUDA.
    """
    try:
        driver = ctypes.CDLL("libcuda.so.1")
    except OSError:  # no NVIDIA driver on this machine
        return False
    count = ctypes.c_int()
    return int(driver.cuDeviceGetCount(ctypes.byref(count))) == 0


class GPUBackend(Backend):
    """One CUDA device in this process; 32-bit, 16-bit with a gradient scaler, or bf16."""

    kind = "gpu"

    def __init__(self, index: int, precision: int | str = 32) -> None:
        self.root_device = torch.device("cuda", index)
        self.precision = Precision(precision, "cuda")
        torch.cuda.set_device(self.root_device)

    def setup(self, module: torch.nn.Module) -> torch.nn.Module:
        return module.to(self.root_device)

    def to_device(self, batch: Any) -> Any:
        return move_to(batch, self.root_device)


def gpu_memory_used(mode: str) -> dict[str, float]:
    """Memory in use on each visible GPU in MB, as ``nvidia-smi`` counts it (total - free):
    ``'all'`` one value per GPU (``gpu_id: N/memory.used (MB)``), ``'min_max'`` the least and
    most used; empty without CUDA."""
    if not torch.cuda.is_available():
        return {}
    used = []
    for index in range(torch.cuda.device_count()):
        free, total = torch.cuda.mem_get_info(index)
        used.append((total - free) / 2**20)
    if mode == "min_max":
        return {"min_gpu_mem": min(used), "max_gpu_mem": max(used)}
    return {f"gpu_id: {index}/memory.used (MB)": mb for index, mb in enumerate(used)}
