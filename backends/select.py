"""Choose the backend a Trainer configuration asks for, or say why it cannot run here."""

from __future__ import annotations

import importlib.util
import warnings
from collections.abc import Callable

import torch

from backends.base import Backend
from backends.cpu import CPUBackend
from backends.ddp import DDPBackend, launched_externally
from backends.dp import DDP2Backend, DPBackend
from backends.gpu import GPUBackend
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
    return _BUILDERS[config.distributed_backend](config, _gpu_ids(config))


def _dp(config: TrainerConfig, gpu_ids: list[int]) -> Backend:
    if not gpu_ids:  # as 0.8.5: one process on the CPU, said out loud
        warnings.warn(
            "Trainer(distributed_backend='dp') splits each batch over GPUs, and no gpus were "
            "given: training in one process on the CPU; pass gpus=N to use DP, or use "
            "'ddp_cpu' for several CPU processes", UserWarning, stacklevel=4)
        return _one_process(config, gpu_ids)
    return DPBackend(gpu_ids, config.precision)


def _ddp2(config: TrainerConfig, gpu_ids: list[int]) -> Backend:
    if not gpu_ids:  # as 0.8.5 (and 'dp'): one process on the CPU, said out loud
        warnings.warn(
            "Trainer(distributed_backend='ddp2') runs DP over each node's GPUs and DDP across "
            "nodes, and no gpus were given: training in one process on the CPU; pass gpus=N "
            "to use DDP2, or use 'ddp_cpu' for several CPU processes", UserWarning, stacklevel=4)
        return _one_process(config, gpu_ids)
    return DDP2Backend(gpu_ids, config.num_nodes, config.precision)


def _ddp_options(config: TrainerConfig) -> dict[str, bool]:
    return {"find_unused_parameters":
            config.distributed_backend == "ddp_find_unused_parameters_true",
            "sync_batchnorm": config.sync_batchnorm}


def _ddp_cpu(config: TrainerConfig, gpu_ids: list[int]) -> Backend:
    return _cpu_processes(config, config.num_processes)


def _cpu_processes(config: TrainerConfig, processes: int) -> Backend:
    if config.sync_batchnorm:
        raise ConfigError(
            "Trainer(sync_batchnorm=True) syncs BatchNorm statistics with torch's "
            "SyncBatchNorm, which runs on GPUs only; on the CPU drop sync_batchnorm (each "
            "process keeps its own statistics, and DDP broadcasts rank zero's at every forward)")
    return DDPBackend(processes, config.num_nodes, config.precision, "cpu",
                      **_ddp_options(config))


def _ddp(config: TrainerConfig, gpu_ids: list[int]) -> Backend:
    if gpu_ids:
        return DDPBackend(len(gpu_ids), config.num_nodes, config.precision, "cuda",
                          **_ddp_options(config))
    if launched_externally():
        return _cpu_processes(config, 1)  # one of the processes a launcher started
    if config.num_processes == 1 and config.num_nodes == 1:  # as 0.8.5: one CPU process
        warnings.warn(
            f"Trainer(distributed_backend={config.distributed_backend!r}) runs one process per "
            "GPU, and no gpus were given: training in one process on the CPU; pass "
            "num_processes=N for N CPU processes", UserWarning, stacklevel=4)
        return _one_process(config, gpu_ids)
    return _ddp_cpu(config, gpu_ids)  # num_processes CPU processes a node (0.8.5's ddp_cpu)


def _one_process(config: TrainerConfig, gpu_ids: list[int]) -> Backend:
    """No distributed_backend: the CPU, one GPU, or CPU processes for num_processes > 1."""
    if config.num_processes > 1:
        return _ddp_cpu(config, gpu_ids)
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


# each distributed_backend choice, and the backend it builds
_BUILDERS: dict[str | None, Callable[[TrainerConfig, list[int]], Backend]] = {
    None: _one_process, "dp": _dp, "ddp2": _ddp2, "ddp_cpu": _ddp_cpu, "ddp": _ddp,
    "ddp_spawn": _ddp, "ddp_find_unused_parameters_true": _ddp,
}


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
