"""The phases of a training step as data: each phase's name, where it runs, what supplies it,
when it is part of the step, and the function that builds it for a run (None: left out).

``states.step`` assembles the step from this table, in its order; the architecture page's
table of phases is generated from it.
"""

from __future__ import annotations

import inspect
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any, Final, Literal

import torch

from schemas.errors import NonFiniteLossError
from states.data import split_for_tbptt
from states.forward import forward_phase, to_device_phase
from states.hook_table import Hook
from states.optim import step_schedulers
from states.run import Run

__all__ = ["PHASES", "Phase", "PhaseRow"]

Phase = Callable[..., Any]


@dataclass(frozen=True)
class PhaseRow:
    """``level``: once per batch, per pass (a time split and an optimizer), or per optimizer
    step (a pass that completes the accumulation)."""

    name: str
    level: Literal["batch", "pass", "step"]
    supplier: str
    active: str
    build: Callable[[Run], Any]

def _split_phase(run: Run) -> Phase | None:
    size = run.config.truncated_bptt_steps
    if not size:
        return None
    own = run.hooks.module_hook(Hook.TBPTT_SPLIT_BATCH)
    split = own if own is not None else split_for_tbptt
    return lambda batch: split(batch, size)


class _Toggle:
    """With several optimizers, only the parameters of the one that trains require grad."""

    def __init__(self, module: torch.nn.Module) -> None:
        self.trainable = [p for p in module.parameters() if p.requires_grad]

    def __call__(self, optimizer: torch.optim.Optimizer) -> None:
        for param in self.trainable:
            param.requires_grad = False
        for group in optimizer.param_groups:
            for param in group["params"]:
                param.requires_grad = True

    def restore(self) -> None:
        for param in self.trainable:
            param.requires_grad = True


def _finite_phase(run: Run) -> Phase:
    progress, hook = run.state.progress, forward_phase(run, "training").hook

    def check_finite(loss: torch.Tensor, batch_idx: int) -> None:
        if not torch.isfinite(loss).all():
            raise NonFiniteLossError(
                f"The loss returned in `{hook}` is nan or inf ({loss.item()}) at epoch "
                f"{progress.epoch}, batch {batch_idx}, and terminate_on_nan=True stopped the "
                "run; lower the learning rate, clip gradients (gradient_clip_val) or check the "
                "data"
            )

    return check_finite


def _finite_params_phase(run: Run) -> Phase:
    progress, named = run.state.progress, list(run.module.named_parameters())

    def check_params(batch_idx: int) -> None:
        for name, param in named:
            if not torch.isfinite(param).all():
                raise NonFiniteLossError(
                    f"Detected nan and/or inf values in `{name}` after the backward pass at "
                    f"epoch {progress.epoch}, batch {batch_idx}, and terminate_on_nan=True "
                    "stopped the run; the parameter was changed to a non-finite value "
                    "(on_after_backward, or an earlier step): lower the learning rate, clip "
                    "gradients (gradient_clip_val) or check the data"
                )

    return check_params


def _backward_phase(run: Run) -> Phase | None:
    """The module's ``backward``, given the loss its ``amp_scale_loss`` (or the precision's
    scaler) scaled at 16-bit; None: ``loss.backward()``."""
    hooks, precision, trainer = run.hooks, run.backend.precision, run.hooks.trainer
    own = hooks.module_hook(Hook.BACKWARD)
    scale = None
    if precision.scales:
        amp = hooks.module_hook(Hook.AMP_SCALE_LOSS)
        scale = amp if amp is not None else (lambda loss, optimizer, opt_idx:
                                             precision.scale_loss(loss))
    if own is None and scale is None:
        return None
    backward = own if own is not None else (lambda trainer, loss, optimizer, opt_idx:
                                            loss.backward())
    if scale is None:
        return lambda loss, optimizer, opt_idx: backward(trainer, loss, optimizer, opt_idx)
    return lambda loss, optimizer, opt_idx: backward(trainer, scale(loss, optimizer, opt_idx),
                                                     optimizer, opt_idx)


def _clip_phase(run: Run) -> Phase:
    precision, limit = run.backend.precision, float(run.config.gradient_clip_val)

    def clip(optimizer: torch.optim.Optimizer) -> None:
        precision.unscale(optimizer)
        params = [p for group in optimizer.param_groups for p in group["params"]]
        torch.nn.utils.clip_grad_norm_(params, limit)

    return clip


def _grad_norm_phase(run: Run) -> Phase | None:
    """``track_grad_norm``: the gradients' norms, logged with the row of their step (computed
    only for steps that write a row: a host sync per parameter)."""
    if run.config.track_grad_norm == -1:
        return None
    norm, rows = float(run.config.track_grad_norm), run.config.row_log_interval
    module, metrics = run.module, run.state.metrics

    def log_norms(optimizer: torch.optim.Optimizer, batch_idx: int, factor: int) -> None:
        if batch_idx // rows * rows > batch_idx - factor:  # a row is due in this step's batches
            metrics.step_log.update(module.grad_norm(norm))  # type: ignore[operator]

    return log_norms


