"""Trainer: validates its arguments, wires the run, and drives the lifecycle."""

from __future__ import annotations

import contextlib
import os
import warnings
from collections.abc import Iterator
from typing import Any

import torch
from loguru import logger

from backends.base import Backend
from backends.cpu import CPUBackend
from backends.select import select_backend
from orchestrator.callbacks import ProgressBarBase
from orchestrator.checkpoint_io import load_checkpoint, write_atomically
from orchestrator.checkpoint_sharded import write_sharded
from orchestrator.checkpoint_state import (
    capture_checkpoint,
    restore_into,
    restore_weights,
    state_entries,
    take_handback,
)
from orchestrator.interrupts import GracefulInterrupt
from orchestrator.lifecycle_pictures import LifecyclePictures, lifecycle_observer
from orchestrator.loggers.base import LoggerCollection, for_other_rank
from orchestrator.module import LightningModule
from orchestrator.output_dirs import check_output_dirs
from orchestrator.run_files import LifecycleWriter
from orchestrator.summary import weights_summary
from orchestrator.test_report import print_test_results
from orchestrator.trainer_argparse import TrainerArgparse
from orchestrator.trainer_properties import TrainerProperties
from orchestrator.tuning import TrainerTuning
from orchestrator.wiring import build_callbacks, build_logger, build_profiler, default_root
from schemas.config import build_config, trainer_signature
from schemas.config_legacy import DEPRECATED, OLDER
from schemas.errors import MisconfigurationError
from schemas.outputs import OutputValidator
from states.drive import drive
from states.hook_table import Hook
from states.hooks import HookDispatcher
from states.lifecycle import Lifecycle
from states.metrics import MetricStore
from states.run import InterruptRequest, Mode, Run, RunState
from states.schedule import should_continue
from states.stateful import gather

__all__ = ["Trainer"]


