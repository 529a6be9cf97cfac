"""DP: one process, the batch split over several GPUs, a replica of the module on each."""

from __future__ import annotations

import threading
import warnings
from collections.abc import Mapping
from typing import Any

import torch

from backends.accelerator import move_to
from backends.base import Backend
from backends.ddp import DDPBackend
from backends.precision import Precision
from backends.registry import build_strategy, register_strategy
from schemas.config import TrainerConfig

__all__ = ["DDP2Backend", "DPBackend", "run_on_parts", "split_batch"]


def split_batch(batch: Any, parts: int) -> list[Any]:
    """Split every tensor of the batch along dim 0 into at most ``parts`` chunks; other
    values are repeated in every chunk."""
    if isinstance(batch, torch.Tensor):
        return list(torch.chunk(batch, parts))
    if isinstance(batch, Mapping):
        split = {key: split_batch(value, parts) for key, value in batch.items()}
        count = min(len(v) for v in split.values()) if split else 1
        return [{key: value[i] for key, value in split.items()} for i in range(count)]
    if isinstance(batch, list | tuple):
        columns = [split_batch(value, parts) for value in batch]
        count = min(len(c) for c in columns) if columns else 1
        rows = [[column[i] for column in columns] for i in range(count)]
        if isinstance(batch, tuple) and hasattr(batch, "_fields"):
            return [type(batch)(*row) for row in rows]
        return [type(batch)(row) for row in rows]
    return [batch] * parts


def run_on_parts(module: torch.nn.Module, name: str, batch: Any, rest: tuple[Any, ...],
                 device_ids: list[int], precision: Precision,
                 root: torch.device) -> list[Any]:
    """``module.<name>`` on each GPU's part of ``batch``, a replica per GPU, in threads (as
    ``torch.nn.DataParallel`` does); the outputs come back on ``root``."""
    parts = split_batch(batch, len(device_ids))
    devices = [torch.device("cuda", i) for i in device_ids[:len(parts)]]
    replicas = torch.nn.parallel.replicate(module, devices)
    outputs: list[Any] = [None] * len(parts)
    errors: list[BaseException] = []

    def run(index: int) -> None:
        try:
            with torch.cuda.device(devices[index]), precision.autocast():
                part = move_to(parts[index], devices[index])
                outputs[index] = getattr(replicas[index], name)(part, *rest)
        except BaseException as exc:  # re-raised in the calling thread
            errors.append(exc)

    threads = [threading.Thread(target=run, args=(i,)) for i in range(len(parts))]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    if errors:
        raise errors[0]
    return [move_to(output, root) for output in outputs]


class DPBackend(Backend):
    """``training_step``/``validation_step``/``test_step`` run on each GPU's part of the batch;
    ``*_step_end`` gets the gathered parts (without an override the parts' scalars are
    averaged, so the loss is the mean of the parts' losses)."""

    kind = "dp"
    data_parallel = True

    def __init__(self, device_ids: list[int], precision: int | str = 32) -> None:
        self.device_ids = device_ids
        self.root_device = torch.device("cuda", device_ids[0])
        self.precision = Precision(precision, "cuda")

    def setup(self, module: torch.nn.Module) -> torch.nn.Module:
        return module.to(self.root_device)

    def to_device(self, batch: Any) -> Any:
        return batch  # each part is moved to its own GPU in step_parts

    def step_parts(self, module: torch.nn.Module, name: str, batch: Any, *rest: Any) -> list[Any]:
        return run_on_parts(module, name, batch, rest, self.device_ids, self.precision,
                            self.root_device)


class DDP2Backend(DDPBackend):
    """DDP across nodes (one process per node), DP over the node's GPUs inside each process;
    ``*_step_end`` receives the node's parts."""

    kind = "ddp2"
    data_parallel = True

    def __init__(self, device_ids: list[int], num_nodes: int, precision: int | str = 32) -> None:
        super().__init__(1, num_nodes, precision, "cuda")
        self.device_ids = device_ids

    def step_parts(self, module: torch.nn.Module, name: str, batch: Any, *rest: Any) -> list[Any]:
        return run_on_parts(module, name, batch, rest, self.device_ids, self.precision,
                            self.root_device)


def _on_cpu_instead(config: TrainerConfig, gpu_ids: list[int], does: str) -> Backend:
    # as 0.8.5: one process on the CPU, said out loud
    warnings.warn(
        f"Trainer(distributed_backend={config.distributed_backend!r}) {does}, and no gpus "
        "were given: training in one process on the CPU; pass gpus=N to use it, or use "
        "'ddp_cpu' for several CPU processes", UserWarning, stacklevel=6)
    return build_strategy(None, config, gpu_ids)


@register_strategy("dp", "one process; each batch split over `gpus=N` GPUs (threads, as "
                   "torch.nn.DataParallel)")
def _build_dp(config: TrainerConfig, gpu_ids: list[int]) -> Backend:
    if not gpu_ids:
        return _on_cpu_instead(config, gpu_ids, "splits each batch over GPUs")
    return DPBackend(gpu_ids, config.precision)


@register_strategy("ddp2", "DDP across nodes, one process a node running DP over its GPUs")
def _build_ddp2(config: TrainerConfig, gpu_ids: list[int]) -> Backend:
    if not gpu_ids:
        return _on_cpu_instead(config, gpu_ids, "runs DP over each node's GPUs and DDP across "
                               "nodes")
    return DDP2Backend(gpu_ids, config.num_nodes, config.precision)
