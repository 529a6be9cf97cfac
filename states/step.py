"""One training batch, assembled once per run from phases; a phase the run does not need is None.

For each time split (``truncated_bptt_steps``) and each optimizer the phases run in this order:
forward, output check, finite check, metrics, backward, after-backward; then, when the
accumulation is complete: gradient sync, clip, optimizer step, before-zero-grad, zero grad.
Each phase comes from the backend, the precision, the hook table or the config
(``assemble_step``). The lean step, one optimizer and nothing added, is this same code with
every optional phase None.

This is the hot path: no transitions trigger, no host sync, no pydantic model construction.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import torch

from schemas.errors import NonFiniteLossError
from states.data import detach_all, split_for_tbptt
from states.forward import forward_phase
from states.hook_table import Hook
from states.optim import step_schedulers
from states.run import Run
from states.schedule import accumulation

__all__ = ["TrainingStep", "assemble_step"]

Phase = Callable[..., Any]


class TrainingStep:
    """Trains on one batch; built by ``assemble_step``, called by the batch loop per batch."""

    def __init__(self, run: Run, phases: dict[str, Phase | None]) -> None:
        self.run = run
        self.progress = run.state.progress
        self.optimizers = tuple(enumerate(run.state.optimization.optimizers))
        self.schedulers = run.state.optimization.schedulers
        self.factor = 1
        self.previous_loss: Any = None
        forward = forward_phase(run, "training")
        self.forward, self.hook = forward.call, forward.hook
        self.check = run.validator.training_step
        self.record = run.state.metrics.add_training_step
        for name, phase in phases.items():
            setattr(self, name, phase)
        several = len(self.optimizers) > 1
        # one pass per batch (one optimizer, no time split) needs no loop over passes
        self.single = self.optimizers[0][1] if not several and self.split is None else None
        # training_step's extra arguments: optimizer_idx with several optimizers, hiddens
        # with a time split
        self.extra_args = None if self.single is not None else (
            lambda opt_idx, hiddens: ((opt_idx,) if several else ())
            + (() if self.split is None else (hiddens,)))

    def start_epoch(self, epoch: int) -> None:
        """Take the epoch's accumulation factor."""
        self.factor = accumulation(self.run.config, epoch)

    def __call__(self, batch: Any, batch_idx: int, is_last: bool) -> None:
        if self.to_device is not None:
            batch = self.to_device(batch)
        steps = self.factor == 1 or is_last or (batch_idx + 1) % self.factor == 0
        if self.single is not None:
            output = self._pass(batch, batch_idx, 0, self.single, None, steps)
            if self.collect is not None:
                self.collect(detach_all(output))
        else:
            self._passes(batch, batch_idx, steps)
        if steps:
            progress = self.progress
            progress.global_step += 1
            if self.schedulers:
                step_schedulers(self.schedulers, "step", progress.global_step,
                                self.run.state.metrics.callback_metrics)

    def _passes(self, batch: Any, batch_idx: int, steps: bool) -> None:
        """A pass per time split and optimizer, the hiddens carried from split to split."""
        outputs, hiddens = [], None
        for split in (batch,) if self.split is None else self.split(batch):
            for opt_idx, optimizer in self.optimizers:
                output = self._pass(split, batch_idx, opt_idx, optimizer, hiddens, steps)
                if self.split is not None:
                    hiddens = detach_all(output.get("hiddens"))
                outputs.append(output)
        if self.toggle is not None:
            self.toggle.restore()
        if self.collect is not None:
            detached = [detach_all(output) for output in outputs]
            self.collect(detached[0] if len(detached) == 1 else detached)

    def _pass(self, batch: Any, batch_idx: int, opt_idx: int, optimizer: Any, hiddens: Any,
              steps: bool) -> Any:
        """Forward and backward for one optimizer; its phases when the accumulation is done."""
        if self.toggle is not None:
            self.toggle(optimizer)
        if self.extra_args is None:
            raw = self.forward(batch, batch_idx)
        else:
            raw = self.forward(batch, batch_idx, *self.extra_args(opt_idx, hiddens))
        output = self.check(self.hook, raw, self.progress.epoch, batch_idx)
        if self.check_finite is not None:
            self.check_finite(output["loss"], batch_idx)
        self.record(output)
        loss = output["loss"] if self.factor == 1 else output["loss"] / self.factor
        if self.backward is None:
            loss.backward()
        else:
            self.backward(loss, optimizer, opt_idx)
        if self.after_backward is not None:
            self.after_backward()
        self.previous_loss = loss  # see end_epoch
        if steps:
            if self.sync is not None:
                self.sync(optimizer)
            if self.clip is not None:
                self.clip(optimizer)
            if self.optimizer_step is None:
                optimizer.step()
            else:
                self.optimizer_step(optimizer, opt_idx, batch_idx)
            if self.before_zero_grad is not None:
                self.before_zero_grad(optimizer)
            if self.zero_grad is None:
                optimizer.zero_grad()
            else:
                self.zero_grad(self.progress.epoch, batch_idx, optimizer, opt_idx)
        return output

    def end_epoch(self) -> None:
        """Let go of the last step's loss and output. The loss is held until the next step's
        forward has run, as a plain loop's ``loss`` variable is: the parameters' gradient
        accumulators then live on and are reused, not rebuilt (backward has freed the saved
        tensors)."""
        self.previous_loss = None
        self.run.state.metrics.settle()

    # phases set by assemble_step (None: left out)
    to_device: Phase | None
    split: Phase | None
    toggle: _Toggle | None
    check_finite: Phase | None
    collect: Phase | None
    backward: Phase | None
    after_backward: Phase | None
    sync: Phase | None
    clip: Phase | None
    optimizer_step: Phase | None
    before_zero_grad: Phase | None
    zero_grad: Phase | None


