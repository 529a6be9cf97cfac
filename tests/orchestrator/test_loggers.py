"""Loggers: real TensorBoard event files written by a run, read back with TensorBoard itself."""

from __future__ import annotations

import argparse
import os
from pathlib import Path
from typing import Any

import pytest
import torch
from tensorboard.backend.event_processing.event_accumulator import EventAccumulator
from tensorboard.backend.event_processing.event_file_loader import EventFileLoader
from tensorboard.plugins.hparams import plugin_data_pb2
from torch.utils.tensorboard import SummaryWriter

import orchestrator as pl
from orchestrator.loggers import LoggerCollection, TensorBoardLogger
from schemas.errors import ConfigError
from tests.helpers import (
    BoringModel,
    RecordingLogger,
    TrainOnlyModel,
    quiet_trainer,
    scalar_tags,
    scalars,
)

# training batches per epoch of the default BoringModel (n=64, batch_size=16)
BATCHES_PER_EPOCH = len(BoringModel().train_dataloader())


# helpers
def event_files(root: Path) -> list[Path]:
    """Every TensorBoard event file under ``root``."""
    return sorted(p for p in root.rglob("*") if p.is_file() and "tfevents" in p.name)


def tb_dir(trainer: pl.Trainer) -> Path:
    """The log directory of the trainer's TensorBoardLogger."""
    assert isinstance(trainer.logger, TensorBoardLogger)
    return Path(trainer.logger.log_dir)






def hparams_in(log_dir: str | Path) -> dict[str, Any]:
    """The hyperparameters of the hparams plugin's session-start summary in ``log_dir``."""
    found: dict[str, Any] = {}
    for path in event_files(Path(log_dir)):
        for event in EventFileLoader(str(path)).Load():
            for value in event.summary.value:
                if value.metadata.plugin_data.plugin_name != "hparams":
                    continue
                data = plugin_data_pb2.HParamsPluginData.FromString(
                    value.metadata.plugin_data.content)
                if data.HasField("session_start_info"):
                    for key, hp in data.session_start_info.hparams.items():
                        kind = hp.WhichOneof("kind")
                        found[key] = getattr(hp, kind)
    return found


class StepLossModel(TrainOnlyModel):
    """Records the loss of every training step, to compare with what was logged."""

    def __init__(self, **kwargs: Any) -> None:
        super().__init__(**kwargs)
        self.step_losses: list[float] = []

    def training_step(self, batch: Any, batch_idx: int) -> dict[str, Any]:
        output = super().training_step(batch, batch_idx)
        self.step_losses.append(output["loss"].item())
        return output


class RecordingValModel(BoringModel):
    """Records every validation_epoch_end output (the sanity check's included)."""

    def __init__(self, **kwargs: Any) -> None:
        super().__init__(**kwargs)
        self.val_outputs: list[float] = []

    def validation_epoch_end(self, outputs: list[dict[str, Any]]) -> dict[str, Any]:
        result = super().validation_epoch_end(outputs)
        self.val_outputs.append(result["val_loss"].item())
        return result


# default logger and versions
def test_default_logger_writes_under_lightning_logs_version_0(tmp_path: Path) -> None:
    trainer = quiet_trainer(tmp_path, max_epochs=1, row_log_interval=1)
    trainer.fit(BoringModel())

    assert isinstance(trainer.logger, TensorBoardLogger)
    assert trainer.logger.version == 0
    log_dir = tmp_path / "lightning_logs" / "version_0"
    assert tb_dir(trainer) == log_dir
    assert event_files(log_dir), "no event file under lightning_logs/version_0"
    assert "train_loss" in scalar_tags(log_dir)


def test_second_trainer_in_same_dir_gets_version_1(tmp_path: Path) -> None:
    quiet_trainer(tmp_path, max_epochs=1).fit(BoringModel())
    second = quiet_trainer(tmp_path, max_epochs=1, row_log_interval=1)
    second.fit(BoringModel())

    assert isinstance(second.logger, TensorBoardLogger)
    assert second.logger.version == 1
    assert tb_dir(second).name == "version_1"
    assert event_files(tmp_path / "lightning_logs" / "version_1")
    versions = sorted(p.name for p in (tmp_path / "lightning_logs").iterdir())
    assert versions == ["version_0", "version_1"]


