"""Shared test models and tiny datasets (the "boring" modules)."""

from __future__ import annotations

from typing import Any

import orchestrator as pl
from orchestrator.demos import BoringModel, regression_data
from orchestrator.loggers import LightningLoggerBase

__all__ = ["BoringModel", "RecordingLogger", "TrainOnlyModel", "quiet_trainer",
           "regression_data"]


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


class RecordingLogger(LightningLoggerBase):
    """A real logger subclass that records what the trainer asks of it."""

    def __init__(self) -> None:
        self.calls: list[tuple[Any, ...]] = []

    @property
    def experiment(self) -> Any:
        return None

    @property
    def name(self) -> str:
        return "recording"

    @property
    def version(self) -> int:
        return 0

    def log_metrics(self, metrics: dict[str, float], step: int | None = None) -> None:
        self.calls.append(("log_metrics", step, dict(metrics)))

    def log_hyperparams(self, params: Any) -> None:
        self.calls.append(("log_hyperparams", params))

    def save(self) -> None:
        self.calls.append(("save",))

    def finalize(self, status: str) -> None:
        self.calls.append(("finalize", status))