def assemble_step(run: Run) -> TrainingStep:
    """The run's training step: each phase from the part of the run that supplies it."""
    hooks, backend, config = run.hooks, run.backend, run.config
    optimizers = run.state.optimization.optimizers
    phases: dict[str, Phase | None] = {
        "to_device": backend.to_device if backend.moves_batches else None,
        "split": _split_phase(run),
        "toggle": _Toggle(run.module) if len(optimizers) > 1 else None,
        "check_finite": _finite_phase(run) if config.terminate_on_nan else None,
        "collect": run.state.outputs.append
        if hooks.module_hook(Hook.TRAINING_EPOCH_END) else None,
        "backward": _backward_phase(run),
        "after_backward": hooks.module_hook(Hook.ON_AFTER_BACKWARD),
        "sync": _sync_phase(run),
        "clip": _clip_phase(run) if config.gradient_clip_val > 0 else None,
        "optimizer_step": _optimizer_step_phase(run),
        "before_zero_grad": hooks.module_hook(Hook.ON_BEFORE_ZERO_GRAD),
        "zero_grad": hooks.module_hook(Hook.OPTIMIZER_ZERO_GRAD),
    }
    return TrainingStep(run, phases)


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


def _sync_phase(run: Run) -> Phase | None:
    sync = run.backend.gradient_sync()
    if sync is None:
        return None
    return lambda optimizer: sync([p for group in optimizer.param_groups
                                   for p in group["params"]])


def _finite_phase(run: Run) -> Phase:
    progress, hook = run.state.progress, forward_phase(run, "training").hook

    def check_finite(loss: torch.Tensor, batch_idx: int) -> None:
        if not torch.isfinite(loss).all():
            raise NonFiniteLossError(
                f"{hook} returned a loss of {loss.item()} at epoch {progress.epoch}, "
                f"batch {batch_idx}, and terminate_on_nan=True stopped the run; lower the "
                "learning rate, clip gradients (gradient_clip_val) or check the data"
            )

    return check_finite


def _backward_phase(run: Run) -> Phase | None:
    """The module's ``backward`` with the precision's loss scaling, or the scaled loss's own
    backward; None: ``loss.backward()``."""
    own, precision = run.hooks.module_hook(Hook.BACKWARD), run.backend.precision
    trainer = run.hooks.trainer
    if own is not None:
        return lambda loss, optimizer, opt_idx: own(trainer, precision.scale_loss(loss),
                                                    optimizer, opt_idx)
    if precision.scales:
        return lambda loss, optimizer, opt_idx: precision.scale_loss(loss).backward()
    return None


def _clip_phase(run: Run) -> Phase:
    precision, limit = run.backend.precision, float(run.config.gradient_clip_val)

    def clip(optimizer: torch.optim.Optimizer) -> None:
        precision.unscale(optimizer)
        params = [p for group in optimizer.param_groups for p in group["params"]]
        torch.nn.utils.clip_grad_norm_(params, limit)

    return clip


def _optimizer_step_phase(run: Run) -> Phase | None:
    """The module's ``optimizer_step``, or the backend's own step (through a gradient scaler,
    or the device's); None: ``optimizer.step()``."""
    own = run.hooks.module_hook(Hook.OPTIMIZER_STEP)
    if own is not None:
        progress = run.state.progress
        return lambda optimizer, opt_idx, batch_idx: own(progress.epoch, batch_idx, optimizer,
                                                         opt_idx)
    stepper = run.backend.optimizer_stepper()
    if stepper is None:
        return None
    return lambda optimizer, opt_idx, batch_idx: stepper(optimizer)