def _optimizer_step_phase(run: Run) -> Phase | None:
    """The module's ``optimizer_step``, or the backend's own step (through a gradient scaler,
    or the device's); None: ``optimizer.step()``."""
    own = run.hooks.module_hook(Hook.OPTIMIZER_STEP)
    if own is not None:
        progress = run.state.progress
        facts = _step_facts(run, own)
        return lambda optimizer, opt_idx, batch_idx, closure: own(
            progress.epoch, batch_idx, optimizer, opt_idx, *facts(optimizer, closure))
    stepper = run.backend.optimizer_stepper()
    if stepper is None:
        return None
    return lambda optimizer, opt_idx, batch_idx, closure: stepper(optimizer)


def _step_facts(run: Run, own: Callable[..., Any]) -> Callable[[Any, Any], tuple[Any, ...]]:
    """The arguments after the first four that 0.8.5 gave ``optimizer_step``, as many as the
    override takes: ``second_order_closure`` (for LBFGS, which re-evaluates the loss: pass it
    to ``optimizer.step``; None for other optimizers), ``on_tpu``, ``using_native_amp``,
    ``using_lbfgs``."""
    params = list(inspect.signature(own).parameters.values())
    takes = 4 if any(p.kind is p.VAR_POSITIONAL for p in params) else len(
        [p for p in params if p.kind in (p.POSITIONAL_ONLY, p.POSITIONAL_OR_KEYWORD)]) - 4
    on_tpu = run.backend.kind == "tpu"
    native_amp = run.backend.precision.precision == 16
    if takes <= 0:
        return lambda optimizer, closure: ()
    return lambda optimizer, closure: (closure, on_tpu, native_amp,
                                       isinstance(optimizer, torch.optim.LBFGS))[:takes]


def _collect_phase(run: Run) -> Phase | None:
    return run.state.outputs.append if run.hooks.module_hook(Hook.TRAINING_EPOCH_END) else None


def _schedulers_phase(run: Run) -> Phase | None:
    schedulers, metrics = run.state.optimization.schedulers, run.state.metrics
    if not any(config.interval == "step" for config in schedulers):
        return None
    return lambda step: step_schedulers(schedulers, "step", step, metrics.callback_metrics)


PHASES: Final[tuple[PhaseRow, ...]] = (
    PhaseRow("to_device", "batch", "backend, hook table",
             "the backend moves batches (GPU, TPU): transfer_batch_to_device or its own",
             to_device_phase),
    PhaseRow("split", "batch", "config, hook table",
             "truncated_bptt_steps: the batch split in time (tbptt_split_batch)", _split_phase),
    PhaseRow("toggle", "pass", "optimizers",
             "several optimizers: only the parameters of the one that trains require grad",
             lambda run: _Toggle(run.module)
             if len(run.state.optimization.optimizers) > 1 else None),
    PhaseRow("sync_gate", "pass", "backend",
             "several processes (DDP): whether this pass's backward averages the gradients "
             "(not on an accumulation micro-batch that does not step)",
             lambda run: run.backend.grad_sync_gate()),
    PhaseRow("forward", "pass", "backend, precision, hook table",
             "always: training_step (through DDP's forward for ddp; on each part of the batch "
             "for dp, ddp2; under autocast at 16-bit and bf16), then training_step_end when "
             "overridden",
             lambda run: forward_phase(run, "training")),
    PhaseRow("check", "pass", "schemas", "always: the output is validated",
             lambda run: run.validator.training_step),
    PhaseRow("check_finite", "pass", "config", "terminate_on_nan",
             lambda run: _finite_phase(run) if run.config.terminate_on_nan else None),
    PhaseRow("record", "pass", "metrics", "always: the output's metrics are recorded",
             lambda run: run.state.metrics.add_training_step),
    PhaseRow("backward", "pass", "precision, hook table",
             "a backward hook, or 16-bit loss scaling (amp_scale_loss; else loss.backward())",
             _backward_phase),
    PhaseRow("after_backward", "pass", "hook table", "on_after_backward",
             lambda run: run.hooks.module_hook(Hook.ON_AFTER_BACKWARD)),
    PhaseRow("check_params", "pass", "config",
             "terminate_on_nan: no parameter is nan or inf after the backward pass",
             lambda run: _finite_params_phase(run) if run.config.terminate_on_nan else None),
    PhaseRow("grad_norm", "step", "config", "track_grad_norm: the norms, for the step's row",
             _grad_norm_phase),
    PhaseRow("clip", "step", "config, precision", "gradient_clip_val > 0 (unscaled first)",
             lambda run: _clip_phase(run) if run.config.gradient_clip_val > 0 else None),
    PhaseRow("optimizer_step", "step", "hook table, precision, backend",
             "an optimizer_step hook, a gradient scaler or the device's own step "
             "(else optimizer.step())", _optimizer_step_phase),
    PhaseRow("before_zero_grad", "step", "hook table", "on_before_zero_grad",
             lambda run: run.hooks.module_hook(Hook.ON_BEFORE_ZERO_GRAD)),
    PhaseRow("zero_grad", "step", "hook table", "optimizer_zero_grad (else optimizer.zero_grad())",
             lambda run: run.hooks.module_hook(Hook.OPTIMIZER_ZERO_GRAD)),
    PhaseRow("collect", "batch", "hook table",
             "training_epoch_end: the batch's outputs, detached, kept for it", _collect_phase),
    PhaseRow("schedulers", "batch", "optimizers",
             "schedulers with interval 'step', after an optimizer step", _schedulers_phase),
)
