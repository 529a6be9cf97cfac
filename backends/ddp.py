"""DDP: one process per device on ``torch.distributed`` (gloo on CPU, NCCL on GPU).

The Trainer either launches the processes itself (forked, ``num_processes`` on CPU) or joins a
process group an external launcher prepared (``torchrun`` or a cluster scheduler setting
``RANK``, ``WORLD_SIZE``, ``LOCAL_RANK``, ``MASTER_ADDR`` and ``MASTER_PORT``).
"""

from __future__ import annotations

import atexit
import datetime
import gc
import importlib
import os
import warnings
from collections.abc import Callable
from typing import Any

import torch
import torch.distributed as dist

from backends.accelerator import accelerator_for
from backends.base import Backend
from backends.launcher import launched_externally, start_processes
from backends.precision import Precision
from backends.registry import build_strategy, register_strategy
from schemas.config import TrainerConfig
from schemas.errors import ConfigError

__all__ = ["DDPBackend", "StepRouter"]

_TIMEOUT = datetime.timedelta(seconds=int(os.environ.get("ORCHESTRATOR_DDP_TIMEOUT", "120")))


class StepRouter(torch.nn.Module):
    """The module as torch's ``DistributedDataParallel`` wraps it: ``router(name, *args)``
    runs ``module.<name>(*args)`` (``training_step``, ``validation_step``, ...) inside DDP's
    forward, so its hooks fire: buffers broadcast, the reducer readied for backward.

    Attributes it lacks are read from the module (a 0.8 ``configure_ddp`` may read them);
    ``find_unused_parameters`` is the backend's choice, which the default ``configure_ddp``
    passes on.
    """

    def __init__(self, module: torch.nn.Module, find_unused_parameters: bool) -> None:
        super().__init__()
        self.module = module
        self.find_unused_parameters = find_unused_parameters

    def forward(self, step_name: str, *args: Any) -> Any:
        return getattr(self.module, step_name)(*args)

    def __getattr__(self, name: str) -> Any:
        try:
            return super().__getattr__(name)
        except AttributeError:
            return getattr(self._modules["module"], name)


