"""Shared by EarlyStopping and ModelCheckpoint: read a monitored metric and compare scores."""

from __future__ import annotations

from typing import Any

import torch

from schemas.errors import ConfigError, MonitorKeyError

__all__ = ["improves", "read_monitored", "resolve_mode"]


def resolve_mode(owner: str, monitor: str | None, mode: str) -> str:
    """'min' or 'max'; ``'auto'`` picks 'max' for accuracy-like names."""
    if mode not in ("min", "max", "auto"):
        raise ConfigError(f"{owner}(mode={mode!r}) is not valid: use 'min', 'max' or 'auto'")
    if mode != "auto":
        return mode
    name = (monitor or "").lower()
    return "max" if "acc" in name or name.startswith("fmeasure") else "min"


def read_monitored(owner: str, monitor: str, metrics: dict[str, Any], strict: bool) -> float | None:
    """The monitored value as a float; a missing key raises (strict) or gives None."""
    if monitor not in metrics:
        if not strict:
            return None
        available = ", ".join(repr(k) for k in sorted(metrics)) or "none yet"
        raise MonitorKeyError(
            f"{owner}(monitor={monitor!r}) found no metric {monitor!r}; the run produced: "
            f"{available}. Return it from validation_epoch_end (top level or in 'log'), or "
            f"set monitor= to one of these"
        )
    value = metrics[monitor]
    return float(value.item() if isinstance(value, torch.Tensor) else value)


def improves(current: float, best: float | None, mode: str, min_delta: float = 0.0) -> bool:
    """Whether ``current`` beats ``best`` by more than ``min_delta`` in ``mode``."""
    if best is None:
        return True
    if mode == "min":
        return current < best - min_delta
    return current > best + min_delta
