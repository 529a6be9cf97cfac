"""What a checkpoint holds: the trainer's stateful parts, as one ordered list.

``state_entries`` is that list. Capturing a checkpoint, resuming a fit from one, loading the
weights for a test and taking over what DDP workers trained all walk it
(``states.stateful``); each part saves and loads its own state.
"""

from __future__ import annotations

from collections.abc import Mapping
from datetime import datetime, timezone
from typing import Any

import torch
from loguru import logger

from backends.accelerator import move_to
from backends.base import Backend
from orchestrator.checkpoint_io import check_module_keys, load_checkpoint
from orchestrator.hparams import plain_hparams
from orchestrator.version import __version__
from schemas.checkpoint import CHECKPOINT_FORMAT_VERSION, CHECKPOINT_KIND
from schemas.errors import CheckpointError
from states.optim import OptimizerStates, SchedulerStates
from states.run import Run, RunData
from states.stateful import BodyEntry, Entry, StateEntry, Use, View, capture, restore

__all__ = ["capture_checkpoint", "restore_into", "restore_weights", "state_entries",
           "take_handback"]

RESUMABLE_STATES = ("train_epoch", "val_check")
_RESUME: frozenset[Use] = frozenset({"resume"})
_EVERY: frozenset[Use] = frozenset({"resume", "handback"})


def state_entries(trainer: Any, weights_only: bool = False, source: str = "the checkpoint",
                  data: RunData | None = None) -> list[Entry]:
    """The parts a checkpoint holds, in the order they are loaded. ``source`` names the file in
    errors; ``data`` is the run a resume loads into."""
    module, state, backend = trainer.model, trainer.state, trainer.backend
    progress, sharded = state.progress, backend.shards_state
    entries: list[Entry] = [
        StateEntry("epoch", View(lambda: progress.epoch)),
        StateEntry("global_step", View(lambda: progress.global_step)),
        StateEntry("state_dict", _ModuleWeights(module, source, backend),
                   frozenset({"resume", "weights", "handback"}), gathered=sharded),
        # 0.8's key (LightningModule.CHECKPOINT_HYPER_PARAMS_KEY); files before held `hparams`
        StateEntry("hyper_parameters", View(lambda: plain_hparams(module.hparams))),
        StateEntry("hparams_type", View(lambda: _hparams_type(module.hparams))),
        StateEntry("hparams_name", View(lambda: module._hparams_name if module.hparams else None)),
    ]
    hooks = BodyEntry(_ModuleHooks(module), frozenset({"resume", "weights"}))
    if weights_only:
        return [*entries, hooks]
    entries += [
        StateEntry("grads", _ModuleGrads(module, backend), _RESUME, gathered=sharded),
        hooks,
        StateEntry("optimizer_states", OptimizerStates(state.optimization, source, backend),
                   _RESUME, gathered=sharded),
        StateEntry("lr_schedulers", SchedulerStates(state.optimization), _RESUME),
        StateEntry("grad_scaler", backend.precision, _RESUME),
        StateEntry("callbacks", _CallbackStates(trainer), _EVERY),
        StateEntry("progress", progress, _EVERY),
        StateEntry("metrics", View(lambda: _scalars(state.metrics.callback_metrics))),
        StateEntry("metric_store", state.metrics, _EVERY, on_device=True),
        StateEntry("epoch_outputs", state.outputs, _RESUME, on_device=True),
        StateEntry("lifecycle", trainer.lifecycle, frozenset({"handback"})),
        StateEntry("logger", _LoggerState(trainer), frozenset({"handback"})),
        StateEntry("rng", state.generators, _RESUME),
    ]
    if data is not None:
        entries.append(StateEntry("lifecycle", _ResumePoint(data), _RESUME, writes=False))
    if backend.several_processes:
        entries.append(StateEntry("rng_per_rank", _RankGenerators(trainer), _RESUME, gathered=True))
    return entries


def capture_checkpoint(trainer: Any, weights_only: bool = False,
                       gathered: Mapping[str, Any] | None = None) -> dict[str, Any]:
    """The trainer's state as a checkpoint body (loadable with weights_only=True)."""
    manifest = {"kind": CHECKPOINT_KIND, "format_version": CHECKPOINT_FORMAT_VERSION,
                "library_version": __version__,
                "created_at": datetime.now(timezone.utc).isoformat(),
                "weights_only": weights_only}
    return {"manifest": manifest, **capture(state_entries(trainer, weights_only), gathered)}


def restore_into(trainer: Any, path: str, checkpoint: dict[str, Any]) -> Any:
    """A restore function for the dataloaders runner: put ``checkpoint`` back into the run."""

    def restore_run(run: Run) -> None:
        if checkpoint["manifest"].get("weights_only"):
            raise CheckpointError(
                f"{path!r} holds weights only (save_weights_only=True) and cannot resume "
                "training; load its 'state_dict' into the model instead"
            )
        restore(state_entries(trainer, source=path, data=run.data), checkpoint, "resume",
                lambda value: move_to(value, run.backend.root_device))
        progress = run.state.progress
        logger.info("resumed from {p} at epoch {e}, step {s}, batch {b} ({state})", p=path,
                    e=progress.epoch, s=progress.global_step, b=progress.batch_idx,
                    state=checkpoint["lifecycle"]["state"])

    return restore_run


