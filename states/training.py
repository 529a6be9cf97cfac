"""One training batch: step, step_end, validation of the output, backward and optimizer step.

This is the hot path: no transitions trigger, no host sync, no pydantic model construction.
"""

from __future__ import annotations

from typing import Any

import torch

from backends.base import Backend
from schemas.errors import NonFiniteLossError
from states.context import RunContext
from states.data import detach_all
from states.optim import step_schedulers
from states.parts import average_parts, gather_parts

__all__ = ["BatchRunner"]


class BatchRunner:
    """Runs training batches for one run; set up once, called per batch."""

    def __init__(self, ctx: RunContext) -> None:
        self.ctx = ctx
        module = ctx.module
        self.step_fn = module.training_step
        self.step_end = module.training_step_end if ctx.hooks.module_overrides(
            "training_step_end") else None
        self.collect = ctx.hooks.module_overrides("training_epoch_end")
        self.multi_opt = len(ctx.optimizers) > 1
        self.tbptt = ctx.config.truncated_bptt_steps
        self.clip = float(ctx.config.gradient_clip_val)
        self.autocast = ctx.backend.precision.dtype is not None
        self.on_after_backward = module.on_after_backward if ctx.hooks.module_overrides(
            "on_after_backward") else None
        self.trainable = [p for p in module.parameters() if p.requires_grad]
        self.outputs: list[Any] = ctx.pending_outputs  # restored outputs of a resumed epoch
        # hooks left at their defaults are replaced by the plain calls they make
        scaled = ctx.backend.precision.scaler is not None
        self.own_backward = scaled or ctx.hooks.module_overrides("backward")
        self.own_step = scaled or ctx.hooks.module_overrides("optimizer_step")
        stepping = type(ctx.backend).optimizer_step  # a backend may step its own way (TPU)
        self.backend_step = None if stepping is Backend.optimizer_step \
            else ctx.backend.optimizer_step
        self.own_zero_grad = ctx.hooks.module_overrides("optimizer_zero_grad")
        self.before_zero_grad = module.on_before_zero_grad if ctx.hooks.module_overrides(
            "on_before_zero_grad") else None
        self.distributed = ctx.backend.world_size > 1
        self.data_parallel = ctx.backend.data_parallel
        self._factor_epoch = -1
        self.previous_loss: Any = None
        self._factor = 1
        # the usual case runs in one frame (see _run_plain); anything else takes run()'s path
        self.plain = not (
            self.multi_opt or self.tbptt or self.data_parallel or self.autocast
            or self.step_end is not None or self.collect or self.own_backward or self.own_step
            or self.backend_step is not None or self.own_zero_grad
            or self.before_zero_grad is not None or self.on_after_backward is not None
            or self.distributed or self.clip > 0 or ctx.config.terminate_on_nan
            or ctx.config.accumulate_grad_batches != 1 or len(ctx.optimizers) != 1
        )
        if self.plain:
            # what the plain path reads every batch, looked up once (fixed for the run)
            self.progress, self.validator = ctx.progress, ctx.validator
            self.record, self.to_device = ctx.metrics.add_training_step, ctx.backend.to_device
            self.moves_batches = ctx.backend.moves_batches
            self.optimizer = ctx.optimizers[0]
            self.run = self._run_plain  # type: ignore[method-assign]

    def _run_plain(self, batch: Any, batch_idx: int, is_last: bool) -> None:
        """``run`` for one optimizer without accumulation, clipping, TBPTT, AMP, data
        parallelism or overridden step hooks: the same calls in the same order, in one frame."""
        progress = self.progress
        if self.moves_batches:
            batch = self.to_device(batch)
        output = self.validator("training_step", "training_step", self.step_fn(batch, batch_idx),
                                progress.epoch, batch_idx)
        self.record(output)
        loss = output["loss"]
        loss.backward()
        optimizer = self.optimizer
        optimizer.step()
        optimizer.zero_grad()
        progress.global_step += 1
        # kept until the next step's forward has run, as a plain loop's `loss` variable is:
        # the parameters' gradient accumulators then live on and are reused, not rebuilt
        # (backward has freed the saved tensors; end_epoch lets go of the last one)
        self.previous_loss = loss
        if self.ctx.schedulers:
            step_schedulers(self.ctx.schedulers, "step", progress.global_step,
                            self.ctx.metrics.callback_metrics)

    def run(self, batch: Any, batch_idx: int, is_last: bool) -> None:
        """Train on one batch; steps the optimizers when accumulation is complete."""
        ctx = self.ctx
        progress = ctx.progress
        if progress.epoch != self._factor_epoch:
            self._factor_epoch, self._factor = progress.epoch, ctx.accumulation(progress.epoch)
        factor = self._factor
        steps_now = (batch_idx + 1) % factor == 0 or is_last
        batch = ctx.backend.to_device(batch)
        splits = ctx.module.tbptt_split_batch(batch, self.tbptt) if self.tbptt else (batch,)
        hiddens = None
        batch_outputs = []
        for split in splits:
            for opt_idx, optimizer in enumerate(ctx.optimizers):
                output = self._step(split, batch_idx, opt_idx, optimizer, hiddens, factor)
                if self.tbptt:
                    hiddens = detach_all(output.get("hiddens"))
                if steps_now:
                    self._optimizer_step(batch_idx, optimizer, opt_idx)
                if self.collect:
                    batch_outputs.append(detach_all(output))
        if self.multi_opt:
            for param in self.trainable:
                param.requires_grad = True
        if self.collect:
            self.outputs.append(batch_outputs[0] if len(batch_outputs) == 1 else batch_outputs)
        if steps_now:
            progress.global_step += 1
            if ctx.schedulers:
                step_schedulers(ctx.schedulers, "step", progress.global_step,
                                ctx.metrics.callback_metrics)

    def _step(self, batch: Any, batch_idx: int, opt_idx: int, optimizer: Any,
              hiddens: Any, factor: int) -> Any:
        ctx = self.ctx
        if self.multi_opt:
            self._toggle(optimizer)
        args: tuple[Any, ...] = (batch, batch_idx)
        if self.multi_opt:
            args += (opt_idx,)
        if self.tbptt:
            args += (hiddens,)
        hook = "training_step"
        if self.data_parallel:
            parts = ctx.backend.step_parts(ctx.module, "training_step", *args)
            if self.step_end is not None:
                output, hook = self.step_end(gather_parts(parts)), "training_step_end"
            else:
                output = average_parts(parts)
        else:
            if self.autocast:
                with ctx.backend.precision.autocast():
                    output = self.step_fn(*args)
            else:
                output = self.step_fn(*args)
            if self.step_end is not None:
                output, hook = self.step_end(output), "training_step_end"
        output = ctx.validator("training_step", hook, output, ctx.progress.epoch, batch_idx)
        loss = output["loss"]
        if ctx.config.terminate_on_nan and not torch.isfinite(loss).all():
            raise NonFiniteLossError(
                f"{hook} returned a loss of {loss.item()} at epoch {ctx.progress.epoch}, "
                f"batch {batch_idx}, and terminate_on_nan=True stopped the run; lower the "
                "learning rate, clip gradients (gradient_clip_val) or check the data"
            )
        ctx.metrics.add_training_step(output)
        to_backward = loss / factor if factor > 1 else loss
        if self.own_backward:
            ctx.module.backward(ctx.trainer, ctx.backend.precision.scale_loss(to_backward),
                                optimizer, opt_idx)
        else:
            to_backward.backward()
        if self.on_after_backward is not None:
            self.on_after_backward()
        return output

    def _optimizer_step(self, batch_idx: int, optimizer: Any, opt_idx: int) -> None:
        ctx = self.ctx
        module = ctx.module
        if self.distributed:
            ctx.backend.sync_gradients(
                [p for group in optimizer.param_groups for p in group["params"]])
        if self.clip > 0:
            ctx.backend.precision.unscale(optimizer)
            params = [p for group in optimizer.param_groups for p in group["params"]]
            torch.nn.utils.clip_grad_norm_(params, self.clip)
        if self.own_step:
            module.optimizer_step(ctx.progress.epoch, batch_idx, optimizer, opt_idx)
        elif self.backend_step is not None:
            self.backend_step(optimizer)
        else:
            optimizer.step()
        if self.before_zero_grad is not None:
            self.before_zero_grad(optimizer)
        if self.own_zero_grad:
            module.optimizer_zero_grad(ctx.progress.epoch, batch_idx, optimizer, opt_idx)
        else:
            optimizer.zero_grad()

    def _toggle(self, optimizer: torch.optim.Optimizer) -> None:
        """Only the trainable parameters of ``optimizer`` require grad while it trains."""
        for param in self.trainable:
            param.requires_grad = False
        for group in optimizer.param_groups:
            for param in group["params"]:
                param.requires_grad = True

    def end_epoch(self) -> None:
        """Let go of the last step's loss (see ``_run_plain``)."""
        self.previous_loss = None

    def take_outputs(self) -> list[Any]:
        """The collected (detached) outputs of the epoch, emptied."""
        outputs, self.outputs = self.outputs, []
        return outputs
