"""A STAND-IN for torch_xla, for tests on machines without a TPU.

It is not torch_xla: it installs modules named like torch_xla's into ``sys.modules`` that run
on the CPU and record every call the TPU backend makes (``CALLS``), so the tests can check
which torch_xla functions were used, with what, and in which order.
"""

from __future__ import annotations

import importlib.machinery
import sys
import types
from collections.abc import Callable, Iterable, Iterator
from typing import Any

import torch

__all__ = ["StandIn"]


class StandIn:
    """Installs the stand-in modules; ``calls`` lists (function, details) in call order."""

    def __init__(self) -> None:
        self.calls: list[tuple[str, Any]] = []
        self.ordinal = 0
        self.world = 1

    def install(self, monkeypatch: Any) -> None:
        modules = {
            "torch_xla": self._package("torch_xla"),
            "torch_xla.core": self._package("torch_xla.core"),
            "torch_xla.core.xla_model": self._xla_model(),
            "torch_xla.distributed": self._package("torch_xla.distributed"),
            "torch_xla.distributed.parallel_loader": self._parallel_loader(),
            "torch_xla.distributed.xla_multiprocessing": self._multiprocessing(),
        }
        for name, module in modules.items():
            monkeypatch.setitem(sys.modules, name, module)

    @staticmethod
    def _package(name: str) -> types.ModuleType:
        module = types.ModuleType(name)
        module.__spec__ = importlib.machinery.ModuleSpec(name, None, is_package=True)
        module.__path__ = []  # type: ignore[attr-defined]
        return module

    def _module(self, name: str, **members: Any) -> types.ModuleType:
        module = types.ModuleType(name)
        module.__spec__ = importlib.machinery.ModuleSpec(name, None)
        for key, value in members.items():
            setattr(module, key, value)
        return module

    def _xla_model(self) -> types.ModuleType:
        def xla_device() -> torch.device:
            self.calls.append(("xla_device", None))
            return torch.device("cpu")

        def optimizer_step(optimizer: Any, barrier: bool = False) -> Any:
            self.calls.append(("optimizer_step", barrier))
            return optimizer.step()

        def all_reduce(kind: str, tensor: torch.Tensor) -> torch.Tensor:
            self.calls.append(("all_reduce", kind))
            return tensor * self.world if kind == "sum" else tensor  # every replica alike

        return self._module(
            "torch_xla.core.xla_model", xla_device=xla_device, optimizer_step=optimizer_step,
            all_reduce=all_reduce, REDUCE_SUM="sum", REDUCE_MAX="max",
            get_ordinal=lambda: self.ordinal, xrt_world_size=lambda: self.world,
            rendezvous=lambda name: self.calls.append(("rendezvous", name)),
        )

    def _parallel_loader(self) -> types.ModuleType:
        calls = self.calls

        class MpDeviceLoader:
            def __init__(self, loader: Iterable[Any], device: torch.device) -> None:
                calls.append(("MpDeviceLoader", str(device)))
                self.loader = loader

            def __iter__(self) -> Iterator[Any]:
                return iter(self.loader)

        return self._module("torch_xla.distributed.parallel_loader",
                            MpDeviceLoader=MpDeviceLoader)

    def _multiprocessing(self) -> types.ModuleType:
        def spawn(fn: Callable[..., Any], args: tuple[Any, ...] = (), nprocs: int = 1,
                  start_method: str = "fork") -> None:
            # a stand-in runs only the first replica, in this process
            self.calls.append(("spawn", nprocs))
            self.world = nprocs
            fn(0, *args)

        return self._module("torch_xla.distributed.xla_multiprocessing", spawn=spawn)
