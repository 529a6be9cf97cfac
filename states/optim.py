"""Turn what ``configure_optimizers`` returned into optimizers and scheduler configs."""

from __future__ import annotations

import warnings
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

import torch

from backends.base import Backend
from schemas.errors import CheckpointError, MisconfigurationError
from schemas.outputs import describe_value

__all__ = ["NoOptimizer", "Optimization", "OptimizerStates", "SchedulerConfig", "SchedulerStates",
           "optimizer_frequencies", "parse_optimizers", "step_schedulers"]

_FORMS = (
    "return an optimizer, a list or tuple of optimizers, ([optimizers], [schedulers]), "
    "or a dict {'optimizer': ..., 'lr_scheduler': ...} (or a list of such dicts)"
)


@dataclass
class SchedulerConfig:
    """A scheduler and when it steps: every ``frequency`` epochs or optimizer steps."""

    scheduler: Any
    interval: str = "epoch"
    frequency: int = 1
    monitor: str = "val_loss"
    name: str | None = None  # the name LearningRateLogger logs it under

    @property
    def reduce_on_plateau(self) -> bool:
        return isinstance(self.scheduler, torch.optim.lr_scheduler.ReduceLROnPlateau)

    def as_dict(self) -> dict[str, Any]:
        """0.8.5's form of a scheduler entry (``trainer.lr_schedulers``); ``name`` if given."""
        entry = {"scheduler": self.scheduler, "interval": self.interval,
                 "frequency": self.frequency, "reduce_on_plateau": self.reduce_on_plateau,
                 "monitor": self.monitor}
        return entry if self.name is None else {**entry, "name": self.name}


@dataclass
class Optimization:
    """The optimizers and schedulers ``configure_optimizers`` returned in the latest fit."""

    optimizers: list[torch.optim.Optimizer] = field(default_factory=list)
    schedulers: list[SchedulerConfig] = field(default_factory=list)
    frequencies: list[int] = field(default_factory=list)  # batches each takes in turn (0.8.5)

    def configure(self, returned: Any) -> None:
        """Take what ``configure_optimizers`` returned (any of the seed's forms)."""
        self.optimizers, self.schedulers = parse_optimizers(returned)
        self.frequencies = optimizer_frequencies(returned)

    def in_turn(self, batch: int) -> int:
        """With ``frequencies``: the index of the optimizer whose turn the run's ``batch``-th
        training batch is (each takes its frequency of batches, then the next)."""
        place = batch % sum(self.frequencies)
        for index, frequency in enumerate(self.frequencies):
            if place < frequency:
                return index
            place -= frequency
        raise AssertionError("unreachable: place < sum(frequencies)")


def optimizer_frequencies(returned: Any) -> list[int]:
    """The ``'frequency'`` of each optimizer dict, when every one has it (else [])."""
    dicts = [returned] if isinstance(returned, Mapping) else list(returned) \
        if isinstance(returned, Sequence) and not isinstance(returned, str) else []
    if not dicts or not all(isinstance(d, Mapping) and "frequency" in d for d in dicts):
        return []
    found = [d["frequency"] for d in dicts]
    if not all(isinstance(f, int) and not isinstance(f, bool) and f >= 1 for f in found):
        raise MisconfigurationError(
            f"configure_optimizers returned optimizer frequencies {found}: each is the number "
            "of batches an optimizer takes in turn, an int >= 1"
        )
    return found


