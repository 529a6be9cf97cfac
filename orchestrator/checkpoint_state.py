"""What a checkpoint holds: capture it from a trainer, and put it back into a run."""

from __future__ import annotations

from argparse import Namespace
from collections import deque
from datetime import datetime, timezone
from typing import Any

import torch
from loguru import logger

from backends.gpu import move_to
from orchestrator.checkpoint_io import check_module_keys, load_checkpoint
from schemas.checkpoint import CHECKPOINT_FORMAT_VERSION, CHECKPOINT_KIND
from schemas.errors import CheckpointError
from states.context import RunContext
from states.lifecycle import LifecycleRecord
from states.progress import RunProgress
from states.rng import rng_state, set_rng_state

__all__ = ["adopt_result", "capture", "plain_hparams", "restore_into", "restore_weights",
           "result_of"]

RESUMABLE_STATES = ("train_epoch", "val_check")


def capture(trainer: Any, weights_only: bool = False) -> dict[str, Any]:
    """The trainer's whole resumable state as plain data (loadable with weights_only=True)."""
    from orchestrator import __version__

    module = trainer.model
    checkpoint: dict[str, Any] = {
        "manifest": {
            "kind": CHECKPOINT_KIND,
            "format_version": CHECKPOINT_FORMAT_VERSION,
            "library_version": __version__,
            "created_at": datetime.now(timezone.utc).isoformat(),
            "weights_only": weights_only,
        },
        "epoch": trainer.current_epoch,
        "global_step": trainer.global_step,
        "state_dict": module.state_dict(),
        "hparams": plain_hparams(module.hparams),
        "hparams_type": type(module.hparams).__name__ if module.hparams is not None else None,
    }
    if not weights_only:
        checkpoint.update(_run_state(trainer))
    module.on_save_checkpoint(checkpoint)
    return checkpoint


def _run_state(trainer: Any) -> dict[str, Any]:
    run: RunContext | None = trainer._fit_run
    val_start_rng = run.val_start_rng if run is not None else None
    return {
        "lifecycle": trainer.lifecycle.record().to_dict(),
        "progress": trainer.progress.to_dict(),
        "metrics": _scalar_metrics(trainer.callback_metrics),
        "optimizer_states": [opt.state_dict() for opt in trainer.optimizers],
        "lr_schedulers": [cfg.scheduler.state_dict() for cfg in trainer.scheduler_configs],
        "callbacks": _callback_states(trainer),
        "rng": val_start_rng if val_start_rng is not None else rng_state(),
        "grads": {name: p.grad.detach().clone() for name, p in trainer.model.named_parameters()
                  if p.grad is not None},
        "epoch_outputs": list(run.batch_runner.outputs) if run and run.batch_runner else [],
        "metric_store": _metric_store(trainer.metrics),
        "logger": _logger_identity(trainer.logger),
        "grad_scaler": _scaler_state(trainer),
    }


def _scalar_metrics(metrics: dict[str, Any]) -> dict[str, float]:
    return {k: float(v) for k, v in metrics.items()
            if isinstance(v, int | float) or (isinstance(v, torch.Tensor) and v.numel() == 1)}


def _metric_store(store: Any) -> dict[str, Any]:
    return {"callback_metrics": dict(store.callback_metrics),
            "progress_bar_metrics": dict(store.progress_bar_metrics),
            "logged_metrics": dict(store.logged_metrics),
            "running_losses": _stacked(list(store.running_losses)),
            "step_log": dict(store.step_log)}


def _stacked(losses: list[torch.Tensor]) -> torch.Tensor | list[torch.Tensor]:
    """The recent losses as one tensor (one pickled object instead of twenty) when they stack."""
    if losses and all(t.shape == losses[0].shape and t.dtype == losses[0].dtype
                      and t.device == losses[0].device for t in losses):
        return torch.stack(losses)
    return losses


def _callback_states(trainer: Any) -> dict[str, Any]:
    states = {}
    for callback in trainer.callbacks:
        state = callback.on_save_checkpoint(trainer, trainer.model)
        if state is not None:
            states[callback.state_key] = state
    return states


def _logger_identity(run_logger: Any) -> dict[str, Any] | None:
    if run_logger is None:
        return None
    return {"name": str(run_logger.name), "version": run_logger.version}


def _scaler_state(trainer: Any) -> dict[str, Any] | None:
    scaler = trainer.backend.precision.scaler
    return scaler.state_dict() if scaler is not None else None


def plain_hparams(hparams: Any) -> dict[str, Any] | None:
    """Hyperparameters as plain data; values of other types are stored as their repr."""
    if hparams is None:
        return None
    values = vars(hparams) if isinstance(hparams, Namespace) else dict(hparams)
    return {str(k): _plain(v) for k, v in values.items()}


def _plain(value: Any) -> Any:
    if value is None or isinstance(value, bool | int | float | str):
        return value
    if isinstance(value, list | tuple):
        return [_plain(v) for v in value]
    if isinstance(value, dict):
        return {str(k): _plain(v) for k, v in value.items()}
    if isinstance(value, Namespace):
        return _plain(vars(value))
    logger.debug("hparam of type {t} stored as its repr", t=type(value).__name__)
    return repr(value)


