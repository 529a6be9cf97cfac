"""WandbLogger offline: the run file (``run-<id>.wandb``) read back with wandb's own reader
(``wandb.sdk.internal.datastore`` and its ``Record`` protobuf), compared step by step with
TensorBoard's events of the same run."""

from __future__ import annotations

import glob
import importlib
import json
import pickle
import shutil
import sys
import time
from pathlib import Path
from typing import Any
from unittest import mock

import pytest
from tensorboard.backend.event_processing.event_accumulator import EventAccumulator

import orchestrator as pl
from orchestrator.loggers import TensorBoardLogger, WandbLogger
from tests.helpers import BoringModel

wandb = pytest.importorskip("wandb")
datastore = pytest.importorskip("wandb.sdk.internal.datastore")


@pytest.fixture(autouse=True)
def _no_run_left_open(monkeypatch: pytest.MonkeyPatch) -> Any:
    monkeypatch.setenv("WANDB_SILENT", "true")
    monkeypatch.delenv("WANDB_MODE", raising=False)
    yield
    wandb.finish()


class _Logged(BoringModel):
    def __init__(self) -> None:
        super().__init__(batch_size=8, n=64)
        self.hparams = {"lr": 0.05, "hidden": 16, "optim": {"name": "sgd"}}


def _records(save_dir: Path) -> dict[str, list[Any]]:
    """Every record of the one offline run under ``save_dir``, by kind, once wandb's service
    has written the run's last record (``exit``: ``finish()`` returns before that is on disk)."""
    (path,) = glob.glob(str(save_dir / "wandb" / "offline-run-*" / "run-*.wandb"))
    return _scan_until_exit(path)


def _scan_until_exit(path: str) -> dict[str, list[Any]]:
    deadline = time.monotonic() + 30
    while "exit" not in (kinds := _scan(path)) and time.monotonic() < deadline:
        time.sleep(0.05)
    return kinds


def _scan(path: str) -> dict[str, list[Any]]:
    from wandb.proto import wandb_internal_pb2

    store = datastore.DataStore()
    store.open_for_scan(path)
    kinds: dict[str, list[Any]] = {}
    while (data := store.scan_data()) is not None:
        record = wandb_internal_pb2.Record()
        record.ParseFromString(data)
        kind = record.WhichOneof("record_type")
        kinds.setdefault(kind, []).append(getattr(record, kind))
    return kinds


def _rows(records: dict[str, list[Any]]) -> list[dict[str, Any]]:
    return [{item.key or "/".join(item.nested_key): json.loads(item.value_json)
             for item in history.item} for history in records.get("history", [])]


def _fit(tmp_path: Path, logger: WandbLogger, **kwargs: Any) -> tuple[pl.Trainer, str]:
    board = TensorBoardLogger(str(tmp_path), name="tb")
    trainer = pl.Trainer(max_epochs=3, logger=[logger, board], row_log_interval=2,
                         default_root_dir=str(tmp_path), progress_bar_refresh_rate=0,
                         weights_summary=None, checkpoint_callback=False, **kwargs)
    trainer.fit(_Logged())  # finalize finishes the run
    return trainer, board.log_dir


def test_metrics_and_hyperparameters_read_back_from_the_offline_run(tmp_path: Path) -> None:
    logger = WandbLogger(name="first", save_dir=str(tmp_path), offline=True, project="boring",
                         tags=["smoke"], group="g1", lifecycle=False)
    _, board_dir = _fit(tmp_path, logger)
    records = _records(tmp_path)
    (run,) = records["run"]
    assert (run.project, run.display_name, run.run_id) == ("boring", "first", logger.version)
    assert list(run.tags) == ["smoke"] and run.run_group == "g1"
    config = {item.key: json.loads(item.value_json)
              for update in records["config"] for item in update.update}
    assert {key: config[key] for key in ("lr", "hidden", "optim/name")} == {
        "lr": 0.05, "hidden": 16, "optim/name": "sgd"}  # flat, as 0.8.5 and Lightning 2
    rows = _rows(records)
    theirs = EventAccumulator(board_dir)
    theirs.Reload()
    tags = theirs.Tags()["scalars"]
    assert {"train_loss", "val_loss", "epoch"} <= set(tags)
    for tag in tags:
        expected = [(e.step, e.value) for e in theirs.Scalars(tag)]
        ours = [(row["global_step"], row[tag]) for row in rows if tag in row]
        assert [step for step, _ in ours] == [step for step, _ in expected], tag
        assert [value for _, value in ours] == pytest.approx([v for _, v in expected]), tag
    # W&B's charts use the trainer's step as their x-axis
    defined = {metric.glob_name or metric.name: metric.step_metric
               for metric in records["metric"]}
    assert defined["*"] == "global_step"