class OptimizerStates:
    """The optimizers' states as checkpoint state; ``source`` names the file in errors."""

    def __init__(self, optimization: Optimization, source: str = "the checkpoint",
                 backend: Backend | None = None) -> None:
        self.optimization = optimization
        self.source = source
        self.backend = backend

    def state_dict(self) -> list[dict[str, Any]]:
        # step_called: torch's scheduler wrapper saw a step (restored, a resumed run's first
        # scheduler step is not taken for one before any optimizer step, which torch warns of)
        full = self.backend.full_state if self.backend is not None else (lambda state: state)
        return [{**full(optimizer.state_dict()), "class": _class_path(optimizer),
                 "step_called": bool(getattr(optimizer, "_opt_called", False))}
                for optimizer in self.optimization.optimizers]

    def load_state_dict(self, state: list[dict[str, Any]]) -> None:
        optimizers = self.optimization.optimizers
        if len(state) != len(optimizers):
            raise CheckpointError(
                f"{self.source!r} holds {len(state)} optimizer state(s) but "
                f"configure_optimizers returned {len(optimizers)}"
            )
        for index, (optimizer, saved) in enumerate(zip(optimizers, state)):
            problem = optimizer_mismatch(optimizer, saved)
            if problem is not None:
                raise CheckpointError(
                    f"{self.source!r} holds the state of optimizer {index} {problem}; return "
                    "the optimizers the checkpoint was trained with, or load only its weights "
                    "(load_from_checkpoint, test(ckpt_path=...))")
            optimizer.load_state_dict(self._laid_out(optimizer, {
                k: v for k, v in saved.items() if k not in ("class", "step_called")}))
            if saved.get("step_called"):
                optimizer._opt_called = True  # type: ignore[attr-defined]


    def _laid_out(self, optimizer: torch.optim.Optimizer, saved: dict[str, Any]) -> dict[str, Any]:
        """``saved`` with each parameter's state tensors laid out as the parameter is (the
        backend shards them where parameters are sharded)."""
        if self.backend is None:
            return saved
        params = [p for group in optimizer.param_groups for p in group["params"]]
        ids = [i for group in saved["param_groups"] for i in group["params"]]
        by_id = dict(zip(ids, params))
        state = {index: {key: self.backend.shard_like(value, by_id[index])
                         if isinstance(value, torch.Tensor) and index in by_id else value
                         for key, value in values.items()}
                 for index, values in saved["state"].items()}
        return {**saved, "state": state}


def _class_path(optimizer: torch.optim.Optimizer) -> str:
    return f"{type(optimizer).__module__}.{type(optimizer).__qualname__}"


def optimizer_mismatch(optimizer: torch.optim.Optimizer, saved: dict[str, Any]) -> str | None:
    """What keeps ``saved`` (an optimizer's state in a checkpoint) from fitting ``optimizer``:
    its class, its parameter groups, the shapes of its per-parameter state."""
    name = type(optimizer).__name__
    saved_class = saved.get("class")
    if saved_class is not None and saved_class != _class_path(optimizer):
        return f"as {saved_class.rsplit('.', 1)[-1]}, but configure_optimizers returned " \
            f"{name} there"
    groups, saved_groups = optimizer.param_groups, saved["param_groups"]
    if len(groups) != len(saved_groups):
        return f"({name}): it has {len(saved_groups)} parameter group(s) in the checkpoint " \
            f"and {len(groups)} here"
    lacking = sorted(set(groups[0]) - set(saved_groups[0]) - {"params"})
    if saved_class is None and lacking:  # a file written before the class was kept
        return f"with parameter groups that lack {', '.join(map(repr, lacking[:4]))}: it " \
            f"was saved by another optimizer class than {name}"
    problem = _shape_mismatch(groups, saved_groups, saved["state"])
    return None if problem is None else f"({name}): {problem}"


def _shape_mismatch(groups: list[dict[str, Any]], saved_groups: list[dict[str, Any]],
                    saved_state: dict[Any, Any]) -> str | None:
    for group_index, (group, saved_group) in enumerate(zip(groups, saved_groups)):
        params, saved_ids = group["params"], saved_group["params"]
        if len(params) != len(saved_ids):
            return f"group {group_index} has {len(saved_ids)} parameter(s) in the " \
                f"checkpoint and {len(params)} here"
        for position, (param, saved_id) in enumerate(zip(params, saved_ids)):
            for value in saved_state.get(saved_id, {}).values():
                if isinstance(value, torch.Tensor) and value.dim() > 0 \
                        and value.shape != param.shape:
                    return f"parameter {position} of group {group_index} has the shape " \
                        f"{tuple(value.shape)} in the checkpoint and {tuple(param.shape)} here"
    return None


class SchedulerStates:
    """The learning-rate schedulers' states as checkpoint state."""

    def __init__(self, optimization: Optimization) -> None:
        self.optimization = optimization

    def state_dict(self) -> list[dict[str, Any]]:
        return [config.scheduler.state_dict() for config in self.optimization.schedulers]

    def load_state_dict(self, state: list[dict[str, Any]]) -> None:
        for config, saved in zip(self.optimization.schedulers, state):
            config.scheduler.load_state_dict(saved)


class NoOptimizer(torch.optim.Optimizer):
    """Stands in when ``configure_optimizers`` returns None: steps change nothing (0.8.5 and
    Lightning 2 run such a fit the same way, training_step and backward included)."""

    def __init__(self) -> None:
        super().__init__([torch.zeros(1)], {})

    def step(self, closure: Any = None) -> Any:  # type: ignore[override]
        return closure() if closure is not None else None

    def zero_grad(self, set_to_none: bool = True) -> None:
        pass


