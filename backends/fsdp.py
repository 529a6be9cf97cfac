"""FSDP: each process holds a shard of every parameter, gradient and optimizer state,
through torch's ``fully_shard`` (FSDP2), over the processes DDP would run.

The module is sharded when set up, before ``configure_optimizers`` (whose optimizers then
hold the shards): the layers the auto-wrap policy picks become units of their own (gathered
for their forward, freed after), and a ``StepRouter`` around the module becomes the root unit
that holds the remaining parameters. Step hooks run through the router, so the root's
parameters are gathered for the whole step. Checkpoints hold the full state, gathered, in the
format every other strategy writes: a file saved under FSDP resumes under DDP or on one
process, and the other way round; with ``fsdp_state_dict_type='sharded'`` a checkpoint is a
folder in which each rank writes its own shard (``backends.shards``).
"""

from __future__ import annotations

import contextlib
from collections.abc import Callable, Iterable, Iterator
from typing import Any

import torch

from backends.base import Backend
from backends.ddp import DDPBackend, StepRouter
from backends.launcher import launched_externally
from backends.registry import register_strategy
from schemas.config import TrainerConfig
from schemas.errors import ConfigError

__all__ = ["FSDPBackend", "wrap_policy"]

Policy = Callable[[torch.nn.Module], bool]


def wrap_policy(policy: Any) -> Policy:
    """The ``fsdp_auto_wrap_policy`` argument as a predicate on layers: None shards the module
    as one unit; a set of layer classes makes each such layer a unit; a callable decides."""
    if policy is None:
        return lambda layer: False
    if callable(policy) and not isinstance(policy, type):
        return policy  # type: ignore[no-any-return]
    classes = tuple(policy) if isinstance(policy, Iterable) else ()
    if not classes or not all(isinstance(c, type) and issubclass(c, torch.nn.Module)
                              for c in classes):
        raise ConfigError(
            f"Trainer(fsdp_auto_wrap_policy={policy!r}): give a set of layer classes "
            "(e.g. {torch.nn.TransformerEncoderLayer}), a callable that takes a layer and "
            "returns whether it is a unit of its own, or None (the module as one unit)")
    return lambda layer: isinstance(layer, classes)


class FSDPBackend(DDPBackend):
    """Fully sharded data parallel over ``num_processes`` processes a node."""

    kind = "fsdp"
    shards_state = True

    def __init__(self, num_processes: int, num_nodes: int = 1, precision: int | str = 32,
                 device_type: str = "cpu", auto_wrap_policy: Any = None,
                 state_dict_type: str = "full") -> None:
        super().__init__(num_processes, num_nodes, precision, device_type)
        self.is_unit = wrap_policy(auto_wrap_policy)
        self.router: Any = None
        self.writes_shards = state_dict_type == "sharded"
        self._keeping = False

    @contextlib.contextmanager
    def keeping_shards(self) -> Iterator[None]:
        self._keeping = True
        try:
            yield
        finally:
            self._keeping = False

    def setup(self, module: torch.nn.Module) -> torch.nn.Module:
        if self.router is not None and self.router.module is module:
            return module  # a test after a fit here: sharded already
        from torch.distributed.fsdp import fully_shard  # (imported on use: about 1 s)

        super().setup(module)  # on the device, with rank zero's weights
        units = [layer for layer in module.modules() if layer is not module and self.is_unit(layer)]
        for layer in reversed(units):  # innermost first: an outer unit holds what is left
            fully_shard(layer)
        router = StepRouter(module, find_unused_parameters=False)
        fully_shard(router)
        self.router = self.wrapped = router
        return module

    def wrap(self, module: torch.nn.Module, several_optimizers: bool,
             configure: Callable[[torch.nn.Module, list[int] | None], Any]) -> None:
        """Nothing more: the module was sharded in ``setup``, and ``configure_ddp`` (a DDP
        override) does not apply."""

    def grad_sync_gate(self) -> Callable[[bool], None] | None:
        router = self.router  # an FSDPModule

        def gate(syncs: bool) -> None:
            router.set_requires_gradient_sync(syncs)

        return gate

    def full_state(self, state: Any) -> Any:
        """``state`` with every shard gathered into the full tensor (on the CPU)."""
        from torch.distributed.tensor import DTensor

        if self._keeping:
            return state
        if isinstance(state, DTensor):
            return state.full_tensor().cpu()
        if isinstance(state, dict):
            return {key: self.full_state(value) for key, value in state.items()}
        if isinstance(state, list | tuple):
            return type(state)(self.full_state(value) for value in state)
        return state

    def load_module_state(self, module: torch.nn.Module, state: dict[str, Any]) -> None:
        if self.router is None or self.router.module is not module:
            module.load_state_dict(state)
            return
        from torch.distributed.checkpoint.state_dict import (
            StateDictOptions,
            set_model_state_dict,
        )

        set_model_state_dict(module, state, options=StateDictOptions(full_state_dict=True))

    def shard_like(self, value: torch.Tensor, param: torch.Tensor) -> torch.Tensor:
        """``value`` (full, of ``param``'s full shape) sharded as ``param`` is."""
        from torch.distributed.tensor import DTensor, distribute_tensor

        if not isinstance(param, DTensor) or isinstance(value, DTensor) \
                or value.shape != param.shape:
            return value
        return distribute_tensor(value.to(param.device), param.device_mesh, param.placements)

    def _leave(self) -> None:
        self.router = None
        super()._leave()


@register_strategy("fsdp", "fully sharded data parallel through torch's fully_shard (FSDP2): "
                   "`num_processes` processes (or `gpus=N`), each holding a shard of the "
                   "parameters, gradients and optimizer state")
def _build_fsdp(config: TrainerConfig, gpu_ids: list[int]) -> Backend:
    if config.sync_batchnorm:
        raise ConfigError("Trainer(sync_batchnorm=True) applies to DDP; under "
                          "distributed_backend='fsdp' drop it")
    processes = len(gpu_ids) or (1 if launched_externally() else config.num_processes)
    return FSDPBackend(processes, config.num_nodes, config.precision,
                       "cuda" if gpu_ids else "cpu", config.fsdp_auto_wrap_policy,
                       config.fsdp_state_dict_type)
