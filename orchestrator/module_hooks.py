"""The lifecycle and optimization hooks of a LightningModule, as do-nothing (or plain) defaults.

Which hook fires when is the hook table's to say (``states.hook_table``); a default marked
``@default_hook`` is skipped by dispatch unless a subclass overrides it.
"""

from __future__ import annotations

from typing import Any

import torch

from backends.accelerator import move_to
from states.hooks import default_hook

__all__ = ["ModelHooks"]


class ModelHooks:
    """Lightning 0.8's ``ModelHooks``: override the ones you need."""

    trainer: Any

    @default_hook
    def setup(self, stage: str) -> None:
        """Called at the start of a fit (``'fit'``) or a test (``'test'``), after
        ``prepare_data``: build what needs the data (layers sized by it, splits)."""

    @default_hook
    def teardown(self, stage: str) -> None:
        """Called at the end of a fit or a test, also one that failed."""

    @default_hook
    def on_fit_start(self) -> None:
        """Called when a fit begins."""

    @default_hook
    def on_fit_end(self) -> None:
        """Called when a fit ends."""

    @default_hook
    def on_sanity_check_start(self) -> None:
        """Called before the sanity check (deprecated in 0.8: use a callback)."""

    @default_hook
    def on_train_start(self) -> None: ...

    @default_hook
    def on_train_end(self) -> None: ...

    @default_hook
    def on_epoch_start(self) -> None: ...

    @default_hook
    def on_epoch_end(self) -> None: ...

    @default_hook
    def on_batch_start(self, batch: Any) -> Any:
        """Return -1 to skip the rest of the epoch."""

    @default_hook
    def on_batch_end(self) -> None: ...

    @default_hook
    def on_pre_performance_check(self) -> None:
        """Called before every validation or test run."""

    @default_hook
    def on_post_performance_check(self) -> None:
        """Called after every validation or test run."""

    @default_hook
    def transfer_batch_to_device(self, batch: Any, device: torch.device) -> Any:
        """Move a batch to the device (GPU, TPU); override for custom batch types."""
        return move_to(batch, device)

    # optimisation hooks, called by the trainer in this order for each step
    @default_hook
    def amp_scale_loss(self, unscaled_loss: torch.Tensor, optimizer: Any,
                       optimizer_idx: int) -> torch.Tensor:
        """The loss to call backward on at 16-bit: scaled by the gradient scaler."""
        return self.trainer.backend.precision.scale_loss(unscaled_loss)  # type: ignore[no-any-return]

    @default_hook
    def backward(self, trainer: Any, loss: torch.Tensor, optimizer: Any,
                 optimizer_idx: int) -> None:
        loss.backward()

    @default_hook
    def on_after_backward(self) -> None:
        """Called after every backward, before the optimizer steps."""

    @default_hook
    def optimizer_step(self, epoch: int, batch_idx: int, optimizer: Any, optimizer_idx: int,
                       second_order_closure: Any = None, on_tpu: bool = False,
                       using_native_amp: bool = False, using_lbfgs: bool = False) -> None:
        if self.trainer is not None:
            self.trainer.backend.optimizer_step(optimizer, second_order_closure)
        elif second_order_closure is not None:
            optimizer.step(second_order_closure)
        else:
            optimizer.step()

    @default_hook
    def on_before_zero_grad(self, optimizer: Any) -> None:
        """Called after the optimizer stepped, before gradients are zeroed."""

    @default_hook
    def optimizer_zero_grad(self, epoch: int, batch_idx: int, optimizer: Any,
                            optimizer_idx: int) -> None:
        optimizer.zero_grad()

    @default_hook
    def on_save_checkpoint(self, checkpoint: dict[str, Any]) -> None:
        """Add entries to the checkpoint dict before it is written."""

    @default_hook
    def on_load_checkpoint(self, checkpoint: dict[str, Any]) -> None:
        """Read your entries back from a loaded checkpoint."""
