"""The evaluation loop shared by sanity_val, val_check and test."""

from __future__ import annotations

import inspect
from typing import Any, Literal

import torch

from schemas.errors import MisconfigurationError
from states.context import RunContext
from states.data import EvalData, detach_all
from states.parts import average_parts, gather_parts

__all__ = ["run_evaluation"]

Stage = Literal["validation", "test"]


def run_evaluation(ctx: RunContext, data: EvalData, stage: Stage,
                   limit: int | None = None) -> tuple[Any, list[list[Any]]]:
    """Run ``{stage}_step`` over every loader, then ``{stage}_epoch_end``.

    Returns the validated epoch-end output (None when the hook is not overridden) and the
    collected step outputs per loader. The module is in eval mode and no gradients are
    recorded; its training mode is restored afterwards.
    """
    module = ctx.module
    was_training = module.training
    module.eval()
    try:
        with torch.no_grad():
            per_loader = [
                _run_loader(ctx, loader, idx, len(data.loaders) > 1, stage,
                            count if limit is None else min(count, limit))
                for idx, (loader, count) in enumerate(zip(data.loaders, data.num_batches))
            ]
            return _epoch_end(ctx, stage, per_loader), per_loader
    finally:
        module.train(was_training)


def _run_loader(ctx: RunContext, loader: Any, loader_idx: int, multiple: bool,
                stage: Stage, count: float) -> list[Any]:
    module, hooks = ctx.module, ctx.hooks
    step = getattr(module, f"{stage}_step")
    step_end = getattr(module, f"{stage}_step_end") if hooks.module_overrides(
        f"{stage}_step_end") else None
    collect = stage == "test" or hooks.module_overrides(f"{stage}_epoch_end")
    precision = ctx.backend.precision
    outputs: list[Any] = []
    if count <= 0:
        return outputs
    if multiple and not _takes_three_arguments(step):
        raise MisconfigurationError(
            f"{stage}_step(batch, batch_idx) is called with a third argument, dataloader_idx, "
            f"because there are {stage} dataloaders in a list; add `dataloader_idx` to its "
            "signature"
        )
    for batch_idx, batch in enumerate(loader):
        hooks.callbacks_only(f"on_{stage}_batch_start")
        batch = ctx.backend.to_device(batch)
        args = (batch, batch_idx, loader_idx) if multiple else (batch, batch_idx)
        hook = f"{stage}_step"
        if ctx.backend.data_parallel:
            parts = ctx.backend.step_parts(module, f"{stage}_step", *args)
            if step_end is not None:
                output, hook = step_end(gather_parts(parts)), f"{stage}_step_end"
            else:
                output = average_parts(parts)
        else:
            with precision.autocast():
                output = step(*args)
            if step_end is not None:
                output, hook = step_end(output), f"{stage}_step_end"
        output = ctx.validator("eval_step", hook, output, ctx.progress.epoch, batch_idx)
        if collect:
            outputs.append(detach_all(output))
        hooks.callbacks_only(f"on_{stage}_batch_end")
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


def _epoch_end(ctx: RunContext, stage: Stage, per_loader: list[list[Any]]) -> Any:
    hook = f"{stage}_epoch_end"
    if not ctx.hooks.module_overrides(hook):
        return None
    outputs: Any = per_loader if len(per_loader) > 1 else (per_loader[0] if per_loader else [])
    returned = getattr(ctx.module, hook)(outputs)
    return ctx.validator("epoch_end", hook, returned, ctx.progress.epoch, None)