def restore_weights(trainer: Any, path: str) -> Any:
    """A restore function that loads only the module's weights (for ``test(ckpt_path=...)``)."""
    checkpoint = load_checkpoint(path)

    def restore_run(run: Run) -> None:
        restore(state_entries(trainer, weights_only=True, source=path), checkpoint, "weights",
                lambda value: value)

    return restore_run


def take_handback(trainer: Any, result: dict[str, Any] | None) -> None:
    """Make the calling process hold what the DDP workers trained: weights and trainer state."""
    if result is None:
        raise RuntimeError("the DDP workers ended without a result from rank zero")
    restore(state_entries(trainer, source="the DDP workers' result"), result, "handback",
            lambda value: value)


def _hparams_type(hparams: Any) -> str | None:
    return type(hparams).__name__ if hparams else None


def _scalars(metrics: Mapping[str, Any]) -> dict[str, float]:
    return {k: float(v) for k, v in metrics.items()
            if isinstance(v, int | float) or (isinstance(v, torch.Tensor) and v.numel() == 1)}


class _ModuleWeights:
    """The module's full ``state_dict`` (gathered, where the backend shards it)."""

    def __init__(self, module: torch.nn.Module, source: str, backend: Backend) -> None:
        self.module, self.source, self.backend = module, source, backend

    def state_dict(self) -> dict[str, Any]:
        return self.backend.full_state(self.module.state_dict())  # type: ignore[no-any-return]

    def load_state_dict(self, state: dict[str, Any]) -> None:
        check_module_keys(self.source, self.module, state)
        self.backend.load_module_state(self.module, state)


class _ModuleGrads:
    """The gradients accumulated so far (a checkpoint inside an accumulation holds them)."""

    def __init__(self, module: torch.nn.Module, backend: Backend) -> None:
        self.module, self.backend = module, backend

    def state_dict(self) -> dict[str, torch.Tensor]:
        return self.backend.full_state(  # type: ignore[no-any-return]
            {name: p.grad.detach().clone() for name, p in self.module.named_parameters()
             if p.grad is not None})

    def load_state_dict(self, state: dict[str, torch.Tensor]) -> None:
        for name, param in self.module.named_parameters():
            param.grad = self.backend.shard_like(state[name].to(param.device), param) \
                if name in state else None


class _ModuleHooks:
    """The module's ``on_save_checkpoint`` / ``on_load_checkpoint``, with the whole body."""

    def __init__(self, module: Any) -> None:
        self.module = module

    def saving(self, body: dict[str, Any]) -> None:
        self.module.on_save_checkpoint(body)

    def loaded(self, body: Mapping[str, Any]) -> None:
        self.module.on_load_checkpoint(body)


class _CallbackStates:
    """What each callback's ``on_save_checkpoint`` returned, by its ``state_key``."""

    def __init__(self, trainer: Any) -> None:
        self.trainer = trainer

    def state_dict(self) -> dict[str, Any]:
        trainer, states = self.trainer, {}
        for callback in trainer.callbacks:
            state = callback.on_save_checkpoint(trainer, trainer.model)
            if state is not None:
                states[callback.state_key] = state
        return states

    def load_state_dict(self, state: dict[str, Any]) -> None:
        for callback in self.trainer.callbacks:
            if state.get(callback.state_key) is not None:
                callback.on_load_checkpoint(state[callback.state_key])


class _LoggerState:
    """The logger's identity (name, version), so that a resumed run continues its logs."""

    def __init__(self, trainer: Any) -> None:
        self.trainer = trainer

    def state_dict(self) -> dict[str, Any] | None:
        run_logger = self.trainer.logger
        if run_logger is None:
            return None
        return {**run_logger.state_dict(), "step": self.trainer.global_step}

    def load_state_dict(self, state: dict[str, Any] | None) -> None:
        if state and self.trainer.logger is not None:
            self.trainer.logger.load_state_dict(state)


class _ResumePoint:
    """Notes, for the resumed run, the lifecycle state its checkpoint was saved in."""

    def __init__(self, data: RunData) -> None:
        self.data = data

    def state_dict(self) -> None:
        raise AssertionError("the resume point reads the lifecycle section; it writes none")

    def load_state_dict(self, state: dict[str, Any]) -> None:
        saved = state.get("state")
        self.data.resumed_in = saved if saved in RESUMABLE_STATES else None


class _RankGenerators:
    """Every process's generator states, gathered at the save; each takes its own back."""

    def __init__(self, trainer: Any) -> None:
        self.trainer = trainer

    def state_dict(self) -> list[dict[str, Any]]:
        trainer = self.trainer
        return trainer.backend.gather_object(trainer.state.generators.state_dict())

    def load_state_dict(self, state: list[dict[str, Any]]) -> None:
        backend = self.trainer.backend
        if len(state) == backend.world_size:
            self.trainer.state.generators.load_state_dict(state[backend.global_rank])