def test_name_and_version_are_the_project_and_the_run_id(tmp_path: Path) -> None:
    logger = WandbLogger(save_dir=str(tmp_path), offline=True, project="boring", id="run42")
    assert (logger.name, logger.version, logger.save_dir) == ("boring", "run42", str(tmp_path))
    logger.log_metrics({"loss": 0.5}, step=3)
    logger.log_metrics({"acc": 0.25})
    logger.finalize("success")
    rows = _rows(_records(tmp_path))
    # a row without a step gets W&B's last one (its step sync for ``define_metric``)
    assert [(row.get("global_step"), row.get("loss"), row.get("acc")) for row in rows] == [
        (3, 0.5, None), (3, None, 0.25)]


def test_hyperparameters_are_flattened_and_none_is_its_text(tmp_path: Path) -> None:
    logger = WandbLogger(save_dir=str(tmp_path), offline=True)
    logger.log_hyperparams({"test": None, "nested": {"a": 1}, "b": [2, 3, 4]})
    config = dict(logger.experiment.config)
    assert {key: config[key] for key in ("test", "nested/a", "b")} == {
        "test": "None", "nested/a": 1, "b": [2, 3, 4]}


def test_a_mock_patched_over_the_modules_wandb_is_the_one_used() -> None:
    """0.8 code's tests patch ``pytorch_lightning.loggers.wandb.wandb``; the module imports
    wandb only when it is first asked for, and a patch over it is what the logger calls."""
    module = importlib.import_module("orchestrator.loggers.wandb")
    with mock.patch("orchestrator.loggers.wandb.wandb") as fake:
        logger = WandbLogger(offline=True)
        logger.log_metrics({"acc": 1.0}, step=3)
        fake.init().log.assert_called_once_with({"acc": 1.0, "global_step": 3})
        logger.watch("model", "all", 10)
        fake.init().watch.assert_called_once_with("model", log="all", log_freq=10)
    assert "wandb" not in vars(module) and module.wandb is wandb  # the real one again


def test_a_run_of_older_wandb_without_define_metric_is_logged_to() -> None:
    class OldRun:  # wandb before 0.10.22: project_name() and no define_metric
        id = "old1"

        def __init__(self) -> None:
            self.rows: list[dict[str, Any]] = []

        def project_name(self) -> str:
            return "older"

        def log(self, row: dict[str, Any]) -> None:
            self.rows.append(row)

    with mock.patch("orchestrator.loggers.wandb.wandb") as fake:
        fake.init.return_value = run = OldRun()
        logger = WandbLogger(offline=True)
        logger.log_metrics({"acc": 1.0}, step=2)
        assert logger.name == "older" and run.rows == [{"acc": 1.0, "global_step": 2}]


def test_version_is_the_given_version_and_anonymous_is_accepted(tmp_path: Path) -> None:
    logger = WandbLogger(save_dir=str(tmp_path), offline=True, version="v7", anonymous=True)
    assert logger.version == "v7"


def test_a_copy_for_another_process_keeps_the_run_id_not_the_run(tmp_path: Path) -> None:
    logger = WandbLogger(save_dir=str(tmp_path), offline=True, project="boring")
    run_id = logger.version  # known before the run starts
    assert logger._experiment is None and logger.name == "boring"
    assert logger.experiment.id == run_id
    copy = pickle.loads(pickle.dumps(logger))
    assert copy._experiment is None and copy.version == run_id


def test_an_experiment_given_is_the_one_logged_to(tmp_path: Path) -> None:
    run = wandb.init(dir=str(tmp_path), mode="offline", project="mine")
    logger = WandbLogger(experiment=run)
    assert logger.experiment is run and logger.name == "mine"
    logger.log_hyperparams({"depth": 3})
    assert run.config["depth"] == 3


def test_watch_logs_the_gradients(tmp_path: Path) -> None:
    logger = WandbLogger(save_dir=str(tmp_path), offline=True, lifecycle=False)
    model = _Logged()
    logger.watch(model, log="gradients", log_freq=1)
    board = TensorBoardLogger(str(tmp_path), name="tb")
    trainer = pl.Trainer(max_epochs=1, logger=[logger, board], default_root_dir=str(tmp_path),
                         progress_bar_refresh_rate=0, weights_summary=None,
                         checkpoint_callback=False, row_log_interval=1)
    trainer.fit(model)
    rows = _rows(_records(tmp_path))
    # W&B keeps the histograms for the next row: with a row at each step, one at each step
    for name, _ in model.named_parameters():
        kinds = [row[f"gradients/{name}/_type"] for row in rows
                 if f"gradients/{name}/_type" in row]
        assert kinds == ["histogram"] * trainer.global_step, name


