"""The evaluation loop shared by sanity_val, val_check and test."""

from __future__ import annotations

import inspect
import warnings
from collections.abc import Callable
from typing import Any, Final, Literal

import torch

from schemas.errors import MisconfigurationError
from states.data import EvalData, detach_all
from states.forward import forward_phase, to_device_phase
from states.hook_table import Hook
from states.run import Run

__all__ = ["run_evaluation"]

Stage = Literal["validation", "test"]

# per stage: the step, batch start, batch end, epoch end
_DEPRECATED_ENDS: Final[dict[Stage, Hook]] = {"validation": Hook.VALIDATION_END,
                                              "test": Hook.TEST_END}
_HOOKS: Final[dict[Stage, tuple[Hook, Hook, Hook, Hook]]] = {
    "validation": (Hook.VALIDATION_STEP, Hook.ON_VALIDATION_BATCH_START,
                   Hook.ON_VALIDATION_BATCH_END, Hook.VALIDATION_EPOCH_END),
    "test": (Hook.TEST_STEP, Hook.ON_TEST_BATCH_START, Hook.ON_TEST_BATCH_END,
             Hook.TEST_EPOCH_END),
}


def run_evaluation(run: Run, data: EvalData, stage: Stage, limit: int | None = None,
                   on_interrupt: Callable[[], None] | None = None
                   ) -> tuple[Any, list[list[Any]]]:
    """Run ``{stage}_step`` over every loader, then ``{stage}_epoch_end``.

    ``on_interrupt``: called once the batch running is done when a SIGINT/SIGTERM came (it
    ends the run: a validation check saves the checkpoint and is rerun from its start on
    resume; the sanity check saves none, nothing was trained yet).

    Returns the validated epoch-end output (None when the hook is not overridden) and the
    collected step outputs per loader. The module is in eval mode and no gradients are
    recorded; its training mode is restored afterwards.
    """
    module = run.module
    was_training = module.training
    module.eval()
    try:
        with torch.no_grad():
            per_loader = [
                _run_loader(run, loader, idx, len(data.loaders) > 1, stage,
                            count if limit is None else min(count, limit), on_interrupt)
                for idx, (loader, count) in enumerate(zip(data.loaders, data.num_batches))
            ]
            if not data.enabled:  # every limit 0: no step ran, nothing to gather (as 0.8.5)
                return None, per_loader
            return _epoch_end(run, stage, per_loader), per_loader
    finally:
        module.train(was_training)


def _run_loader(run: Run, loader: Any, loader_idx: int, multiple: bool,
                stage: Stage, count: float, on_interrupt: Callable[[], None] | None
                ) -> list[Any]:
    hooks, validator, progress = run.hooks, run.validator, run.state.progress
    interrupt = run.interrupt if on_interrupt is not None else None
    step, batch_start, batch_end, epoch_end = _HOOKS[stage]
    forward = forward_phase(run, stage)
    start, end = hooks.caller(batch_start), hooks.caller(batch_end)
    collect = stage == "test" or _epoch_end_hook(run, stage) is not None
    to_device = to_device_phase(run) or _as_given
    outputs: list[Any] = []
    if count <= 0:
        return outputs
    if multiple and not _takes_three_arguments(getattr(run.module, step)):
        raise MisconfigurationError(
            f"{stage}_step(batch, batch_idx) is called with a third argument, dataloader_idx, "
            f"because there are {stage} dataloaders in a list; add `dataloader_idx` to its "
            "signature"
        )
    for batch_idx, batch in enumerate(loader):
        if start is not None:
            start()
        batch = to_device(batch)
        args = (batch, batch_idx, loader_idx) if multiple else (batch, batch_idx)
        output = validator("eval_step", forward.hook, forward.call(*args), progress.epoch,
                           batch_idx)
        if collect:
            outputs.append(detach_all(output))
        if end is not None:
            end()
        if interrupt is not None and interrupt.requested and on_interrupt is not None:
            on_interrupt()
        if batch_idx + 1 >= count:
            break
    return outputs


def _takes_three_arguments(fn: Any) -> bool:
    try:
        parameters = inspect.signature(fn).parameters.values()
    except (TypeError, ValueError):
        return True
    if any(p.kind is p.VAR_POSITIONAL for p in parameters):
        return True
    return sum(p.kind in (p.POSITIONAL_ONLY, p.POSITIONAL_OR_KEYWORD) for p in parameters) >= 3


def _as_given(batch: Any) -> Any:
    return batch


def _epoch_end_hook(run: Run, stage: Stage) -> Hook | None:
    """The stage's epoch-end hook the module overrides: ``*_epoch_end``, or the deprecated
    ``validation_end`` / ``test_end`` that 0.8.5 used instead of it."""
    deprecated = _DEPRECATED_ENDS[stage]
    if run.hooks.module_hook(deprecated) is not None:
        return deprecated
    hook = _HOOKS[stage][3]
    return hook if run.hooks.module_hook(hook) is not None else None


def _epoch_end(run: Run, stage: Stage, per_loader: list[list[Any]]) -> Any:
    hook = _epoch_end_hook(run, stage)
    if hook is None:
        return None
    if hook is _DEPRECATED_ENDS[stage]:
        warnings.warn(f"{hook} is deprecated (since 0.7): rename it {_HOOKS[stage][3]}",
                      DeprecationWarning, stacklevel=2)
    outputs: Any = per_loader if len(per_loader) > 1 else (per_loader[0] if per_loader else [])
    returned = run.hooks.call(hook, outputs)
    return run.validator("epoch_end", hook, returned, run.state.progress.epoch, None)