class Trainer(TrainerProperties, TrainerArgparse, TrainerTuning):
    """Runs ``fit`` and ``test`` of a LightningModule through the lifecycle state machine.

    Takes every Trainer argument of the seed (``max_epochs``, ``gpus``, ``val_check_interval``,
    ... with Lightning 0.8.5 defaults) plus ``truncated_bptt_steps``, ``terminate_on_nan``,
    ``resume_from_checkpoint``, ``num_processes`` and ``strict_outputs``; see
    ``docs/config.md`` for the full table.

    Raises:
        ConfigError: an argument is unknown, of the wrong type, out of range, or combined
            with another that excludes it; the message names it and the valid values.
        HardwareUnavailableError: ``gpus`` ask for what is not here (``tpu_cores`` without
            torch_xla: when fit or test starts, as 0.8.5).

    Example:
        >>> trainer = Trainer(max_epochs=10, gradient_clip_val=0.5)
        >>> trainer.fit(model)
        >>> trainer.test()
    """

    # no command-line option for these: 0.8.5's DEPRECATED_IN_0_9, and the pre-0.8 names
    deprecated_arg_names = ("use_amp", "show_progress_bar", "num_tpu_cores", *OLDER)

    def __init__(self, **kwargs: Any) -> None:
        self.config = build_config(**kwargs)
        torch.backends.cudnn.benchmark = self.config.benchmark
        torch.backends.cudnn.deterministic = self.config.deterministic
        self.profiler = build_profiler(self.config)
        self.callbacks, self.checkpoint_callback, self.early_stop_callback = build_callbacks(
            self.config)
        for callback in self.callbacks:
            callback.on_init_start(self)
        self.backend = select_backend(self.config)
        self.default_root_dir = default_root(self.config)
        self.logger = build_logger(self.config, self.default_root_dir)
        self.lifecycle = Lifecycle()
        # the running loss (a detach a step) is kept when a progress bar shows it
        self.progress_bar_callback = next(
            (cb for cb in self.callbacks if isinstance(cb, ProgressBarBase)), None)
        shown = self.progress_bar_callback is not None
        self.state = RunState(metrics=MetricStore(running_loss=shown))
        self.validator = OutputValidator(self.config.strict_outputs)
        self.model: LightningModule | None = None
        self._run: Run | None = None
        self._fit_run: Run | None = None
        self._lifecycle_writer: LifecycleWriter | None = None
        self._lifecycle_pictures: LifecyclePictures | None = None
        for callback in self.callbacks:
            callback.on_init_end(self)

    # running
    def fit(self, model: LightningModule, train_dataloader: Any = None,
            val_dataloaders: Any = None, ckpt_path: str | os.PathLike[str] | None = None) -> int:
        """Train ``model``; dataloaders passed here replace the module's own.

        ``ckpt_path`` (or ``resume_from_checkpoint``) resumes from a checkpoint.
        Returns 1 once the run ends, as Lightning does.
        """
        overrides = {Hook.TRAIN_DATALOADER: train_dataloader, Hook.VAL_DATALOADER: val_dataloaders}
        path = ckpt_path or self.config.resume_from_checkpoint
        self._check_fit_left(model, path)
        self._attach(model)
        self._tune_before_fit(model, train_dataloader, val_dataloaders)
        own_connection = type(model).init_ddp_connection is not LightningModule.init_ddp_connection
        # 0.8.5's override joins the group (None: a module fitted before may have had one)
        self.backend.connect = model.init_ddp_connection if own_connection else None
        if self.backend.needs_launch:
            result = self.backend.launch(self._fit_in_process, model, overrides, path)
            take_handback(self, result)
            return 1
        with self._process_group(self.backend):
            if not self.is_global_zero:
                self.logger = for_other_rank(self.logger)
            self._fit_in_process(model, overrides, path)
        return 1

    def _check_fit_left(self, model: LightningModule, path: Any) -> None:
        """A second ``fit`` continues the first; once that one has ended, there is nothing
        left to train, which is refused rather than returned as a silent success."""
        previous = self._fit_run
        if previous is None or path is not None or should_continue(self.config, self.progress) \
                or previous.lifecycle.outcome not in ("completed", "stopped_early"):
            return
        raise MisconfigurationError(
            f"Trainer.fit({type(model).__name__}): this Trainer's fit already ended "
            f"({previous.lifecycle.outcome}, epoch {self.progress.epoch + 1} of "
            f"max_epochs={self.config.max_epochs}, global step {self.progress.global_step}), "
            "so it has nothing left to train; make a new Trainer for a new run (test() may be "
            "called on this one any number of times)")

    @staticmethod
    @contextlib.contextmanager
    def _process_group(backend: Any) -> Iterator[None]:
        """The backend's process group around a run in this process: joined first, and left
        after when this process made it (a launcher's group lives until the process ends)."""
        if not backend.distributed:
            yield
            return
        backend.init_group()
        try:
            yield
        except BaseException:
            backend.failed = True  # no farewell barrier: a peer may be elsewhere
            raise
        finally:
            backend.teardown()

    def _fit_in_process(self, model: LightningModule, overrides: dict[Hook, Any],
                        path: str | os.PathLike[str] | None) -> Any:
        """The fit itself, in this process (one of several under DDP)."""
        if self.backend.several_processes and not self.is_global_zero:
            self.logger = for_other_rank(self.logger)
        if self.is_global_zero:
            check_output_dirs(self)
        checkpoint = load_checkpoint(path) if path is not None else None
        if checkpoint is not None and checkpoint.get("logger") and self.logger is not None:
            self.logger.load_state_dict(checkpoint["logger"])  # continue the saved run's logs
        if self.config.weights_summary and self.is_global_zero:
            # as is, without loguru's header line (the summary is for reading)
            logger.opt(raw=True).info("{}\n", weights_summary(model, self.config.weights_summary))
        if self.logger is not None and model.hparams and checkpoint is None:
            self.logger.log_hyperparams(model.hparams)
        if self.progress.data_seed is None:
            self.progress.data_seed = torch.initial_seed()
        restore = restore_into(self, str(path), checkpoint) if checkpoint is not None else None
        if not self.backend.several_processes:
            interrupt = GracefulInterrupt(self._save_interrupted)
            with interrupt.installed():
                drive(self._new_run("fit", overrides, restore=restore, interrupt=interrupt))
            self._report_profile()
            return 1
        drive(self._new_run("fit", overrides, restore=restore))  # a failure marks the backend
        # failed (_run_rank, _process_group); rank zero hands back what it trained
        self._report_profile()
        # (gathered on every rank first: FSDP's shards come together in collectives)
        gathered = gather(state_entries(self))
        return capture_checkpoint(self, gathered=gathered) if self.is_global_zero else None

    @property
    def _active_profiler(self) -> Any:
        """The profiler to time hooks and states with; None for the pass-through one."""
        value = self.config.profiler
        return None if value is None or value is False else self.profiler

    def _report_profile(self) -> None:
        if self._active_profiler is not None and self.is_global_zero:
            self.profiler.describe()  # at the end of fit, as 0.8.5

    def _save_interrupted(self) -> str:
        directory = self.checkpoint_callback.resolve_dir(self) if self.checkpoint_callback \
            else self.default_checkpoint_dir
        path = os.path.join(str(directory), "interrupted.ckpt")
        self.save_checkpoint(path)
        return path

    def test(self, model: LightningModule | None = None, test_dataloaders: Any = None,
             ckpt_path: str | os.PathLike[str] | None = "best") -> list[dict[str, float]]:
        """Test ``model``, or the model of the last ``fit`` with the weights of ``ckpt_path``:
        ``'best'`` (the default, as 0.8.5) is the checkpoint callback's best file, None the
        weights as they are. A model passed here is tested with its own weights unless
        ``ckpt_path`` names a file.

        Returns one dict of metrics per test dataloader (0.8.5 printed them as "TEST
        RESULTS"; so does this, on global rank zero).
        """
        if model is None and self.model is None:
            raise MisconfigurationError(
                "Trainer.test() needs a model: call test(model) or fit(model) first")
        path = self._weights_to_test(ckpt_path, given=model is not None)
        self._attach(model or self.model)
        # after a DDP fit that this Trainer launched, the caller tests in one process
        backend = CPUBackend(self.config.precision) if self.backend.needs_launch else self.backend
        restore = restore_weights(self, path) if path is not None else None
        self.tested_ckpt_path = path
        run = self._new_run("test", {Hook.TEST_DATALOADER: test_dataloaders}, backend, restore)
        with self._process_group(backend):
            drive(run)
        if self.is_global_zero:
            print_test_results(run.data.test_results)
        return run.data.test_results

    def _weights_to_test(self, ckpt_path: str | os.PathLike[str] | None, given: bool) -> str | None:
        """The checkpoint whose weights ``test`` loads (None: the model's own)."""
        if ckpt_path is None or (given and ckpt_path == "best"):
            return None
        if ckpt_path != "best":
            return os.fspath(ckpt_path)
        callback = self.checkpoint_callback
        if callback is not None and callback.save_top_k <= 0:
            raise MisconfigurationError(
                f"Trainer.test(ckpt_path='best'): ModelCheckpoint(save_top_k="
                f"{callback.save_top_k}) is not configured to save the best model; pass "
                "ckpt_path=None to test the current weights, or a checkpoint's path")
        best = getattr(callback, "best_model_path", "") or ""
        if not best:
            logger.warning("Trainer.test(ckpt_path='best'): no best checkpoint was saved (no "
                           "ModelCheckpoint, or it saved none); testing the current weights")
            return None
        return str(best)

    def _attach(self, model: Any) -> None:
        if not isinstance(model, LightningModule):
            raise MisconfigurationError(
                f"Trainer expects an orchestrator.LightningModule, got {type(model).__name__}; "
                "subclass LightningModule (import orchestrator as pl; class M(pl.LightningModule))"
            )
        self.backend.ensure_available()
        model.trainer = self
        self.model = model

    def _new_run(self, mode: Mode, overrides: dict[Hook, Any], backend: Backend | None = None,
                 restore: Any = None, interrupt: InterruptRequest | None = None) -> Run:
        assert self.model is not None
        log_dir = getattr(self.logger, "log_dir", None)
        if log_dir is not None and self.is_global_zero:
            if self._lifecycle_writer is None:
                self._lifecycle_writer = LifecycleWriter(log_dir)
        if self.logger is not None and self.logger.takes_pictures and self.is_global_zero:
            if self._lifecycle_pictures is None:  # one per Trainer: its steps go on over runs
                self._lifecycle_pictures = LifecyclePictures(
                    self.logger, every_change=self.logger.pictures_every_change)
        self.lifecycle.on_change = lifecycle_observer(
            self._lifecycle_writer if log_dir is not None and self.is_global_zero else None,
            self._lifecycle_pictures if self.logger is not None else None)
        self._run = Run(
            mode=mode, module=self.model, config=self.config, backend=backend or self.backend,
            hooks=HookDispatcher(self, self.model, self.callbacks, self._active_profiler),
            loggers=self.logger or _NoLogger(), validator=self.validator,
            lifecycle=self.lifecycle, state=self.state,
            loader_overrides={k: v for k, v in overrides.items() if v is not None},
            restore=restore, interrupt=interrupt,
        )
        if mode == "fit":
            self._fit_run = self._run
        return self._run

    # checkpoints
    def save_checkpoint(self, filepath: str | os.PathLike[str], weights_only: bool = False) -> None:
        """Write the resumable state of the run to ``filepath`` atomically.

        Under DDP call it on every process (as ModelCheckpoint does): each process's generator
        states are gathered into the file, which rank zero alone writes.
        """
        if self.model is None:
            raise MisconfigurationError("save_checkpoint needs a model: call fit(model) first")
        if self.backend.writes_shards:  # a folder: each rank writes its own shard
            if self.is_global_zero and self.logger is not None:
                self.logger.write_pending()
            write_sharded(self, filepath, weights_only)
            return
        entries = state_entries(self, weights_only)
        gathered = None
        if self.backend.several_processes:
            try:
                gathered = gather(entries)
            except RuntimeError as exc:  # a timeout, or another collective met this one
                raise MisconfigurationError(
                    f"save_checkpoint({str(filepath)!r}) on rank {self.global_rank}: under DDP "
                    "it gathers every process's generator states, and the other processes did "
                    "not call it at the same point (within ORCHESTRATOR_DDP_TIMEOUT seconds); "
                    "call it on every process, from a hook that runs on all of them (as "
                    "ModelCheckpoint does): rank zero alone writes the file. "
                    f"The collective said: {str(exc)[:200]}"
                ) from None
        if self.is_global_zero:
            if self.logger is not None:
                self.logger.write_pending()  # a resume from this file has every row before it
            write_atomically(capture_checkpoint(self, weights_only, gathered), filepath)

    @property
    def default_checkpoint_dir(self) -> str:
        """``<weights_save_path or logger's save_dir or root>/<logger name>/version_<v>/
        checkpoints`` (0.8.5's order); ``<weights_save_path or root>/checkpoints`` without one
        logger."""
        root = str(self.config.weights_save_path or self.default_root_dir)
        if self.logger is None or isinstance(self.logger, LoggerCollection):
            return os.path.join(root, "checkpoints")
        if self.config.weights_save_path is None and self.logger.save_dir:
            root = str(self.logger.save_dir)
        version = self.logger.version
        folder = version if isinstance(version, str) else f"version_{version}"
        return os.path.join(root, str(self.logger.name), folder, "checkpoints")

    def __getattr__(self, name: str) -> Any:
        # Trainer arguments read back as attributes (trainer.max_epochs, ...)
        config = self.__dict__.get("config")
        if config is not None and name in type(config).model_fields:
            return getattr(config, name)
        renamed = DEPRECATED.get(name)
        if config is not None and renamed is not None and renamed.new is not None:
            warnings.warn(f"trainer.{name} is named trainer.{renamed.new} since Lightning "
                          f"{renamed.since}", DeprecationWarning, stacklevel=2)
            return getattr(self, renamed.new)
        raise AttributeError(f"'Trainer' object has no attribute {name!r}")


# the Trainer's arguments, as tools (argparse, IDEs, inspect) read them: one per config field
Trainer.__init__.__signature__ = trainer_signature()  # type: ignore[attr-defined]


class _NoLogger:
    """Stands in when ``logger=False``: metric rows go nowhere."""

    def log_metrics(self, metrics: dict[str, float], step: int) -> None: ...
    def save(self) -> None: ...
    def finalize(self, status: str) -> None: ...

