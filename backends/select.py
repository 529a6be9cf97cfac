"""Choose the backend a Trainer configuration asks for, or say why it cannot run here."""

from __future__ import annotations

import importlib.util

import torch

import backends.cpu
import backends.ddp
import backends.dp
import backends.fsdp  # noqa: F401 - each strategy module registers its names
from backends.base import Backend
from backends.registry import build_strategy
from schemas.config import TrainerConfig
from schemas.errors import ConfigError, HardwareUnavailableError

__all__ = ["select_backend"]


def select_backend(config: TrainerConfig) -> Backend:
    """The backend for ``config``; raises when the requested GPUs are not present (a TPU
    backend without torch_xla raises when a run starts, as 0.8.5 did)."""
    if config.tpu_cores is not None:
        return _tpu(config)
    if config.gpu_ids:
        _require_cuda(config)
    if config.precision == 16 and not config.gpu_ids:
        raise HardwareUnavailableError(
            "Trainer(precision=16) needs a GPU (float16 autocast with a gradient scaler); "
            "on the CPU use precision='bf16' or 32"
        )
    return build_strategy(config.distributed_backend, config, _gpu_ids(config))


def _gpu_ids(config: TrainerConfig) -> list[int]:
    """The GPU indices asked for, with -1 ("all") expanded to every visible GPU, and with
    ``auto_select_gpus`` the first GPUs that accept an allocation (for exclusive mode)."""
    ids = config.gpu_ids or []
    if ids == [-1]:
        return list(range(torch.cuda.device_count()))
    if ids and config.auto_select_gpus and isinstance(config.gpus, int):
        free = [i for i in range(torch.cuda.device_count()) if _usable(i)]
        if len(free) < len(ids):
            raise HardwareUnavailableError(
                f"Trainer(gpus={config.gpus}, auto_select_gpus=True) found only {len(free)} "
                "GPU(s) that accept work; lower gpus or free a GPU"
            )
        return free[:len(ids)]
    return ids


def _usable(index: int) -> bool:
    try:
        torch.empty(1, device=torch.device("cuda", index))
    except RuntimeError:
        return False
    return True


def _tpu(config: TrainerConfig) -> Backend:
    if config.distributed_backend is not None:
        raise ConfigError(
            f"Trainer(tpu_cores={config.tpu_cores}, distributed_backend="
            f"{config.distributed_backend!r}): a TPU run needs no distributed_backend; drop it"
        )
    from backends.tpu import TPUBackend, XLAMissingBackend

    if importlib.util.find_spec("torch_xla") is None:  # built as 0.8.5 builds it; runs refused
        return XLAMissingBackend(config.tpu_core_count or 1, (
            f"Trainer(tpu_cores={config.tpu_cores}) needs torch_xla, which is not "
            "installed; on a TPU host run `pip install torch_xla` matching your torch version, "
            "or drop tpu_cores to train on the CPU"))
    return TPUBackend(config.tpu_core_count or 1, config.precision)


def _require_cuda(config: TrainerConfig) -> None:
    # device_count() asks NVML and leaves CUDA uninitialized (is_available() would initialize
    # it), so processes forked for DDP can still use their GPUs
    available = torch.cuda.device_count()
    wanted = config.gpu_ids or []
    if available == 0:
        raise HardwareUnavailableError(
            f"Trainer(gpus={config.gpus!r}) asks for a GPU, but torch sees none "
            "(torch.cuda.device_count() is 0); use gpus=None (the default) to train on "
            "the CPU, or install a CUDA build of torch on a machine with a GPU"
        )
    missing = [i for i in wanted if i >= available]
    if missing and wanted != [-1]:
        raise HardwareUnavailableError(
            f"Trainer(gpus={config.gpus!r}) asks for GPU {missing}, but only {available} "
            f"GPU(s) are visible (indices 0..{available - 1})"
        )
