"""Shared test models and tiny datasets (the "boring" modules)."""

from __future__ import annotations

from typing import Any

import orchestrator as pl
from orchestrator.demos import BoringModel, regression_data

__all__ = ["BoringModel", "TrainOnlyModel", "quiet_trainer", "regression_data"]


class TrainOnlyModel(BoringModel):
    """BoringModel without validation and test loops."""

    validation_step = pl.LightningModule.validation_step  # type: ignore[assignment]
    validation_epoch_end = pl.LightningModule.validation_epoch_end  # type: ignore[assignment]
    val_dataloader = pl.LightningModule.val_dataloader  # type: ignore[assignment]


def quiet_trainer(tmp_path: Any, **kwargs: Any) -> pl.Trainer:
    """A Trainer writing under ``tmp_path`` with no progress bar or weights summary."""
    defaults: dict[str, Any] = dict(default_root_dir=str(tmp_path), progress_bar_refresh_rate=0,
                                    weights_summary=None)
    defaults.update(kwargs)
    return pl.Trainer(**defaults)
