"""CSVLogger: every metric at its step, read back with the csv module and checked against
what TensorBoard received in the same run; hparams.yaml; columns added later; resume."""

from __future__ import annotations

import csv
from pathlib import Path
from typing import Any

import pytest
import yaml
from tensorboard.backend.event_processing.event_accumulator import EventAccumulator

import orchestrator as pl
from orchestrator.loggers import CSVLogger, TensorBoardLogger
from tests.helpers import BoringModel


def _rows(logger: CSVLogger) -> list[dict[str, str]]:
    with open(logger.metrics_file, newline="") as handle:
        return list(csv.DictReader(handle))


class _WithHparams(BoringModel):
    def __init__(self) -> None:
        super().__init__(batch_size=8, n=64)
        self.hparams = {"lr": 0.05, "layers": 1}


def test_every_metric_at_its_step_as_tensorboard_got_it(tmp_path: Path) -> None:
    board = TensorBoardLogger(str(tmp_path), name="tb")
    table = CSVLogger(str(tmp_path), name="csv")
    trainer = pl.Trainer(max_epochs=3, logger=[board, table], row_log_interval=2,
                         default_root_dir=str(tmp_path), progress_bar_refresh_rate=0,
                         weights_summary=None, checkpoint_callback=False)
    trainer.fit(_WithHparams())
    assert Path(table.log_dir) == tmp_path / "csv" / "version_0"
    rows = _rows(table)
    ours = {(key, int(row["step"])): float(value) for row in rows
            for key, value in row.items() if key != "step" and value != ""}
    events = EventAccumulator(board.log_dir)
    events.Reload()
    theirs = {(tag, event.step): event.value for tag in events.Tags()["scalars"]
              for event in events.Scalars(tag)}
    assert {"train_loss", "val_loss", "epoch"} <= {key for key, _ in ours}
    assert ours.keys() == theirs.keys()
    for key, value in theirs.items():
        assert ours[key] == pytest.approx(value, rel=1e-6), key
    assert yaml.safe_load((Path(table.log_dir) / "hparams.yaml").read_text()) == {
        "lr": 0.05, "layers": 1}


def test_a_metric_that_comes_later_adds_its_column(tmp_path: Path) -> None:
    logger = CSVLogger(str(tmp_path), name=None, prefix="run")
    logger.log_metrics({"a": 1.0}, step=0)
    logger.save()
    logger.log_metrics({"a": 2.0, "b": 3.0}, step=1)
    logger.save()
    logger.log_metrics({"b": 4.0}, step=2)
    logger.finalize("success")
    assert Path(logger.log_dir) == tmp_path / "version_0"
    assert _rows(logger) == [{"step": "0", "run-a": "1.0", "run-b": ""},
                             {"step": "1", "run-a": "2.0", "run-b": "3.0"},
                             {"step": "2", "run-a": "", "run-b": "4.0"}]


def test_a_resumed_run_continues_its_file_without_the_rows_after_the_checkpoint(
        tmp_path: Path) -> None:
    first = CSVLogger(str(tmp_path))
    for step in range(8):  # killed at step 7; its checkpoint was at step 5
        first.log_metrics({"loss": float(step)}, step=step)
    first.save()
    resumed = CSVLogger(str(tmp_path))
    resumed.load_state_dict({"name": "lightning_logs", "version": 0, "step": 5})
    for step in (5, 6):
        resumed.log_metrics({"loss": 10.0 + step}, step=step)
    resumed.finalize("success")
    assert [(r["step"], r["loss"]) for r in _rows(resumed)] == [
        ("0", "0.0"), ("1", "1.0"), ("2", "2.0"), ("3", "3.0"), ("4", "4.0"),
        ("5", "15.0"), ("6", "16.0")]


def test_log_hyperparams_takes_metrics_as_0_8_5_did(tmp_path: Path) -> None:
    logger = CSVLogger(str(tmp_path))
    logger.log_hyperparams({"lr": 0.1}, metrics={"hp_metric": 0.5})
    logger.save()
    assert _rows(logger) == [{"step": "", "hp_metric": "0.5"}]
    assert isinstance(logger.experiment, CSVLogger) and logger.version == 0
    assert pl.loggers.CSVLogger is CSVLogger
    _: Any = yaml.safe_load((Path(logger.log_dir) / "hparams.yaml").read_text())
    assert _ == {"lr": 0.1}
