"""The TPU backend, through torch_xla: device, optimizer step, parallel loader, reduce, spawn.

Imported only when ``tpu_cores`` is set. Where ``torch_xla`` is missing, the Trainer is still
built (0.8.5 builds it: a command line parsed on a laptop) on ``XLAMissingBackend``, and fit or
test says how to install it before anything runs. Tested here against a stand-in module
(``tests/backends/standin_torch_xla``) that records the calls; not run on a real TPU.
"""

from __future__ import annotations

import importlib
from collections.abc import Callable, Iterable
from typing import Any

import torch

from backends.accelerator import move_to
from backends.base import Backend
from backends.precision import Precision
from schemas.errors import HardwareUnavailableError

__all__ = ["TPUBackend", "XLAMissingBackend"]


class XLAMissingBackend(Backend):
    """``tpu_cores`` asked where torch_xla is not installed: the Trainer's TPU settings read as
    asked, and a run raises ``HardwareUnavailableError`` with ``reason`` before it starts."""

    kind = "tpu"

    def __init__(self, cores: int, reason: str) -> None:
        self.cores = self.world_size = cores
        self.reason = reason
        self.precision = Precision(32, "cpu")

    def ensure_available(self) -> None:
        raise HardwareUnavailableError(self.reason)

    def setup(self, module: torch.nn.Module) -> torch.nn.Module:
        raise HardwareUnavailableError(self.reason)

    def to_device(self, batch: Any) -> Any:
        raise HardwareUnavailableError(self.reason)


class TPUBackend(Backend):
    """One XLA device per process; with 8 cores, ``launch`` spawns 8 processes."""

    kind = "tpu"

    def __init__(self, cores: int, precision: int | str = 32) -> None:
        self.xm = importlib.import_module("torch_xla.core.xla_model")
        self.parallel_loader = importlib.import_module("torch_xla.distributed.parallel_loader")
        self.xmp = importlib.import_module("torch_xla.distributed.xla_multiprocessing")
        self.cores = cores
        self.precision = Precision(precision if precision == "bf16" else 32, "cpu")
        self.root_device = torch.device("cpu")  # set per process in init_group / setup
        self.world_size = cores
        self._started = cores == 1

    @property
    def needs_launch(self) -> bool:
        return not self._started

    def launch(self, fn: Callable[..., Any], *args: Any) -> Any:
        """Run ``fn`` on every core with torch_xla's process spawner; rank zero's result."""
        results: dict[int, Any] = {}

        def per_core(index: int) -> None:
            self._started = True
            self.init_group(index)
            results[self.global_rank] = fn(*args)

        self.xmp.spawn(per_core, args=(), nprocs=self.cores, start_method="fork")
        return results.get(0)

    def init_group(self, rank: int | None = None) -> None:
        self.root_device = self.xm.xla_device()
        self.global_rank = self.local_rank = self.xm.get_ordinal()
        self.world_size = self.xm.xrt_world_size()

    def setup(self, module: torch.nn.Module) -> torch.nn.Module:
        if self.cores == 1:
            self.init_group()
        return module.to(self.root_device)

    def to_device(self, batch: Any) -> Any:
        return move_to(batch, self.root_device)

    def device_loader(self, loader: Iterable[Any]) -> Iterable[Any]:
        """Batches fed to the device by torch_xla's parallel loader."""
        return self.parallel_loader.MpDeviceLoader(loader, self.root_device)

    def optimizer_step(self, optimizer: torch.optim.Optimizer, closure: Any = None) -> Any:
        return self.xm.optimizer_step(optimizer, barrier=self.cores == 1)

    def optimizer_stepper(self) -> Callable[[torch.optim.Optimizer], Any] | None:
        return self.optimizer_step  # every step goes through torch_xla

    def reduce(self, tensor: torch.Tensor, op: str = "mean") -> torch.Tensor:
        if self.world_size == 1:
            return tensor
        kind = self.xm.REDUCE_MAX if op == "max" else self.xm.REDUCE_SUM
        value = self.xm.all_reduce(kind, tensor.detach().float())
        return value / self.world_size if op == "mean" else value

    def barrier(self, name: str | None = None) -> None:
        self.xm.rendezvous(name or "barrier")