class DDPBackend(Backend):
    """Data-parallel training over processes, through torch's ``DistributedDataParallel``.

    Gradients are averaged by DDP's reducer in buckets while backward runs; accumulation
    micro-batches that do not step communicate nothing (``require_backward_grad_sync``, what
    ``no_sync()`` sets); buffers are broadcast from rank zero at every forward. One process on
    one GPU runs in the calling process, in a group of one (no fork: that process may have
    initialized CUDA already), unwrapped.
    """

    kind = "ddp"
    distributed = True

    def __init__(self, num_processes: int, num_nodes: int = 1, precision: int | str = 32,
                 device_type: str = "cpu", find_unused_parameters: bool = False,
                 sync_batchnorm: bool = False, start_method: str = "fork") -> None:
        self.accelerator = accelerator_for(device_type)
        self.moves_batches = self.accelerator.moves_batches
        self.root_device = torch.device(device_type)
        self.precision = Precision(precision, device_type)
        self.find_unused_parameters = find_unused_parameters
        self.sync_batchnorm = sync_batchnorm
        self.wrapped: Any = None  # torch's DistributedDataParallel (FSDP: its root unit)
        self.external = launched_externally()
        if self.external:
            self.world_size = int(os.environ["WORLD_SIZE"])
            self.global_rank = int(os.environ["RANK"])
            self.local_rank = int(os.environ.get("LOCAL_RANK", "0"))
            self.node_rank = int(os.environ.get("GROUP_RANK", os.environ.get("NODE_RANK", "0")))
        else:
            self.world_size = num_processes * num_nodes
        self.processes_here = num_processes
        # 'spawn' (ddp_spawn): fresh interpreters, which pickle the Trainer and the module;
        # 'fork': copies of this process, which need no pickling
        self.start_method = start_method

    @property
    def needs_launch(self) -> bool:
        """Whether ``fit`` must start the processes (not started by a launcher, not started,
        and not the one process of a single GPU, which runs where ``fit`` was called)."""
        return not self.external and not dist.is_initialized() and not self._runs_here

    def request(self) -> str:
        """The Trainer arguments that asked for these processes, for error messages."""
        if self.accelerator.moves_batches:
            return f"distributed_backend='ddp', gpus={self.processes_here}"
        return f"distributed_backend='ddp_cpu', num_processes={self.processes_here}"

    @property
    def _runs_here(self) -> bool:
        return self.accelerator.device_type == "cuda" and self.world_size == 1

    def launch(self, fn: Callable[..., Any], *args: Any) -> Any:
        """Start ``processes_here`` processes (forked, or spawned) running ``fn(*args)``;
        rank zero's result (see ``backends.launcher``)."""
        return start_processes(self, fn, args)

    def init_group(self, rank: int | None = None) -> None:
        """Join the process group (this process's rank comes from the launcher or ``rank``)."""
        if rank is not None:
            self.global_rank = self.local_rank = rank
        if dist.is_initialized():
            return
        backend = self.accelerator.collective_backend
        self.root_device = self.accelerator.claim(self.local_rank)
        # torch._dynamo, first imported by building an optimizer, keeps references to a
        # process group that exists when it is imported: destroy_process_group then leaves
        # gloo's threads running until the interpreter shuts down, where they can abort the
        # process. Imported before the group exists, it holds none.
        # (by import_module: an `import torch._dynamo` here would make `torch` a local name
        # of this function and break the uses above it)
        importlib.import_module("torch._dynamo")

        if self.connect is not None:
            self._connect_by_the_module(self.connect)
            return
        # a group of one in this process needs no rendezvous: a local store instead of a port
        alone = not self.external and self.world_size == 1
        dist.init_process_group(backend, rank=self.global_rank, world_size=self.world_size,
                                timeout=_TIMEOUT, store=dist.HashStore() if alone else None)
        # leave the group before the interpreter shuts down: a group still alive then can
        # abort the process ("terminate called without an active exception")
        atexit.register(self._leave)

    def _connect_by_the_module(self, connect: Callable[[int, int, bool], None]) -> None:
        connect(self.global_rank, self.world_size, False)
        if not dist.is_initialized():
            raise ConfigError(
                f"init_ddp_connection({self.global_rank}, {self.world_size}) returned without "
                "joining a process group: call torch.distributed.init_process_group in it "
                "(MASTER_ADDR and MASTER_PORT are set), or drop the override")
        atexit.register(self._leave)

    def setup(self, module: torch.nn.Module) -> torch.nn.Module:
        module.to(self.root_device)
        for tensor in [*module.parameters(), *module.buffers()]:
            dist.broadcast(tensor.data, src=0)  # every rank starts from rank zero's weights
        return module

    def to_device(self, batch: Any) -> Any:
        return self.accelerator.move(batch, self.root_device)

    def wrap(self, module: torch.nn.Module, several_optimizers: bool,
             configure: Callable[[torch.nn.Module, list[int] | None], Any]) -> None:
        """Wrap ``module`` in ``DistributedDataParallel`` through ``configure`` (the module's
        ``configure_ddp``), once its optimizers are known: several optimizers train parts of
        the module in turn, so some parameters go unused in a pass."""
        if self.world_size == 1:
            return
        if self.sync_batchnorm:
            torch.nn.SyncBatchNorm.convert_sync_batchnorm(module)  # layers replaced in place
        router = StepRouter(module, self.find_unused_parameters or several_optimizers)
        self.wrapped = configure(router, self.accelerator.device_ids(self.root_device))

    def step_caller(self, module: torch.nn.Module, name: str) -> Callable[..., Any]:
        wrapped = self.wrapped
        if wrapped is None:
            return super().step_caller(module, name)

        def call(*args: Any) -> Any:
            try:
                return wrapped(name, *args)
            except RuntimeError as exc:  # torch's words name its own argument: say ours too
                if "find_unused_parameters" not in str(exc):
                    raise
                raise RuntimeError(
                    f"{exc}\nHere: pass Trainer(distributed_backend="
                    "'ddp_find_unused_parameters_true'), or return a DDP wrapper built with "
                    "find_unused_parameters=True from the module's configure_ddp") from None

        return call

    def grad_sync_gate(self) -> Callable[[bool], None] | None:
        wrapped = self.wrapped
        if wrapped is None:
            return None

        def gate(syncs: bool) -> None:
            wrapped.require_backward_grad_sync = syncs

        return gate

    def reduce(self, tensor: torch.Tensor, op: str = "mean") -> torch.Tensor:
        value = tensor.detach().to(self.root_device, dtype=torch.float32).clone()
        dist.all_reduce(value, op=dist.ReduceOp.MAX if op == "max" else dist.ReduceOp.SUM)
        return value / self.world_size if op == "mean" else value

    def barrier(self, name: str | None = None) -> None:
        dist.barrier()

    def gather_object(self, obj: Any) -> list[Any]:
        gathered: list[Any] = [None] * self.world_size
        dist.all_gather_object(gathered, obj)
        return gathered

    def broadcast(self, obj: Any, src: int = 0) -> Any:
        holder = [obj]
        dist.broadcast_object_list(holder, src=src)
        return holder[0]

    def teardown(self) -> None:
        if not self.external:
            self._leave()

    def _leave(self) -> None:
        # DDP's reducer holds the group: gloo's threads stop only once it is gone
        self.wrapped = None
        gc.collect()
        _leave_group(farewell=not self.failed)