def restore_into(trainer: Any, path: str, checkpoint: dict[str, Any]) -> Any:
    """A restore function for the dataloaders runner: put ``checkpoint`` back into the run."""

    def restore(ctx: RunContext) -> None:
        if checkpoint["manifest"].get("weights_only"):
            raise CheckpointError(
                f"{path!r} holds weights only (save_weights_only=True) and cannot resume "
                "training; load its 'state_dict' into the model instead"
            )
        _restore_module(path, ctx, checkpoint)
        _restore_optimizers(path, ctx, checkpoint)
        for callback in trainer.callbacks:
            state = checkpoint["callbacks"].get(callback.state_key)
            if state is not None:
                callback.on_load_checkpoint(state)
        vars(ctx.progress).update(vars(RunProgress.from_dict(checkpoint["progress"])))
        _restore_metrics(ctx, checkpoint)
        saved_state = checkpoint.get("lifecycle", {}).get("state")
        ctx.resumed_state = saved_state if saved_state in RESUMABLE_STATES else None
        per_rank = checkpoint.get("rng_per_rank")
        backend = ctx.backend
        if per_rank is not None and len(per_rank) == backend.world_size:
            set_rng_state(per_rank[backend.global_rank])
        else:
            set_rng_state(checkpoint["rng"])
        logger.info("resumed from {p} at epoch {e}, step {s}, batch {b} ({state})", p=path,
                    e=ctx.progress.epoch, s=ctx.progress.global_step, b=ctx.progress.batch_idx,
                    state=saved_state)

    return restore


def _restore_module(path: str, ctx: RunContext, checkpoint: dict[str, Any]) -> None:
    module = ctx.module
    check_module_keys(path, module, checkpoint["state_dict"])
    module.load_state_dict(checkpoint["state_dict"])
    grads = checkpoint.get("grads", {})
    for name, param in module.named_parameters():
        param.grad = grads[name].to(param.device) if name in grads else None
    module.on_load_checkpoint(checkpoint)


def _restore_metrics(ctx: RunContext, checkpoint: dict[str, Any]) -> None:
    """Metrics and the epoch's outputs so far, on the device new ones will come from (the
    checkpoint was loaded onto the CPU): an epoch-end hook stacks old and new together."""
    def on_device(value: Any) -> Any:
        return move_to(value, ctx.backend.root_device)

    saved = checkpoint.get("metric_store")
    if saved:
        _load_metric_store(ctx.metrics, on_device(saved))
    ctx.pending_outputs = list(on_device(checkpoint.get("epoch_outputs", [])))


def _load_metric_store(store: Any, saved: dict[str, Any]) -> None:
    store.callback_metrics = dict(saved["callback_metrics"])
    store.progress_bar_metrics = dict(saved["progress_bar_metrics"])
    store.logged_metrics = dict(saved["logged_metrics"])
    losses = saved["running_losses"]
    store.running_losses = deque(losses.unbind() if isinstance(losses, torch.Tensor) else losses,
                                 maxlen=20)
    store.step_log = dict(saved["step_log"])


def _restore_optimizers(path: str, ctx: RunContext, checkpoint: dict[str, Any]) -> None:
    saved = checkpoint["optimizer_states"]
    if len(saved) != len(ctx.optimizers):
        raise CheckpointError(
            f"{path!r} holds {len(saved)} optimizer state(s) but configure_optimizers "
            f"returned {len(ctx.optimizers)}"
        )
    for optimizer, state in zip(ctx.optimizers, saved):
        optimizer.load_state_dict(state)
    for config, state in zip(ctx.schedulers, checkpoint["lr_schedulers"]):
        config.scheduler.load_state_dict(state)
    scaler = ctx.backend.precision.scaler
    if scaler is not None and checkpoint.get("grad_scaler"):
        scaler.load_state_dict(checkpoint["grad_scaler"])


def restore_weights(path: str) -> Any:
    """A restore function that loads only the module's weights (for ``test(ckpt_path=...)``)."""
    checkpoint = load_checkpoint(path)

    def restore(ctx: RunContext) -> None:
        check_module_keys(path, ctx.module, checkpoint["state_dict"])
        ctx.module.load_state_dict(checkpoint["state_dict"])
        ctx.module.on_load_checkpoint(checkpoint)

    return restore


def result_of(trainer: Any) -> dict[str, Any]:
    """What a DDP worker of rank zero hands back to the process that called ``fit``."""
    result = capture(trainer)
    result["lifecycle"] = trainer.lifecycle.record().to_dict()
    return result


def adopt_result(trainer: Any, result: dict[str, Any] | None) -> None:
    """Make the calling process hold what the DDP workers trained: weights and trainer state."""
    if result is None:
        raise RuntimeError("the DDP workers ended without a result from rank zero")
    module = trainer.model
    module.load_state_dict(result["state_dict"])
    vars(trainer.progress).update(vars(RunProgress.from_dict(result["progress"])))
    for callback in trainer.callbacks:
        state = result["callbacks"].get(callback.state_key)
        if state is not None:
            callback.on_load_checkpoint(state)
    _load_metric_store(trainer.metrics, result["metric_store"])
    record = LifecycleRecord.from_dict(result["lifecycle"])
    trainer.lifecycle.adopt(record)
    saved_logger = result.get("logger")
    if saved_logger and trainer.logger is not None and hasattr(trainer.logger, "_version"):
        trainer.logger._version = saved_logger["version"]
