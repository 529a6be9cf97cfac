"""The attributes of a Trainer that 0.8 code reads: where the run is, its metrics, its data,
its optimizers and the hardware it runs on."""

from __future__ import annotations

from typing import Any

import torch

from backends.base import Backend
from schemas.config import TrainerConfig
from schemas.errors import ConfigError
from states.metrics import MetricStore, to_floats
from states.optim import Optimization
from states.progress import RunProgress
from states.run import Run, RunState
from states.schedule import accumulation, validates_this_epoch

__all__ = ["RunningLoss", "TrainerProperties"]


class RunningLoss:
    """``trainer.running_loss``: ``mean()`` of the latest training losses (None before any)."""

    def __init__(self, metrics: MetricStore) -> None:
        self.metrics = metrics

    def mean(self) -> torch.Tensor | None:
        return self.metrics.running_loss()

    def last(self) -> torch.Tensor | None:
        return self.metrics.callback_metrics.get("loss")


class TrainerProperties:
    """Read-back attributes; the Trainer sets ``config``, ``state``, ``backend``, ``model``,
    ``logger`` and its latest runs."""

    config: TrainerConfig
    state: RunState
    backend: Backend
    checkpoint_callback: Any
    lifecycle: Any
    default_root_dir: str
    model: Any
    logger: Any
    _run: Run | None
    _fit_run: Run | None

    # state of the run, as seed-era code reads it
    @property
    def progress(self) -> RunProgress:
        """Where the latest run is: epoch, global step, batch position."""
        return self.state.progress

    @property
    def current_epoch(self) -> int:
        return self.progress.epoch

    @current_epoch.setter
    def current_epoch(self, epoch: int) -> None:  # 0.8 code drives callbacks by hand with it
        self.progress.epoch = epoch

    @property
    def global_step(self) -> int:
        return self.progress.global_step

    @property
    def should_stop(self) -> bool:
        return self.progress.stop_requested

    @should_stop.setter
    def should_stop(self, value: bool) -> None:
        self.progress.stop_requested = bool(value)

    @property
    def callback_metrics(self) -> dict[str, Any]:
        return self.state.metrics.callback_metrics

    @callback_metrics.setter
    def callback_metrics(self, metrics: dict[str, Any]) -> None:  # as current_epoch's setter
        current = self.state.metrics.callback_metrics
        current.clear()
        current.update(metrics)

    @property
    def logged_metrics(self) -> dict[str, Any]:
        return self.state.metrics.logged_metrics

    @property
    def progress_bar_metrics(self) -> dict[str, Any]:
        return self.state.metrics.progress_bar_metrics

    @property
    def progress_bar_dict(self) -> dict[str, Any]:
        """What the progress bar shows: the module's ``get_progress_bar_dict()`` (the running
        loss, the logger's version) and the ``progress_bar`` metrics."""
        shown = self.model.get_progress_bar_dict() if self.model is not None else {}
        return {**shown, **to_floats(self.state.metrics.progress_bar_metrics)}

    @property
    def running_loss(self) -> RunningLoss:
        """The mean of the latest training losses (``running_loss.mean()``), as 0.8 reads it."""
        return RunningLoss(self.state.metrics)

    @property
    def optimizers(self) -> list[Any]:
        return self.state.optimization.optimizers

    @property
    def scheduler_configs(self) -> list[Any]:
        return self.state.optimization.schedulers

    @property
    def lr_schedulers(self) -> list[dict[str, Any]]:
        return [config.as_dict() for config in self.scheduler_configs]

    @staticmethod
    def init_optimizers(model: Any) -> tuple[list[Any], list[dict[str, Any]], list[int]]:
        """What ``model.configure_optimizers()`` returns, read as a fit reads it: the
        optimizers, the scheduler entries and the optimizer frequencies (0.8.5's method)."""
        optimization = Optimization()
        optimization.configure(model.configure_optimizers())
        return (optimization.optimizers, [c.as_dict() for c in optimization.schedulers],
                optimization.frequencies)

    def get_model(self) -> Any:
        """The LightningModule being trained (0.8's ``trainer.get_model()``)."""
        return self.model

    @property
    def ckpt_path(self) -> str:
        """The folder the checkpoint callback writes to (0.8's ``trainer.ckpt_path``)."""
        callback = self.checkpoint_callback
        if callback is not None and callback.dirpath is not None:
            return str(callback.dirpath)
        return str(self.default_checkpoint_dir)  # type: ignore[attr-defined]

    @property
    def weights_save_path(self) -> str:
        """As 0.8.5: the checkpoint callback's folder (``ckpt_path``) when there is one, else
        the ``weights_save_path`` given, else ``default_root_dir``."""
        if self.checkpoint_callback is not None:  # type: ignore[attr-defined]
            return self.ckpt_path
        return str(self.config.weights_save_path or self.default_root_dir)

    @property
    def accumulate_grad_batches(self) -> int:
        """The gradient accumulation factor of the current epoch. Setting it before the epoch's
        first batch (as 0.8's ``GradientAccumulationScheduler`` does in ``on_epoch_start``)
        sets the epoch's factor; a checkpoint keeps it."""
        chosen = self.progress.accumulate_grad_batches
        return chosen if chosen is not None else accumulation(self.config, self.current_epoch)

    @accumulate_grad_batches.setter
    def accumulate_grad_batches(self, factor: int) -> None:
        if isinstance(factor, bool) or not isinstance(factor, int) or factor < 1:
            raise ConfigError(f"trainer.accumulate_grad_batches = {factor!r}: the factor is "
                              "an int >= 1 (batches per optimizer step)")
        self.progress.accumulate_grad_batches = factor  # the step takes it at the epoch's start

    @property
    def num_training_batches(self) -> float:
        run = self._fit_run
        return run.data.train.num_batches if run and run.data.train else 0

    @property
    def num_val_batches(self) -> list[float]:
        return list(self._run.data.val.num_batches) if self._run else []

    @property
    def num_test_batches(self) -> list[float]:
        return list(self._run.data.test.num_batches) if self._run else []

    @property
    def train_dataloader(self) -> Any:
        """The training loader of the last fit (None before one)."""
        run = self._fit_run
        return run.data.train.loader if run and run.data.train else None

    @property
    def val_dataloaders(self) -> list[Any] | None:
        """The validation loaders of the last fit (None before one)."""
        run = self._fit_run
        return list(run.data.val.loaders) if run else None

    @property
    def test_dataloaders(self) -> list[Any] | None:
        """The test loaders of the last test (None before one)."""
        run = self._run
        return list(run.data.test.loaders) if run and run.mode == "test" else None

    @property
    def validates_at_epoch_end(self) -> bool:
        """Whether a validation follows the end of the current epoch."""
        run = self._run
        return run is not None and validates_this_epoch(self.config, self.progress,
                                                        run.data.val.enabled)

    @property
    def global_rank(self) -> int:
        return self.backend.global_rank

    @property
    def world_size(self) -> int:
        return self.backend.world_size

    @property
    def local_rank(self) -> int:
        return self.backend.local_rank

    @property
    def node_rank(self) -> int:
        return self.backend.node_rank

    @property
    def testing(self) -> bool:
        """Whether the run in progress (or the latest) is a ``test``."""
        return self._run is not None and self._run.mode == "test"

    @property
    def interrupted(self) -> bool:
        """Whether the latest run ended on a KeyboardInterrupt (or SIGTERM)."""
        return self.lifecycle.outcome == "interrupted"

    @property
    def is_global_zero(self) -> bool:
        return self.backend.is_global_zero

    @property
    def on_gpu(self) -> bool:
        return self.backend.on_gpu


    # the hardware, as 0.8 code asks about it
    @property
    def use_dp(self) -> bool:
        return self.backend.kind == "dp"

    @property
    def use_ddp(self) -> bool:
        return self.backend.kind == "ddp"

    @property
    def use_ddp2(self) -> bool:
        return self.backend.kind == "ddp2"

    @property
    def use_tpu(self) -> bool:
        return self.backend.kind == "tpu"

    @property
    def on_tpu(self) -> bool:
        return self.use_tpu

    @property
    def tpu_cores(self) -> int | list[int] | None:
        return self.config.tpu_cores

    @property
    def tpu_id(self) -> int | None:
        """The one TPU core a list like ``[5]`` names (None: a count of cores, or no TPU)."""
        cores = self.config.tpu_cores
        return cores[0] if isinstance(cores, list) else None

    @property
    def single_gpu(self) -> bool:
        return self.backend.kind == "gpu"

    @property
    def use_amp(self) -> bool:
        return self.config.precision == 16

    @property
    def data_parallel(self) -> bool:
        return self.use_dp or self.use_ddp or self.use_ddp2

    @property
    def data_parallel_device_ids(self) -> list[int] | None:
        return self.config.gpu_ids

    @property
    def num_gpus(self) -> int:
        return len(self.config.gpu_ids or []) if self.backend.kind != "cpu" else 0

    @property
    def root_gpu(self) -> int | None:
        device = self.backend.root_device
        return device.index if device.type == "cuda" else None

    # the data of the latest fit
    @property
    def val_check_batch(self) -> float:
        """Training batches between validation checks."""
        run = self._fit_run
        return run.data.train.val_check_batch if run and run.data.train else 0

    @property
    def total_batch_idx(self) -> int:
        """Training batches run in all epochs (0.8's counter, never reset)."""
        return self.state.progress.total_batch_idx

    @property
    def batch_idx(self) -> int:
        """The index in its epoch of the training batch running (or last run, until the next
        starts); before an epoch's first batch, where the epoch starts (0.8's meaning)."""
        run = self._fit_run
        running = run.data.batch_idx if run is not None else None
        return self.state.progress.batch_idx if running is None else running

    @property
    def split_idx(self) -> int | None:
        """The time split being trained (``truncated_bptt_steps``); None without splits."""
        run = self._fit_run
        step = run.data.step if run is not None else None
        return getattr(step, "split_idx", None)
