"""LightningModule: the seed's model API, with every hook as a documented default."""

from __future__ import annotations

from argparse import Namespace
from typing import Any

import torch
from torch import nn

from states.data import split_for_tbptt
from states.hooks import default_hook

__all__ = ["LightningModule"]


class LightningModule(nn.Module):
    """A ``torch.nn.Module`` that knows how to train, validate and test itself.

    Required: ``training_step``, ``configure_optimizers`` and ``train_dataloader`` (or a
    loader passed to ``fit``). Everything else is optional.

    Example:
        >>> class Model(LightningModule):
        ...     def __init__(self):
        ...         super().__init__()
        ...         self.layer = torch.nn.Linear(4, 1)
        ...     def training_step(self, batch, batch_idx):
        ...         x, y = batch
        ...         return {"loss": F.mse_loss(self.layer(x), y)}
        ...     def configure_optimizers(self):
        ...         return torch.optim.SGD(self.parameters(), lr=0.1)
    """

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.trainer: Any = None
        self.example_input_array: Any = None
        self._hparams: Any = None

    # attributes the trainer keeps up to date
    @property
    def hparams(self) -> Any:
        """Hyperparameters: a ``Namespace`` or dict that seed-era code assigns."""
        return self._hparams

    @hparams.setter
    def hparams(self, value: Any) -> None:
        if not isinstance(value, Namespace | dict) and value is not None:
            raise TypeError(
                f"hparams must be an argparse.Namespace or a dict, got {type(value).__name__}"
            )
        self._hparams = value

    @property
    def current_epoch(self) -> int:
        return self.trainer.current_epoch if self.trainer is not None else 0

    @property
    def global_step(self) -> int:
        return self.trainer.global_step if self.trainer is not None else 0

    @property
    def logger(self) -> Any:
        """The trainer's logger; ``.experiment`` is the TensorBoard ``SummaryWriter``."""
        return self.trainer.logger if self.trainer is not None else None

    @property
    def device(self) -> torch.device:
        for param in self.parameters():
            return param.device
        for buffer in self.buffers():
            return buffer.device
        return torch.device("cpu")

    @property
    def on_gpu(self) -> bool:
        return self.device.type == "cuda"

    def print(self, *args: Any, **kwargs: Any) -> None:
        """``print`` on the global-zero process only."""
        if self.trainer is None or self.trainer.is_global_zero:
            print(*args, **kwargs)

    # the model
    def forward(self, *args: Any, **kwargs: Any) -> Any:
        raise NotImplementedError(f"{type(self).__name__} does not define forward")

    # steps (training_step and configure_optimizers are required; see Trainer)
    @default_hook
    def training_step(self, *args: Any, **kwargs: Any) -> Any:
        raise NotImplementedError(f"{type(self).__name__} does not define training_step")

    @default_hook
    def training_step_end(self, batch_parts_outputs: Any) -> Any:
        return batch_parts_outputs

    @default_hook
    def training_epoch_end(self, outputs: Any) -> Any:
        return None

    @default_hook
    def validation_step(self, *args: Any, **kwargs: Any) -> Any:
        return None

    @default_hook
    def validation_step_end(self, batch_parts_outputs: Any) -> Any:
        return batch_parts_outputs

    @default_hook
    def validation_epoch_end(self, outputs: Any) -> Any:
        return None

    @default_hook
    def test_step(self, *args: Any, **kwargs: Any) -> Any:
        return None

    @default_hook
    def test_step_end(self, batch_parts_outputs: Any) -> Any:
        return batch_parts_outputs

    @default_hook
    def test_epoch_end(self, outputs: Any) -> Any:
        return None

    @default_hook
    def configure_optimizers(self) -> Any:
        raise NotImplementedError(f"{type(self).__name__} does not define configure_optimizers")

    # data
    @default_hook
    def prepare_data(self) -> None:
        """Download or prepare data; called once per node before the dataloaders."""

    @default_hook
    def train_dataloader(self) -> Any:
        return None

    @default_hook
    def val_dataloader(self) -> Any:
        return None

    @default_hook
    def test_dataloader(self) -> Any:
        return None

    @default_hook
    def tbptt_split_batch(self, batch: Any, split_size: int) -> list[Any]:
        return split_for_tbptt(batch, split_size)

    # optimisation hooks, called by the trainer in this order for each step
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

    # lifecycle hooks
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
    def on_save_checkpoint(self, checkpoint: dict[str, Any]) -> None:
        """Add entries to the checkpoint dict before it is written."""

    @default_hook
    def on_load_checkpoint(self, checkpoint: dict[str, Any]) -> None:
        """Read your entries back from a loaded checkpoint."""
