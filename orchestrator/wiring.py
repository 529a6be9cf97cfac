"""Turn Trainer arguments into the callback list and the logger."""

from __future__ import annotations

import os
from collections.abc import Iterable
from typing import Any

from orchestrator.callbacks import (
    Callback,
    EarlyStopping,
    ModelCheckpoint,
    ProgressBar,
    ProgressBarBase,
)
from orchestrator.loggers import LightningLoggerBase, LoggerCollection, TensorBoardLogger
from schemas.config import TrainerConfig
from schemas.errors import ConfigError
from schemas.outputs import describe_value

__all__ = ["build_callbacks", "build_logger", "build_profiler"]


def build_logger(config: TrainerConfig, root_dir: str) -> LightningLoggerBase | None:
    """``True``: TensorBoard under ``root_dir``; ``False``: none; a logger or a list of them."""
    value = config.logger
    if value is False or value is None or config.fast_dev_run:
        return None
    if value is True:
        return TensorBoardLogger(save_dir=root_dir, name="lightning_logs")
    if isinstance(value, LightningLoggerBase):
        return value
    if isinstance(value, Iterable) and not isinstance(value, str | bytes):
        loggers = list(value)
        bad = [lg for lg in loggers if not isinstance(lg, LightningLoggerBase)]
        if not bad:
            return LoggerCollection(loggers) if len(loggers) != 1 else loggers[0]
        value = bad[0]
    raise ConfigError(
        f"Trainer(logger=...) got {describe_value(value)}; pass True, False, a logger such as "
        "TensorBoardLogger(save_dir), or a list of loggers"
    )


def build_callbacks(config: TrainerConfig) -> tuple[list[Callback], Any, Any]:
    """All callbacks in call order, plus the checkpoint and early-stopping callbacks."""
    user = list(config.callbacks or [])
    for callback in user:
        if not isinstance(callback, Callback):
            raise ConfigError(
                f"Trainer(callbacks=[...]) got {describe_value(callback)}; every item must be "
                "an orchestrator.callbacks.Callback"
            )
    checkpoint = _pick("checkpoint_callback", config.checkpoint_callback, ModelCheckpoint,
                       lambda: ModelCheckpoint(strict=False))
    if config.fast_dev_run:
        checkpoint = None
    early_stop = _pick("early_stop_callback", config.early_stop_callback, EarlyStopping,
                       EarlyStopping)
    callbacks = [cb for cb in user if cb is not checkpoint and cb is not early_stop]
    if early_stop is not None:
        callbacks.append(early_stop)
    if checkpoint is not None:
        callbacks.append(checkpoint)
    bars = [cb for cb in user if isinstance(cb, ProgressBarBase)]
    if len(bars) > 1:
        raise ConfigError(  # 0.8.5's opening words, which its users match on
            f"You added multiple progress bar callbacks to Trainer(callbacks=[...]): "
            f"{len(bars)} ({', '.join(type(bar).__name__ for bar in bars)}); pass at most one"
        )
    if config.progress_bar_refresh_rate > 0 and not bars:
        callbacks.insert(0, ProgressBar(config.progress_bar_refresh_rate, config.process_position))
    return callbacks, checkpoint, early_stop


def _pick(name: str, value: Any, kind: type, default: Any) -> Any:
    if value is True:
        return default()
    if value is False or value is None:
        return None
    if isinstance(value, kind):
        return value
    raise ConfigError(
        f"Trainer({name}=...) got {describe_value(value)}; pass True, False or an instance "
        f"of {kind.__name__}"
    )


def default_root(config: TrainerConfig) -> str:
    """``default_root_dir`` or the working directory."""
    return str(config.default_root_dir) if config.default_root_dir else os.getcwd()


def build_profiler(config: TrainerConfig) -> Any:
    """``profiler=True``: a SimpleProfiler; a profiler object: itself; else a pass-through
    one (``trainer.profiler`` always profiles, as in 0.8.5). Imported here, when a Trainer is
    built: ``import orchestrator`` stays light."""
    value = config.profiler
    if value is True:
        from orchestrator.profiler.simple import SimpleProfiler

        return SimpleProfiler()
    if value is None or value is False:
        from orchestrator.profiler.passthrough import PassThroughProfiler

        return PassThroughProfiler()
    return value
