"""The forward phase of a step, shared by training and evaluation.

The step hook runs through the backend (on each part of the batch, for data parallelism) and
the precision (under autocast), then through ``*_step_end`` when the module overrides it.
"""

from __future__ import annotations

import warnings
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any, Final, Literal

from states.hook_table import Hook
from states.hooks import timed
from states.parts import average_parts, gather_parts
from states.run import Run

__all__ = ["Forward", "Stage", "forward_phase", "to_device_phase"]

Stage = Literal["training", "validation", "test"]

_HOOKS: Final[dict[Stage, tuple[Hook, Hook]]] = {
    "training": (Hook.TRAINING_STEP, Hook.TRAINING_STEP_END),
    "validation": (Hook.VALIDATION_STEP, Hook.VALIDATION_STEP_END),
    "test": (Hook.TEST_STEP, Hook.TEST_STEP_END),
}


@dataclass(frozen=True)
class Forward:
    """``call(*step_args)`` returns the output to check; ``hook`` is the hook that returned it
    (named in output errors)."""

    call: Callable[..., Any]
    hook: Hook


def to_device_phase(run: Run) -> Callable[[Any], Any] | None:
    """How a batch reaches the device: the module's ``transfer_batch_to_device`` or the
    backend's placement; None where the backend leaves batches as the loader made them."""
    backend = run.backend
    if not backend.moves_batches:
        return None
    own = run.hooks.module_hook(Hook.TRANSFER_BATCH_TO_DEVICE)
    if own is None:
        return backend.to_device
    device = backend.root_device
    return lambda batch: own(batch, device)


def forward_phase(run: Run, stage: Stage) -> Forward:
    """The forward of ``stage`` for this run: the module's bound step when nothing wraps it."""
    step_hook, end_hook = _HOOKS[stage]
    step_end = run.hooks.module_hook(end_hook)
    backend, module = run.backend, run.module
    parts_of = backend.parts_caller(module, step_hook)
    if parts_of is not None:  # a step on each part of the batch (DP)
        def on_parts(*args: Any) -> Any:
            parts = parts_of(*args)
            return step_end(gather_parts(parts)) if step_end is not None else average_parts(parts)

        return Forward(on_parts, end_hook if step_end is not None else step_hook)
    step: Callable[..., Any] = backend.step_caller(module, step_hook)
    if run.hooks.profiler is not None:
        step = timed(run.hooks.profiler, str(step_hook), step)
    precision = backend.precision
    if precision.dtype is not None:
        plain = step

        def step(*args: Any) -> Any:
            with precision.autocast():
                return plain(*args)

    forward = Forward(step, step_hook) if step_end is None else Forward(
        lambda *args: step_end(step(*args)), end_hook)
    return _with_training_end(run, forward) if stage == "training" else forward


def _with_training_end(run: Run, forward: Forward) -> Forward:
    """The deprecated ``training_end``, called after the step (end) when overridden."""
    end = run.hooks.module_hook(Hook.TRAINING_END)
    if end is None:
        return forward
    warnings.warn("training_end is deprecated (since 0.7): return what it computes from "
                  "training_step_end, or use training_epoch_end", DeprecationWarning,
                  stacklevel=2)
    inner = forward.call
    return Forward(lambda *args: end(inner(*args)), Hook.TRAINING_END)