# training rows
def test_training_log_rows_every_step_with_epoch(tmp_path: Path) -> None:
    model = StepLossModel()
    trainer = quiet_trainer(tmp_path, max_epochs=2, row_log_interval=1)
    trainer.fit(model)

    log_dir = tb_dir(trainer)
    rows = scalars(log_dir, "train_loss")
    assert [step for step, _ in rows] == list(range(2 * BATCHES_PER_EPOCH))
    assert [value for _, value in rows] == pytest.approx(model.step_losses, rel=1e-6)
    epochs = scalars(log_dir, "epoch")
    assert epochs == [(step, float(step // BATCHES_PER_EPOCH)) for step in range(len(rows))]


def test_training_log_rows_follow_row_log_interval(tmp_path: Path) -> None:
    model = StepLossModel()
    trainer = quiet_trainer(tmp_path, max_epochs=2, row_log_interval=2)
    trainer.fit(model)

    rows = scalars(tb_dir(trainer), "train_loss")
    # 0.8.5: a row at every batch whose index in the epoch is a multiple of the interval
    # (batches 0 and 2 of each 4-batch epoch), at the step that batch trained
    expected_steps = [0, 2, 4, 6]
    assert [step for step, _ in rows] == expected_steps
    assert [value for _, value in rows] == pytest.approx(
        [model.step_losses[step] for step in expected_steps], rel=1e-6)


def test_first_batch_of_every_epoch_is_logged(tmp_path: Path) -> None:
    # the default interval (50) is longer than the run: still a row per epoch, as in 0.8.5
    model = StepLossModel()
    trainer = quiet_trainer(tmp_path, max_epochs=2)
    trainer.fit(model)

    rows = scalars(tb_dir(trainer), "train_loss")
    assert [step for step, _ in rows] == [0, BATCHES_PER_EPOCH]
    assert [value for _, value in rows] == pytest.approx(
        [model.step_losses[0], model.step_losses[BATCHES_PER_EPOCH]], rel=1e-6)


# validation and test rows
def test_validation_epoch_end_log_once_per_validation_at_epoch_step(tmp_path: Path) -> None:
    model = RecordingValModel()
    trainer = quiet_trainer(tmp_path, max_epochs=2, num_sanity_val_steps=2)
    trainer.fit(model)

    # the sanity check ran validation_epoch_end too, but its output is not logged
    assert len(model.val_outputs) == 3
    rows = scalars(tb_dir(trainer), "val_loss")
    # written at the global step reached when the epoch's validation runs
    assert [step for step, _ in rows] == [BATCHES_PER_EPOCH - 1, 2 * BATCHES_PER_EPOCH - 1]
    assert [value for _, value in rows] == pytest.approx(model.val_outputs[1:], rel=1e-6)
    epoch_rows = [row for row in scalars(tb_dir(trainer), "epoch")
                  if row[0] in (BATCHES_PER_EPOCH - 1, 2 * BATCHES_PER_EPOCH - 1)]
    assert (BATCHES_PER_EPOCH - 1, 0.0) in epoch_rows
    assert (2 * BATCHES_PER_EPOCH - 1, 1.0) in epoch_rows


def test_test_epoch_end_log_is_written(tmp_path: Path) -> None:
    trainer = quiet_trainer(tmp_path, max_epochs=1)
    trainer.fit(BoringModel())
    results = trainer.test()

    rows = scalars(tb_dir(trainer), "test_loss")
    assert len(rows) == 1
    step, value = rows[0]
    assert step == trainer.global_step - 1 == BATCHES_PER_EPOCH - 1
    assert value == pytest.approx(results[0]["test_loss"], rel=1e-6)


def test_test_only_run_logs_at_step_0(tmp_path: Path) -> None:
    trainer = quiet_trainer(tmp_path)
    results = trainer.test(BoringModel())

    rows = scalars(tmp_path / "lightning_logs" / "version_0", "test_loss")
    assert rows == [(0, pytest.approx(results[0]["test_loss"], rel=1e-6))]


def test_a_step_key_in_log_chooses_the_rows_step(tmp_path: Path) -> None:
    """0.8.5: ``{'log': {'step': n, ...}}`` writes the row at step n, without the epoch."""
    class ChosenSteps(BoringModel):
        def training_step(self, batch: Any, batch_idx: int) -> dict[str, Any]:
            output = super().training_step(batch, batch_idx)
            return {"loss": output["loss"], "log": {"step": 100 + batch_idx, "own": 1.0}}

        def validation_epoch_end(self, outputs: Any) -> dict[str, Any]:
            return {"log": {"step": 7 + self.current_epoch, "val_acc": 0.5}}

    recorder = RecordingLogger()
    quiet_trainer(tmp_path, max_epochs=2, logger=recorder, row_log_interval=1,
                  num_sanity_val_steps=0).fit(ChosenSteps())
    rows = [(call[1], call[2]) for call in recorder.calls if call[0] == "log_metrics"]
    assert [(step, row) for step, row in rows if "val_acc" in row] == [
        (7, {"val_acc": 0.5}), (8, {"val_acc": 0.5})]
    own = [(step, row) for step, row in rows if "own" in row]
    assert [step for step, _ in own] == [100 + i for i in range(BATCHES_PER_EPOCH)] * 2
    assert all("epoch" not in row and "step" not in row for _, row in own)


# no logger, several loggers, named versions
def test_logger_false_writes_no_event_files(tmp_path: Path) -> None:
    trainer = quiet_trainer(tmp_path, max_epochs=1, logger=False, row_log_interval=1)
    trainer.fit(BoringModel())
    trainer.test()

    assert trainer.logger is None
    all_files = [os.path.join(d, f) for d, _, files in os.walk(tmp_path) for f in files]
    assert not [f for f in all_files if "tfevents" in f]
    assert not (tmp_path / "lightning_logs").exists()


def test_list_of_loggers_all_get_metrics(tmp_path: Path) -> None:
    first = TensorBoardLogger(tmp_path / "a", name="first")
    second = TensorBoardLogger(tmp_path / "b", name="second")
    trainer = quiet_trainer(tmp_path, max_epochs=2, row_log_interval=1, logger=[first, second])
    trainer.fit(BoringModel())

    assert isinstance(trainer.logger, LoggerCollection)
    assert list(trainer.logger.loggers) == [first, second]
    first_dir = tmp_path / "a" / "first" / "version_0"
    second_dir = tmp_path / "b" / "second" / "version_0"
    for log_dir in (first_dir, second_dir):
        assert event_files(log_dir)
        train_steps = [s for s, _ in scalars(log_dir, "train_loss")]
        assert train_steps == list(range(2 * BATCHES_PER_EPOCH))
        val_steps = [s for s, _ in scalars(log_dir, "val_loss")]
        assert val_steps == [BATCHES_PER_EPOCH - 1, 2 * BATCHES_PER_EPOCH - 1]
    assert scalars(first_dir, "val_loss") == scalars(second_dir, "val_loss")


def test_int_version_gives_version_folder(tmp_path: Path) -> None:
    tb = TensorBoardLogger(tmp_path, name="x", version=3)
    trainer = quiet_trainer(tmp_path, max_epochs=1, row_log_interval=1, logger=tb)
    trainer.fit(BoringModel())

    assert Path(tb.log_dir) == tmp_path / "x" / "version_3"
    assert event_files(tmp_path / "x" / "version_3")
    assert sorted(p.name for p in (tmp_path / "x").iterdir()) == ["version_3"]


def test_str_version_is_the_folder_name(tmp_path: Path) -> None:
    tb = TensorBoardLogger(tmp_path, name="x", version="abc")
    trainer = quiet_trainer(tmp_path, max_epochs=1, row_log_interval=1, logger=tb)
    trainer.fit(BoringModel())

    assert Path(tb.log_dir) == tmp_path / "x" / "abc"
    assert event_files(tmp_path / "x" / "abc")
    assert sorted(p.name for p in (tmp_path / "x").iterdir()) == ["abc"]


def test_next_version_skips_to_one_past_the_highest(tmp_path: Path) -> None:
    (tmp_path / "x" / "version_0").mkdir(parents=True)
    (tmp_path / "x" / "version_4").mkdir()
    (tmp_path / "x" / "other").mkdir()

    assert TensorBoardLogger(tmp_path, name="x").version == 5


# hyperparameters
@pytest.mark.parametrize("hparams", [argparse.Namespace(lr=0.1, layers=2),
                                     {"lr": 0.1, "layers": 2}], ids=["namespace", "dict"])
def test_hparams_are_written_to_the_event_file(tmp_path: Path, hparams: Any) -> None:
    model = BoringModel()
    model.hparams = hparams
    trainer = quiet_trainer(tmp_path, max_epochs=1)
    trainer.fit(model)

    log_dir = tb_dir(trainer)
    assert hparams_in(log_dir) == {"lr": pytest.approx(0.1), "layers": 2}
    acc = EventAccumulator(str(log_dir))
    acc.Reload()
    assert acc.PluginTagToContent("hparams"), "no hparams plugin summary in the event file"


def test_no_hparams_writes_no_hparams_summary(tmp_path: Path) -> None:
    trainer = quiet_trainer(tmp_path, max_epochs=1)
    trainer.fit(BoringModel())

    assert hparams_in(tb_dir(trainer)) == {}


# the experiment object
def test_module_logger_experiment_is_summary_writer_during_training(tmp_path: Path) -> None:
    seen: list[Any] = []

    class Model(TrainOnlyModel):
        def training_step(self, batch: Any, batch_idx: int) -> dict[str, Any]:
            seen.append(self.logger.experiment)
            self.logger.experiment.add_scalar("custom", float(batch_idx), self.global_step)
            return super().training_step(batch, batch_idx)

    trainer = quiet_trainer(tmp_path, max_epochs=1)
    trainer.fit(Model())

    assert len(seen) == BATCHES_PER_EPOCH
    assert all(isinstance(writer, SummaryWriter) for writer in seen)
    custom = scalars(tb_dir(trainer), "custom")
    assert custom == [(i, float(i)) for i in range(BATCHES_PER_EPOCH)]


# save / finalize calls
def test_log_save_interval_and_finalize(tmp_path: Path) -> None:
    recorder = RecordingLogger()
    trainer = quiet_trainer(tmp_path, max_epochs=2, row_log_interval=1, log_save_interval=2,
                            logger=recorder, checkpoint_callback=False)
    trainer.fit(TrainOnlyModel())

    assert trainer.logger is recorder
    calls = [c[:2] for c in recorder.calls]
    expected: list[tuple[Any, ...]] = []
    for step in range(2 * BATCHES_PER_EPOCH):
        expected.append(("log_metrics", step))
        if (step + 1) % 2 == 0:
            expected.append(("save",))
    expected.append(("finalize", "success"))
    assert calls == expected
    assert [c for c in recorder.calls if c[0] == "finalize"] == [("finalize", "success")]
    first_row = recorder.calls[0][2]
    assert set(first_row) == {"train_loss", "epoch"}
    assert first_row["epoch"] == 0.0


def test_recording_logger_gets_hyperparams(tmp_path: Path) -> None:
    recorder = RecordingLogger()
    model = TrainOnlyModel()
    model.hparams = {"lr": 0.1}
    quiet_trainer(tmp_path, max_epochs=1, logger=recorder, checkpoint_callback=False).fit(model)

    assert ("log_hyperparams", {"lr": 0.1}) in recorder.calls


def test_finalize_reports_an_early_stop_as_success(tmp_path: Path) -> None:
    """0.8.5's words: a run that ends without an error is a "success" for its loggers."""
    recorder = RecordingLogger()
    early = pl.callbacks.EarlyStopping(monitor="loss", patience=1)

    class Constant(TrainOnlyModel):
        def training_step(self, batch: Any, batch_idx: int) -> dict[str, Any]:
            output = super().training_step(batch, batch_idx)
            return {"loss": output["loss"] * 0 + 1.0}

    trainer = quiet_trainer(tmp_path, max_epochs=10, logger=recorder, checkpoint_callback=False,
                            early_stop_callback=early)
    trainer.fit(Constant())

    assert trainer.lifecycle.outcome == "stopped_early"
    assert [c for c in recorder.calls if c[0] == "finalize"] == [("finalize", "success")]


class _Failing(TrainOnlyModel):
    def training_step(self, batch: Any, batch_idx: int) -> dict[str, Any]:
        raise RuntimeError("boom")


class _Interrupted(TrainOnlyModel):
    def training_step(self, batch: Any, batch_idx: int) -> dict[str, Any]:
        raise KeyboardInterrupt


@pytest.mark.parametrize(("model", "status"), [(_Failing, "failed"), (_Interrupted, "aborted")])
def test_finalize_reports_a_failed_or_interrupted_run(
        tmp_path: Path, model: type, status: str) -> None:
    recorder = RecordingLogger()
    trainer = quiet_trainer(tmp_path, max_epochs=1, logger=recorder, checkpoint_callback=False)
    try:
        trainer.fit(model())
    except RuntimeError:
        pass
    assert [c for c in recorder.calls if c[0] == "finalize"] == [("finalize", status)]


# wrong arguments
@pytest.mark.parametrize("value", ["tb", [1], 3, [TensorBoardLogger("unused"), "x"]],
                         ids=["str", "list-of-int", "int", "list-with-str"])
def test_wrong_logger_argument_raises_config_error(tmp_path: Path, value: Any) -> None:
    with pytest.raises(ConfigError, match=r"logger"):
        quiet_trainer(tmp_path, logger=value)


def test_loss_tensor_logged_as_float(tmp_path: Path) -> None:
    recorder = RecordingLogger()

    class Model(TrainOnlyModel):
        def training_step(self, batch: Any, batch_idx: int) -> dict[str, Any]:
            output = super().training_step(batch, batch_idx)
            output["log"] = {"train_loss": output["loss"], "const": torch.tensor(2.5)}
            return output

    quiet_trainer(tmp_path, max_epochs=1, row_log_interval=1, logger=recorder,
                  checkpoint_callback=False).fit(Model())

    rows = [c[2] for c in recorder.calls if c[0] == "log_metrics"]
    assert rows and all(type(v) is float for row in rows for v in row.values())
    assert all(row["const"] == 2.5 for row in rows)


# rows are kept, then written every log_save_interval off the training thread
def _written(log_dir: str | Path, tag: str) -> list[tuple[int, float]]:
    try:
        return scalars(log_dir, tag)
    except KeyError:
        return []


def test_rows_are_written_at_save_and_all_of_them_at_finalize(tmp_path: Path) -> None:
    import time

    logger = TensorBoardLogger(tmp_path, name="rows")
    logger.log_metrics({"a": 1.0}, 0)
    logger.log_metrics({"a": 2.0}, 1)
    logger.save()  # the background thread writes and flushes these two
    deadline = time.monotonic() + 10
    while _written(logger.log_dir, "a") != [(0, 1.0), (1, 2.0)]:
        assert time.monotonic() < deadline, _written(logger.log_dir, "a")
        time.sleep(0.02)
    logger.log_metrics({"a": 3.0}, 2)
    assert _written(logger.log_dir, "a") == [(0, 1.0), (1, 2.0)]  # kept until the next save
    logger.finalize("completed")
    assert _written(logger.log_dir, "a") == [(0, 1.0), (1, 2.0), (2, 3.0)]


def test_write_pending_returns_once_the_rows_are_in_the_file(tmp_path: Path) -> None:
    logger = TensorBoardLogger(tmp_path, name="rows")
    for step in range(5):
        logger.log_metrics({"a": float(step)}, step)
    logger.write_pending()
    assert _written(logger.log_dir, "a") == [(s, float(s)) for s in range(5)]
    logger.finalize("completed")


def test_an_error_writing_rows_is_raised_by_the_next_save(tmp_path: Path) -> None:
    logger = TensorBoardLogger(tmp_path, name="rows")
    logger.log_metrics({"a": "not a number"}, 0)  # type: ignore[dict-item]
    logger.save()
    with pytest.raises(ValueError, match="not a number"):
        logger.write_pending()


def test_rows_before_a_checkpoint_are_in_the_event_file_when_it_is_saved(tmp_path: Path) -> None:
    seen: list[list[tuple[int, float]]] = []

    class SavesAtBatch3(TrainOnlyModel):
        def training_step(self, batch: Any, batch_idx: int) -> dict[str, Any]:
            if batch_idx == 3:
                self.trainer.save_checkpoint(str(tmp_path / "mid.ckpt"))
                seen.append(_written(tb_dir(self.trainer), "train_loss"))
            return super().training_step(batch, batch_idx)

    trainer = quiet_trainer(tmp_path, max_epochs=1, row_log_interval=1, log_save_interval=1000,
                            checkpoint_callback=False)
    trainer.fit(SavesAtBatch3())
    assert [step for step, _ in seen[0]] == [0, 1, 2]  # no save() yet: the checkpoint wrote them


def test_tensorboard_logger_named_default_unless_told(tmp_path: Path) -> None:
    # 0.8.5's default name; the Trainer's own logger is named lightning_logs
    assert TensorBoardLogger(tmp_path).log_dir == str(tmp_path / "default" / "version_0")


def test_tensorboard_logger_without_a_name_writes_under_save_dir(tmp_path: Path) -> None:
    for name in (None, ""):
        logger = TensorBoardLogger(tmp_path / str(name), name=name)
        assert logger.name == "" and logger.root_dir == str(tmp_path / str(name))
        assert logger.log_dir == str(tmp_path / str(name) / "version_0")


def test_tensorboard_logger_writes_hparams_yaml_and_takes_metrics(tmp_path: Path) -> None:
    from orchestrator.core.saving import load_hparams_from_yaml

    logger = TensorBoardLogger(tmp_path)
    logger.log_hyperparams({"lr": 0.1, "layers": 2}, metrics={"hp_metric": 0.5})
    logger.log_hyperparams(argparse.Namespace(batch_size=32))
    saved = load_hparams_from_yaml(Path(logger.log_dir) / TensorBoardLogger.NAME_HPARAMS_FILE)
    assert saved == {"lr": 0.1, "layers": 2, "batch_size": 32}


# 0.8.5's aggregation of rows logged at one step, close(), save_dir
class _History(RecordingLogger):
    def history(self) -> dict[int | None, dict[str, float]]:
        rows: dict[int | None, dict[str, float]] = {}
        for call in self.calls:
            if call[0] == "log_metrics":
                rows.setdefault(call[1], {}).update(call[2])
        return rows


def test_agg_and_log_metrics_merges_the_rows_of_a_step_when_the_next_step_comes() -> None:
    logger = _History()
    losses = [0.1, 0.2, 0.3, 0.4, 0.5, 1.0, 2.0, 3.0, 4.0, 5.0]
    for i, loss in enumerate(losses):
        logger.agg_and_log_metrics({"loss": loss}, step=i // 5)
    assert logger.history() == {0: {"loss": pytest.approx(0.3)}}
    logger.close()
    assert logger.history() == {0: {"loss": pytest.approx(0.3)}, 1: {"loss": 3.0}}
    assert logger.calls[-1] == ("save",)
    logger.close()  # nothing kept: no second row
    assert sum(c[0] == "log_metrics" for c in logger.calls) == 2


def test_update_agg_funcs_sets_a_function_per_key_and_the_default() -> None:
    logger = _History()
    logger.update_agg_funcs({"acc": max}, agg_default_func=min)
    for step, (loss, acc) in enumerate([(3.0, 0.1), (1.0, 0.9), (2.0, 0.5)]):
        logger.agg_and_log_metrics({"loss": loss, "acc": acc}, step=0 if step < 2 else 1)
    logger.close()
    assert logger.history() == {0: {"loss": 1.0, "acc": 0.9}, 1: {"loss": 2.0, "acc": 0.5}}


def test_merge_dicts_reduces_each_key_and_merges_nested_dicts() -> None:
    from orchestrator.loggers.base import merge_dicts
    d1 = {"a": 1.7, "b": 2.0, "c": 1, "d": {"d1": 1, "d3": 3}}
    d2 = {"a": 1.1, "b": 2.2, "v": 1, "d": {"d1": 2, "d2": 3}}
    d3 = {"a": 1.1, "v": 2.3, "d": {"d3": 3, "d4": {"d5": 1}}}
    merged = merge_dicts([d1, d2, d3], {"a": lambda v: sum(v) / len(v), "v": max,
                                        "d": {"d1": sum}}, min)
    assert merged == {"a": pytest.approx(1.3), "b": 2.0, "c": 1, "v": 2.3,
                      "d": {"d1": 3, "d2": 3, "d3": 3, "d4": {"d5": 1}}}


def test_logger_collection_closes_and_aggregates_through_every_logger() -> None:
    first, second = _History(), _History()
    collection = pl.loggers.LoggerCollection([first, second])
    collection.agg_and_log_metrics({"loss": 1.0}, step=0)
    collection.agg_and_log_metrics({"loss": 3.0}, step=0)
    collection.close()
    assert first.history() == second.history() == {0: {"loss": 2.0}}


def test_save_dir_is_none_unless_the_logger_writes_locally(tmp_path: Path) -> None:
    assert RecordingLogger().save_dir is None
    assert pl.loggers.TensorBoardLogger(tmp_path).save_dir == str(tmp_path)


def test_a_tensorboard_logger_pickles_after_a_fit_and_the_copy_logs(tmp_path: Path) -> None:
    """Its open writer and background thread stay behind; the copy opens its own writer."""
    import pickle

    logger = pl.loggers.TensorBoardLogger(tmp_path)
    trainer = quiet_trainer(tmp_path, max_epochs=1, logger=logger, checkpoint_callback=False)
    trainer.fit(BoringModel())
    logger.log_metrics({"during": 1.0}, step=100)  # a row kept, a writer open
    copy = pickle.loads(pickle.dumps(logger))
    assert (copy.name, copy.version, copy.log_dir) == (logger.name, logger.version,
                                                       logger.log_dir)
    copy.log_metrics({"from_copy": 2.0}, step=101)
    copy.finalize("success")
    logger.finalize("success")
    assert scalars(Path(logger.log_dir), "during") == [(100, 1.0)]
    assert scalars(Path(logger.log_dir), "from_copy") == [(101, 2.0)]
