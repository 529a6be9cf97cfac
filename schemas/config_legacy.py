"""Trainer arguments of earlier Lightning releases: translated to today's, with a warning.

Two kinds. ``DEPRECATED`` are in Lightning 0.8.5's signature and deprecated there (``use_amp``,
``train_percent_check``, ...). ``OLDER`` are names of 0.5 to 0.7 (``max_nb_epochs``,
``default_save_path``, ...) that 0.8.5 no longer takes; accepting them costs nothing and lets
older scripts run.
"""

from __future__ import annotations

import warnings
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from typing import Any

from schemas.errors import ConfigError

__all__ = ["DEPRECATED", "OLDER", "Renamed", "translate"]


@dataclass(frozen=True)
class Renamed:
    """An old argument: the argument it became (None: it does nothing now), how its value
    becomes that argument's (``None`` from ``convert``: leave the default), and its type in
    Trainer's signature (0.8.5's, which gives it a command-line option; Any: none)."""

    new: str | None
    since: str
    convert: Callable[[Any], Any] = lambda value: value
    annotation: Any = Any


DEPRECATED: dict[str, Renamed] = {
    "train_percent_check": Renamed("limit_train_batches", "0.8.0", annotation=float | None),
    "val_percent_check": Renamed("limit_val_batches", "0.8.0", annotation=float | None),
    "test_percent_check": Renamed("limit_test_batches", "0.8.0", annotation=float | None),
    "overfit_pct": Renamed("overfit_batches", "0.8.0", annotation=float | None),
    "num_tpu_cores": Renamed("tpu_cores", "0.7.6"),
    "use_amp": Renamed("precision", "0.7.0", lambda on: 16 if on else 32),
    "show_progress_bar": Renamed("progress_bar_refresh_rate", "0.7.2",
                                 lambda shown: None if shown else 0),
    # NaN gradients are reported without it
    "print_nan_grads": Renamed(None, "0.7.0", annotation=bool | None),
}

OLDER: dict[str, Renamed] = {
    "default_save_path": Renamed("default_root_dir", "0.7.0"),
    "gradient_clip": Renamed("gradient_clip_val", "0.5.0"),
    "nb_gpu_nodes": Renamed("num_nodes", "0.5.0"),
    "max_nb_epochs": Renamed("max_epochs", "0.5.0"),
    "min_nb_epochs": Renamed("min_epochs", "0.5.0"),
    "add_row_log_interval": Renamed("row_log_interval", "0.5.0"),
    "nb_sanity_val_steps": Renamed("num_sanity_val_steps", "0.5.0"),
}


def translate(kwargs: dict[str, Any], defaults: Mapping[str, Any]
              ) -> tuple[dict[str, Any], dict[str, str]]:
    """Today's arguments for ``kwargs``, and for each translated one the name the caller used
    (errors about it name what the caller wrote). Warns once per old name. A new name given
    at its default (``defaults``) beside its old one yields to it, as in 0.8.5 (a parsed
    command line holds both).

    Raises:
        ConfigError: an old name and its new one were both given, the new one not at its
            default.
    """
    result, spelled = dict(kwargs), {}
    for old, renamed in (DEPRECATED | OLDER).items():
        if old not in result:
            continue
        value = result.pop(old)
        if value is None:  # their default in Trainer's signature: not given
            continue
        _warn(old, renamed)
        if renamed.new is None:
            continue
        if renamed.new in kwargs and kwargs[renamed.new] != defaults.get(renamed.new, ...):
            raise ConfigError(
                f"Trainer({old}={value!r}, {renamed.new}={kwargs[renamed.new]!r}): {old} is "
                f"the old name of {renamed.new}; pass only {renamed.new}"
            )
        converted = renamed.convert(value)
        if converted is not None:
            result[renamed.new] = converted
            spelled[renamed.new] = old
    return result, spelled


def _warn(old: str, renamed: Renamed) -> None:
    if renamed.new is None:
        message = f"Trainer({old}=...) has no effect since Lightning {renamed.since}; drop it"
    else:
        message = (f"Trainer({old}=...) is named {renamed.new} since Lightning {renamed.since}; "
                   f"it still works here, but pass {renamed.new} instead")
    warnings.warn(message, DeprecationWarning, stacklevel=5)