@pytest.mark.skipif(shutil.which("dot") is None, reason="needs Graphviz's dot")
def test_the_lifecycle_goes_to_the_run_as_images_and_mermaid(tmp_path: Path) -> None:
    logger = WandbLogger(save_dir=str(tmp_path), offline=True, lifecycle=True)
    trainer, _ = _fit(tmp_path, logger)
    rows = [row for row in _rows(_records(tmp_path)) if "lifecycle/_type" in row]
    changes = list(trainer.lifecycle.history)
    steps = [row["lifecycle/state_change"] for row in rows]
    assert steps == sorted(set(steps)) and steps[-1] == len(changes)  # teardown drawn last
    (files,) = glob.glob(str(tmp_path / "wandb" / "offline-run-*" / "files"))
    for row in rows:  # W&B keeps an image as a file of the run and its fields in the row
        assert (row["lifecycle/_type"], row["lifecycle/format"]) == ("image-file", "png")
        assert Path(files, row["lifecycle/path"]).read_bytes().startswith(b"\x89PNG")
    mermaid = Path(files, "lifecycle.mmd").read_text()
    assert "stateDiagram-v2" in mermaid and "Class teardown s_active" in mermaid


def test_log_model_keeps_the_checkpoints_in_the_run_folder(tmp_path: Path) -> None:
    logger = WandbLogger(save_dir=str(tmp_path), offline=True, project="boring",
                         log_model=True, lifecycle=False)
    trainer = pl.Trainer(max_epochs=1, logger=logger, default_root_dir=str(tmp_path / "root"),
                         progress_bar_refresh_rate=0, weights_summary=None)
    trainer.fit(_Logged())
    (files,) = glob.glob(str(tmp_path / "wandb" / f"offline-run-*-{logger.version}*" / "files"))
    saved = glob.glob(str(Path(files, "boring", logger.version, "checkpoints", "*.ckpt")))
    assert len(saved) == 1 and not (tmp_path / "root").exists(), saved


def test_fit_then_test_log_to_the_same_run_id_and_a_failure_marks_the_run(tmp_path: Path
                                                                           ) -> None:
    logger = WandbLogger(save_dir=str(tmp_path), offline=True, lifecycle=False)
    trainer = pl.Trainer(max_epochs=1, logger=logger, default_root_dir=str(tmp_path),
                         progress_bar_refresh_rate=0, weights_summary=None)
    trainer.fit(_Logged())
    trainer.test(ckpt_path=None)  # resumes the id: a second offline part, for wandb sync
    # (a part started in the same second as the one before gets a folder '...-<id>-1')
    parts = glob.glob(str(tmp_path / "wandb" / f"offline-run-*-{logger.version}*"))
    assert len(parts) == 2
    logger.log_metrics({"loss": 1.0}, step=0)
    logger.finalize("failed")
    parts = [_scan_until_exit(path) for path in
             glob.glob(str(tmp_path / "wandb" / "offline-run-*" / "run-*.wandb"))]
    parts.sort(key=lambda part: part["run"][0].start_time.ToNanoseconds())
    assert [part["exit"][0].exit_code for part in parts] == [0, 0, 1]
    assert {part["run"][0].run_id for part in parts} == {logger.version}


@pytest.mark.slow
def test_under_ddp_one_run_holds_rank_zeros_rows_and_the_caller_knows_its_id(tmp_path: Path
                                                                              ) -> None:
    logger = WandbLogger(save_dir=str(tmp_path), offline=True, project="boring",
                         lifecycle=False)
    trainer = pl.Trainer(max_epochs=2, logger=logger, distributed_backend="ddp_cpu",
                         num_processes=2, default_root_dir=str(tmp_path), row_log_interval=1,
                         progress_bar_refresh_rate=0, weights_summary=None)
    trainer.fit(_Logged())
    assert logger._experiment is None  # the run was rank zero's, in its own process
    (run_dir,) = glob.glob(str(tmp_path / "wandb" / f"offline-run-*-{logger.version}*"))
    rows = _rows(_records(tmp_path))
    assert [row["global_step"] for row in rows if "train_loss" in row] == list(range(8))
    saved = glob.glob(str(tmp_path / "boring" / logger.version / "checkpoints" / "*.ckpt"))
    assert len(saved) == 1, saved


def test_without_wandb_the_error_names_the_extra(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setitem(sys.modules, "wandb", None)
    with pytest.raises(ImportError, match=r"WandbLogger needs the package 'wandb'.*"
                                          r"pip install 'orchestrator\[wandb\]'"):
        WandbLogger(offline=True)
    module = importlib.import_module("orchestrator.loggers.wandb")
    assert module.wandb is None  # as 0.8.5: a patch over it still works without wandb
    with mock.patch("orchestrator.loggers.wandb.wandb") as fake:
        WandbLogger(offline=True).log_metrics({"acc": 1.0})
        fake.init().log.assert_called_once_with({"acc": 1.0})
