"""LightningModule: the seed's model API, with every hook as a documented default."""

from __future__ import annotations

import warnings
from typing import Any

import torch
from loguru import logger
from torch import nn

from orchestrator.grads import GradInformation
from orchestrator.module_hooks import ModelHooks
from orchestrator.module_hparams import HyperparametersMixin
from orchestrator.module_io import ModelIO
from orchestrator.summary import ModelSummary
from states.data import split_for_tbptt
from states.hooks import default_hook

__all__ = ["LightningModule"]


class LightningModule(HyperparametersMixin, ModelIO, GradInformation, ModelHooks, nn.Module):
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
    def dtype(self) -> torch.dtype:
        for param in self.parameters():
            return param.dtype
        return torch.get_default_dtype()

    @property
    def on_gpu(self) -> bool:
        return self.device.type == "cuda"

    # what the trainer runs on, as 0.8 modules read it
    @property
    def use_dp(self) -> bool:
        return bool(self.trainer is not None and self.trainer.use_dp)

    @property
    def use_ddp(self) -> bool:
        return bool(self.trainer is not None and self.trainer.use_ddp)

    @property
    def use_ddp2(self) -> bool:
        return bool(self.trainer is not None and self.trainer.use_ddp2)

    @property
    def use_tpu(self) -> bool:
        return bool(self.trainer is not None and self.trainer.use_tpu)

    @property
    def use_amp(self) -> bool:
        return bool(self.trainer is not None and self.trainer.use_amp)

    def print(self, *args: Any, **kwargs: Any) -> None:
        """``print`` on the global-zero process only."""
        if self.trainer is None or self.trainer.is_global_zero:
            print(*args, **kwargs)

    def freeze(self) -> None:
        """Stop every parameter's gradient and switch to eval mode (e.g. for inference)."""
        for param in self.parameters():
            param.requires_grad = False
        self.eval()

    def unfreeze(self) -> None:
        """Let every parameter train again, in train mode."""
        for param in self.parameters():
            param.requires_grad = True
        self.train()

    def summarize(self, mode: str = "top") -> ModelSummary:
        """The weights summary (``'top'`` or ``'full'``), logged and returned."""
        summary = ModelSummary(self, mode)
        logger.info("\n{summary}", summary=summary)
        return summary

    def get_progress_bar_dict(self) -> dict[str, Any]:
        """What the progress bar shows besides the ``progress_bar`` metrics: the running loss
        (3 decimals), the time split with ``truncated_bptt_steps``, the logger's version."""
        trainer = self.trainer
        shown: dict[str, Any] = {}
        if trainer is None:
            return shown
        loss = trainer.running_loss.mean()
        shown["loss"] = f"{loss.item():.3f}" if loss is not None else "nan"
        if trainer.truncated_bptt_steps is not None:
            shown["split_idx"] = trainer.split_idx
        if trainer.logger is not None and trainer.logger.version is not None:
            shown["v_num"] = trainer.logger.version
        return shown

    def get_tqdm_dict(self) -> dict[str, Any]:
        """The deprecated name of ``get_progress_bar_dict``."""
        warnings.warn("get_tqdm_dict is deprecated: override get_progress_bar_dict",
                      DeprecationWarning, stacklevel=2)
        return self.get_progress_bar_dict()

    # distributed set-up that 0.8 modules may override (the backends call them)
    def configure_ddp(self, model: torch.nn.Module, device_ids: list[int] | None) -> Any:
        """Wrap ``model`` in torch's DistributedDataParallel (the DDP backend calls it once the
        optimizers are configured). ``model`` is the module behind a ``StepRouter``, which runs
        the step hooks through DDP's forward; an override returns its own wrapper of it.
        ``find_unused_parameters`` is the backend's choice (True with several optimizers or
        ``distributed_backend='ddp_find_unused_parameters_true'``; 0.8.5 always passed True)."""
        return torch.nn.parallel.DistributedDataParallel(
            model, device_ids=device_ids,
            find_unused_parameters=getattr(model, "find_unused_parameters", True))

    def init_ddp_connection(self, global_rank: int, world_size: int,
                            is_slurm_managing_tasks: bool = True) -> None:
        """Join the process group (the DDP backend calls it; this default does nothing, the
        backend joins)."""

    def configure_apex(self, amp: Any, model: LightningModule, optimizers: list[Any],
                       amp_level: str) -> tuple[Any, Any]:
        """NVIDIA apex mixed precision: not used (precision=16 uses torch's own autocast)."""
        return model, optimizers

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

    # deprecated in 0.8, still called as 0.8.5 calls them (with a DeprecationWarning)
    @default_hook
    def training_end(self, outputs: Any) -> Any:
        """Deprecated: called after ``training_step_end`` with its output."""
        return outputs

    @default_hook
    def validation_end(self, outputs: Any) -> Any:
        """Deprecated: used instead of ``validation_epoch_end`` when overridden."""
        return None

    @default_hook
    def test_end(self, outputs: Any) -> Any:
        """Deprecated: used instead of ``test_epoch_end`` when overridden."""
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

    def tng_dataloader(self) -> Any:
        """The deprecated name of ``train_dataloader``."""
        warnings.warn("tng_dataloader is deprecated: define train_dataloader",
                      DeprecationWarning, stacklevel=2)
        return self.train_dataloader()

    @default_hook
    def tbptt_split_batch(self, batch: Any, split_size: int) -> list[Any]:
        return split_for_tbptt(batch, split_size)