def _options(config: TrainerConfig) -> dict[str, Any]:
    return {"find_unused_parameters":
            config.distributed_backend == "ddp_find_unused_parameters_true",
            "sync_batchnorm": config.sync_batchnorm,
            "start_method": "spawn" if config.distributed_backend == "ddp_spawn" else "fork"}


def cpu_processes(config: TrainerConfig, processes: int) -> DDPBackend:
    """``processes`` CPU processes a node on gloo."""
    if config.sync_batchnorm:
        raise ConfigError(
            "Trainer(sync_batchnorm=True) syncs BatchNorm statistics with torch's "
            "SyncBatchNorm, which runs on GPUs only; on the CPU drop sync_batchnorm (each "
            "process keeps its own statistics, and DDP broadcasts rank zero's at every forward)")
    return DDPBackend(processes, config.num_nodes, config.precision, "cpu", **_options(config))


@register_strategy("ddp_cpu", "`num_processes` CPU processes a node on gloo, through torch's "
                   "DistributedDataParallel; forked by the Trainer, or started by a launcher")
def _build_ddp_cpu(config: TrainerConfig, gpu_ids: list[int]) -> Backend:
    return cpu_processes(config, config.num_processes)


def _build_ddp(config: TrainerConfig, gpu_ids: list[int]) -> Backend:
    if gpu_ids:
        return DDPBackend(len(gpu_ids), config.num_nodes, config.precision, "cuda",
                          **_options(config))
    if launched_externally():
        return cpu_processes(config, 1)  # one of the processes a launcher started
    if config.num_processes == 1 and config.num_nodes == 1:  # as 0.8.5: one CPU process
        warnings.warn(
            f"Trainer(distributed_backend={config.distributed_backend!r}) runs one process per "
            "GPU, and no gpus were given: training in one process on the CPU; pass "
            "num_processes=N for N CPU processes", UserWarning, stacklevel=5)
        return build_strategy(None, config, gpu_ids)
    return cpu_processes(config, config.num_processes)  # 0.8.5's ddp_cpu


register_strategy("ddp", "one process per GPU on NCCL (`gpus=N`); without GPUs, "
                  "`num_processes` CPU processes as 'ddp_cpu'")(_build_ddp)
register_strategy("ddp_spawn", "as 'ddp', the processes started with the spawn method "
                  "(fresh interpreters: the Trainer and the module are pickled)")(_build_ddp)
register_strategy("ddp_find_unused_parameters_true",
                  "as 'ddp', with DDP's find_unused_parameters=True")(_build_ddp)


def _leave_group(farewell: bool) -> None:
    if not dist.is_initialized():
        return
    if farewell:
        try:
            dist.barrier()  # every rank leaves together: none tears down while a peer talks
        except Exception:  # a peer already failed; leave anyway
            pass
    dist.destroy_process_group()


