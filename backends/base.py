"""The Backend interface: device placement, precision and collectives for one kind of hardware."""

from __future__ import annotations

import contextlib
from abc import ABC, abstractmethod
from collections.abc import Callable
from typing import Any

import torch

from backends.precision import Precision

__all__ = ["Backend"]


class Backend(ABC):
    """Where a run's tensors live and how its processes talk.

    Single-process backends return their input unchanged from the collectives.
    """

    root_device: torch.device
    precision: Precision
    kind: str = "cpu"  # what it runs: 'cpu', 'gpu', 'dp', 'ddp', 'ddp2' or 'tpu'
    data_parallel: bool = False  # True: steps run on parts of the batch (see step_parts)
    moves_batches: bool = True  # False: to_device returns every batch as it came
    failed: bool = False  # set when this process's run raised
    distributed: bool = False  # True: joins a torch.distributed process group (init_group)
    shards_state: bool = False  # True: module and optimizer states are gathered (full_state)
    writes_shards: bool = False  # True: checkpoints are folders of per-rank shards (DCP)
    global_rank: int = 0
    local_rank: int = 0
    node_rank: int = 0
    world_size: int = 1
    # the module's own way to join the process group (0.8.5's init_ddp_connection override):
    # called as (global_rank, world_size, is_slurm_managing_tasks) instead of the backend's
    connect: Callable[[int, int, bool], None] | None = None

    def __init_subclass__(cls, **kwargs: Any) -> None:
        super().__init_subclass__(**kwargs)
        # a class with its own to_device is called for every batch unless it says otherwise
        if "to_device" in cls.__dict__ and "moves_batches" not in cls.__dict__:
            cls.moves_batches = True

    @property
    def is_global_zero(self) -> bool:
        """Whether this process writes checkpoints and logs."""
        return self.global_rank == 0

    @property
    def several_processes(self) -> bool:
        """Whether collectives talk to other processes: metrics are averaged over them, data
        sharded, generator states gathered into checkpoints, and rank zero alone logs."""
        return self.world_size > 1

    @property
    def on_gpu(self) -> bool:
        return self.root_device.type == "cuda"

    @abstractmethod
    def setup(self, module: torch.nn.Module) -> torch.nn.Module:
        """Move the module to the root device (and wrap it where the backend needs to)."""

    @abstractmethod
    def to_device(self, batch: Any) -> Any:
        """The batch with every tensor on the root device."""

    def optimizer_step(self, optimizer: torch.optim.Optimizer, closure: Any = None) -> Any:
        """Step an optimizer, through the precision's scaler when there is one."""
        return self.precision.step(optimizer, closure)

    def optimizer_stepper(self) -> Callable[[torch.optim.Optimizer], Any] | None:
        """The training step's optimizer-step phase where a plain ``optimizer.step()`` is not
        enough (a gradient scaler; a device's own step); None otherwise."""
        return self.optimizer_step if self.precision.scales else None

    def wrap(self, module: torch.nn.Module, several_optimizers: bool,  # noqa: B027
             configure: Callable[[torch.nn.Module, list[int] | None], Any]) -> None:
        """Wrap the module for the engine that trains it (torch's DDP), once its optimizers
        are configured; ``configure`` is the module's ``configure_ddp``. Nothing by default."""

    def step_caller(self, module: torch.nn.Module, name: str) -> Callable[..., Any]:
        """How the step hook ``name`` (``training_step``, ...) is called: the module's bound
        method, or through the engine's wrapper so that its hooks fire."""
        return getattr(module, name)  # type: ignore[no-any-return]

    def grad_sync_gate(self) -> Callable[[bool], None] | None:
        """Called before each pass with whether its backward must sync gradients across
        processes (False on accumulation micro-batches); None where nothing syncs."""
        return None

    def full_state(self, state: Any) -> Any:
        """``state`` (a module's, an optimizer's or the gradients' state) as a checkpoint
        holds it: whole tensors. As it is, except where tensors are sharded (FSDP)."""
        return state

    def keeping_shards(self) -> contextlib.AbstractContextManager[None]:
        """Within it, ``full_state`` leaves shards as they are (a sharded checkpoint writes
        each rank's own)."""
        return contextlib.nullcontext()

    def load_module_state(self, module: torch.nn.Module, state: dict[str, Any]) -> None:
        """Load a full ``state_dict`` into ``module`` (sharding it where the module is)."""
        module.load_state_dict(state)

    def shard_like(self, value: torch.Tensor, param: torch.Tensor) -> torch.Tensor:
        """A full tensor of ``param``'s shape (its gradient, its optimizer state), laid out
        as ``param`` is: as it is, except where parameters are sharded (FSDP)."""
        return value

    def ensure_available(self) -> None:  # noqa: B027 - every backend but one is runnable
        """Raise when this backend's hardware or library is missing (checked before a run)."""

    @property
    def needs_launch(self) -> bool:
        """Whether ``fit`` must start processes through ``launch`` first."""
        return False

    def init_group(self, rank: int | None = None) -> None:  # noqa: B027
        """Join the process group of a multi-process run (nothing to join on one process)."""

    def teardown(self) -> None:  # noqa: B027 - single-process backends hold nothing
        """Leave the process group, if any."""

    def reduce(self, tensor: torch.Tensor, op: str = "mean") -> torch.Tensor:
        """Reduce a tensor across processes (identity on one process)."""
        return tensor

    def barrier(self, name: str | None = None) -> None:  # noqa: B027 - a no-op by default
        """Wait for every process (nothing to wait for on one process)."""

    def step_parts(self, module: torch.nn.Module, name: str, batch: Any, *rest: Any) -> list[Any]:
        """Run ``module.<name>(batch, *rest)`` on each part of the batch (data parallel)."""
        return [getattr(module, name)(batch, *rest)]

    def parts_caller(self, module: torch.nn.Module, name: str) -> Callable[..., list[Any]] | None:
        """Where the step hook ``name`` runs on parts of each batch (data parallel): a call
        that returns their outputs, which ``*_step_end`` then receives gathered. None: the
        hook runs once on the whole batch, through ``step_caller``."""
        if not self.data_parallel:
            return None
        return lambda *args: self.step_parts(module, name, *args)

    def device_loader(self, loader: Any) -> Any:
        """The loader whose batches feed the device (the loader itself on most backends)."""
        return loader

    def gather_object(self, obj: Any) -> list[Any]:
        """``obj`` of every process, by rank (a list of one on one process)."""
        return [obj]

    def broadcast(self, obj: Any, src: int = 0) -> Any:
        """Send ``obj`` from ``src`` to every process (identity on one process)."""
        return obj

    def launch(self, fn: Callable[..., Any], *args: Any) -> Any:
        """Run ``fn`` in this backend's processes and return rank zero's result."""
        return fn(*args)
