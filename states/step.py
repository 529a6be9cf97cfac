"""One training batch, assembled once per run from phases; a phase the run does not need is None.

For each time split (``truncated_bptt_steps``) and each optimizer the phases run in this order:
sync gate, forward, output check, finite check, metrics, backward, after-backward; then, when
the accumulation is complete: clip, optimizer step, before-zero-grad, zero grad.
Each phase comes from the backend, the precision, the hook table or the config
(``states.step_phases.PHASES``, the table ``assemble_step`` builds them from). The lean step,
one optimizer and nothing added, is this same code with every optional phase None.

This is the hot path: no transitions trigger, no host sync, no pydantic model construction.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import torch

from states.data import detach_all
from states.run import Run
from states.schedule import accumulation
from states.step_phases import PHASES, Phase

__all__ = ["TrainingStep", "assemble_step"]


class TrainingStep:
    """Trains on one batch; built by ``assemble_step``, called by the batch loop per batch."""

    def __init__(self, run: Run, phases: dict[str, Any]) -> None:
        self.run = run
        self.progress = run.state.progress
        self.optimizers = tuple(enumerate(run.state.optimization.optimizers))
        self.factor = 1
        self.split_idx: int | None = None  # the time split being trained (0.8's split_idx)
        self.previous_loss: Any = None
        for name, phase in phases.items():
            setattr(self, name, phase)
        forward = phases["forward"]
        self.forward, self.hook = forward.call, forward.hook
        # an optimizer that re-evaluates the loss (LBFGS) steps with a closure
        self.closures = any(isinstance(o, torch.optim.LBFGS) for _, o in self.optimizers)
        several = len(self.optimizers) > 1
        # one pass per batch (one optimizer, no time split) needs no loop over passes
        self.single = self.optimizers[0][1] if not several and self.split is None else None
        # training_step's extra arguments: optimizer_idx with several optimizers, hiddens
        # with a time split
        self.extra_args = None if self.single is not None else (
            lambda opt_idx, hiddens: ((opt_idx,) if several else ())
            + (() if self.split is None else (hiddens,)))

    def start_epoch(self, epoch: int) -> None:
        """Take the epoch's accumulation factor (a callback's, when one set it)."""
        chosen = self.progress.accumulate_grad_batches
        self.factor = chosen if chosen is not None else accumulation(self.run.config, epoch)

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
            if self.schedulers is not None:
                self.schedulers(progress.global_step)

    def _optimizers_now(self) -> tuple[tuple[int, Any], ...]:
        """Every optimizer, or with optimizer frequencies the one whose turn it is."""
        optimization = self.run.state.optimization
        if not optimization.frequencies:
            return self.optimizers
        return (self.optimizers[optimization.in_turn(self.progress.total_batch_idx)],)

    def _passes(self, batch: Any, batch_idx: int, steps: bool) -> None:
        """A pass per time split and optimizer, the hiddens carried from split to split."""
        outputs, hiddens = [], None
        splits = (batch,) if self.split is None else self.split(batch)
        for split_idx, split in enumerate(splits):
            self.split_idx = split_idx if self.split is not None else None
            for opt_idx, optimizer in self._optimizers_now():
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
        if self.sync_gate is not None:
            self.sync_gate(steps)
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
        if self.check_params is not None:
            self.check_params(batch_idx)
        self.previous_loss = loss  # see end_epoch
        if steps:
            closure = self._closure(batch, batch_idx, opt_idx, optimizer, hiddens, loss) \
                if self.closures and isinstance(optimizer, torch.optim.LBFGS) else None
            self._step(batch_idx, opt_idx, optimizer, closure)
        return output

    def _closure(self, batch: Any, batch_idx: int, opt_idx: int, optimizer: Any, hiddens: Any,
                 loss: Any) -> Callable[[], Any]:
        """The loss for ``optimizer.step(closure)``: first the one just computed (its gradients
        are in place), then, at each further call, a new forward and backward of the batch."""
        calls = 0

        def closure() -> Any:
            nonlocal calls
            calls += 1
            if calls == 1:
                return loss.detach()
            optimizer.zero_grad()
            extra = () if self.extra_args is None else self.extra_args(opt_idx, hiddens)
            output = self.check(self.hook, self.forward(batch, batch_idx, *extra),
                                self.progress.epoch, batch_idx)
            again = output["loss"] / self.factor
            if self.backward is None:
                again.backward()
            else:
                self.backward(again, optimizer, opt_idx)
            return again.detach()

        return closure

    def _step(self, batch_idx: int, opt_idx: int, optimizer: Any,
              closure: Callable[[], Any] | None) -> None:
        """The step phases of one optimizer, once its accumulated gradients are complete."""
        if self.grad_norm is not None:
            self.grad_norm(optimizer, batch_idx, self.factor)
        if self.clip is not None:
            self.clip(optimizer)
        if self.optimizer_step is not None:
            self.optimizer_step(optimizer, opt_idx, batch_idx, closure)
        elif closure is None:
            optimizer.step()
        else:
            optimizer.step(closure)
        if self.before_zero_grad is not None:
            self.before_zero_grad(optimizer)
        if self.zero_grad is None:
            optimizer.zero_grad()
        else:
            self.zero_grad(self.progress.epoch, batch_idx, optimizer, opt_idx)

    def end_epoch(self) -> None:
        """Let go of the last step's loss and output. The loss is held until the next step's
        forward has run, as a plain loop's ``loss`` variable is: the parameters' gradient
        accumulators then live on and are reused, not rebuilt (backward has freed the saved
        tensors)."""
        self.previous_loss = None
        self.run.state.metrics.settle()

    # phases set by assemble_step (None: left out), as states.step_phases.PHASES lists them
    to_device: Phase | None
    split: Phase | None
    toggle: Any
    sync_gate: Phase | None
    check: Phase
    check_finite: Phase | None
    record: Phase
    backward: Phase | None
    after_backward: Phase | None
    check_params: Phase | None
    grad_norm: Phase | None
    clip: Phase | None
    optimizer_step: Phase | None
    before_zero_grad: Phase | None
    zero_grad: Phase | None
    collect: Phase | None
    schedulers: Phase | None


def assemble_step(run: Run) -> TrainingStep:
    """The run's training step: each phase of ``PHASES`` built from the part that supplies it."""
    return TrainingStep(run, {row.name: row.build(run) for row in PHASES})