def parse_optimizers(returned: Any) -> tuple[list[torch.optim.Optimizer], list[SchedulerConfig]]:
    """Accept every return form of the seed's ``configure_optimizers``."""
    if returned is None:
        warnings.warn("configure_optimizers returned None: this fit will run with no optimizer "
                      "(training_step and backward run, the weights do not change); return "
                      "an optimizer to train", UserWarning, stacklevel=2)
        return [NoOptimizer()], []
    if isinstance(returned, torch.optim.Optimizer):
        return [returned], []
    if isinstance(returned, Mapping):
        return _from_dicts([returned])
    if isinstance(returned, Sequence) and not isinstance(returned, str) and returned:
        if all(isinstance(o, Mapping) for o in returned):
            return _from_dicts(list(returned))
        if all(isinstance(o, torch.optim.Optimizer) for o in returned):
            return list(returned), []
        if len(returned) == 2 and all(isinstance(p, Sequence | Mapping) for p in returned):
            optimizers, schedulers = returned
            optimizers = [optimizers] if isinstance(optimizers, Mapping) else list(optimizers)
            _check_optimizers(optimizers, returned)
            return optimizers, [_scheduler(s) for s in _as_list(schedulers)]
    raise MisconfigurationError(
        f"configure_optimizers returned {describe_value(returned)}: {_FORMS}"
    )


def _as_list(value: Any) -> list[Any]:
    return [value] if isinstance(value, Mapping) else list(value)


def _check_optimizers(optimizers: list[Any], returned: Any) -> None:
    bad = [o for o in optimizers if not isinstance(o, torch.optim.Optimizer)]
    if bad or not optimizers:
        what = describe_value(bad[0]) if bad else "no optimizer"
        raise MisconfigurationError(
            f"configure_optimizers returned {what} among its optimizers: {_FORMS}"
        )


def _from_dicts(dicts: list[Mapping[str, Any]]) -> tuple[list[Any], list[SchedulerConfig]]:
    optimizers, schedulers = [], []
    for entry in dicts:
        if "optimizer" not in entry:
            raise MisconfigurationError(
                f"configure_optimizers returned a dict without the key 'optimizer' "
                f"(keys: {sorted(entry)}): {_FORMS}"
            )
        optimizers.append(entry["optimizer"])
        if entry.get("lr_scheduler") is not None:
            schedulers.append(_scheduler(entry["lr_scheduler"]))
    _check_optimizers(optimizers, dicts)
    return optimizers, schedulers


def _scheduler(value: Any) -> SchedulerConfig:
    if isinstance(value, Mapping):
        if "scheduler" not in value:
            raise MisconfigurationError(
                f"a scheduler dict from configure_optimizers needs the key 'scheduler' "
                f"(keys: {sorted(value)})"
            )
        unknown = set(value) - {"scheduler", "interval", "frequency", "monitor", "name",
                                "reduce_on_plateau", "strict"}
        if unknown:
            raise MisconfigurationError(
                f"a scheduler dict from configure_optimizers has unknown keys {sorted(unknown)}; "
                "known: 'scheduler', 'interval', 'frequency', 'monitor', 'name'"
            )
        config = SchedulerConfig(
            value["scheduler"], value.get("interval", "epoch"), value.get("frequency", 1),
            value.get("monitor", "val_loss"), value.get("name"),
        )
    else:
        config = SchedulerConfig(value)
    if config.interval not in ("epoch", "step"):
        raise MisconfigurationError(
            f"scheduler interval {config.interval!r} is not valid: use 'epoch' or 'step'"
        )
    if not isinstance(config.frequency, int) or config.frequency < 1:
        raise MisconfigurationError(
            f"scheduler frequency {config.frequency!r} is not valid: use an int >= 1"
        )
    if not hasattr(config.scheduler, "step"):
        raise MisconfigurationError(
            f"configure_optimizers returned {describe_value(config.scheduler)} as a scheduler; "
            "it has no .step()"
        )
    return config


def step_schedulers(
    schedulers: list[SchedulerConfig], interval: str, count: int, metrics: Mapping[str, Any]
) -> None:
    """Step the schedulers of ``interval`` whose frequency divides ``count``."""
    for config in schedulers:
        if config.interval != interval or count % config.frequency != 0:
            continue
        if config.reduce_on_plateau:
            if config.monitor not in metrics:
                raise MisconfigurationError(
                    f"ReduceLROnPlateau monitors {config.monitor!r}, which the run did not "
                    f"produce; available metrics: {sorted(metrics)}. Set 'monitor' in the "
                    "scheduler dict."
                )
            config.scheduler.step(metrics[config.monitor])
        else:
            config.scheduler.step()
