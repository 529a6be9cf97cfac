"""The forward phase of a step, shared by training and evaluation.

The step hook runs through the backend (on each part of the batch, for data parallelism) and
the precision (under autocast), then through ``*_step_end`` when the module overrides it.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any, Final, Literal

from states.hook_table import Hook
from states.parts import average_parts, gather_parts
from states.run import Run

__all__ = ["Forward", "Stage", "forward_phase"]

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


def forward_phase(run: Run, stage: Stage) -> Forward:
    """The forward of ``stage`` for this run: the module's bound step when nothing wraps it."""
    step_hook, end_hook = _HOOKS[stage]
    step_end = run.hooks.module_hook(end_hook)
    backend, module = run.backend, run.module
    if backend.data_parallel:
        def on_parts(*args: Any) -> Any:
            parts = backend.step_parts(module, step_hook, *args)
            return step_end(gather_parts(parts)) if step_end is not None else average_parts(parts)

        return Forward(on_parts, end_hook if step_end is not None else step_hook)
    step: Callable[..., Any] = getattr(module, step_hook)
    precision = backend.precision
    if precision.dtype is not None:
        plain = step

        def step(*args: Any) -> Any:
            with precision.autocast():
                return plain(*args)

    if step_end is None:
        return Forward(step, step_hook)
    inner = step
    return Forward(lambda *args: step_end(inner(*args)), end_hook)
