"""Choose the backend a Trainer configuration asks for, or say why it cannot run here."""

from __future__ import annotations

import importlib.util

import torch

from backends.base import Backend
from backends.cpu import CPUBackend
from schemas.config import TrainerConfig
from schemas.errors import ConfigError, HardwareUnavailableError

__all__ = ["select_backend"]


def select_backend(config: TrainerConfig) -> Backend:
    """The backend for ``config``; raises when the requested hardware is not present."""
    if config.gpu_ids:
        _require_cuda(config)
    if config.num_tpu_cores is not None and importlib.util.find_spec("torch_xla") is None:
        raise HardwareUnavailableError(
            f"Trainer(num_tpu_cores={config.num_tpu_cores}) needs torch_xla, which is not "
            "installed; on a TPU host run `pip install torch_xla` matching your torch version, "
            "or drop num_tpu_cores to train on the CPU"
        )
    if config.num_tpu_cores is not None:
        raise ConfigError(
            f"Trainer(num_tpu_cores={config.num_tpu_cores}): torch_xla is installed, but this "
            "version has no TPU backend yet; drop num_tpu_cores to train on the CPU"
        )
    if config.precision == 16:
        raise HardwareUnavailableError(
            "Trainer(precision=16) needs a GPU (float16 autocast with a gradient scaler); "
            "on the CPU use precision='bf16' or 32"
        )
    if config.distributed_backend is not None or config.num_processes > 1 or config.num_nodes > 1:
        raise ConfigError(
            f"Trainer(distributed_backend={config.distributed_backend!r}, "
            f"num_processes={config.num_processes}, num_nodes={config.num_nodes}) asks for "
            "several processes, which this version does not run yet; leave these at their "
            "defaults to train in one process"
        )
    return CPUBackend(config.precision)


def _require_cuda(config: TrainerConfig) -> None:
    available = torch.cuda.device_count() if torch.cuda.is_available() else 0
    wanted = config.gpu_ids or []
    if available == 0:
        raise HardwareUnavailableError(
            f"Trainer(gpus={config.gpus!r}) asks for a GPU, but torch sees none "
            "(torch.cuda.is_available() is False); use gpus=None (the default) to train on "
            "the CPU, or install a CUDA build of torch on a machine with a GPU"
        )
    missing = [i for i in wanted if i >= available]
    if missing:
        raise HardwareUnavailableError(
            f"Trainer(gpus={config.gpus!r}) asks for GPU {missing}, but only {available} "
            f"GPU(s) are visible (indices 0..{available - 1})"
        )
    raise ConfigError(
        f"Trainer(gpus={config.gpus!r}): GPU training is not supported by this version yet; "
        "use gpus=None"
    )
