"""Callbacks: dispatch and order, EarlyStopping, ModelCheckpoint and ProgressBar in real runs."""

from __future__ import annotations

import io
import os
from pathlib import Path
from typing import Any

import pytest
import torch
from loguru import logger

import orchestrator as pl
from orchestrator.callbacks import Callback, EarlyStopping, ModelCheckpoint, ProgressBar
from orchestrator.loggers import TensorBoardLogger
from schemas.errors import ConfigError, MonitorKeyError
from states.hooks import default_hook
from tests.helpers import BoringModel, TrainOnlyModel, quiet_trainer


# models and helpers
class ScriptedValModel(BoringModel):
    """validation_epoch_end returns ``val_losses[current_epoch]`` as val_loss."""

    def __init__(self, val_losses: list[float], **kwargs: Any) -> None:
        super().__init__(**kwargs)
        self.val_losses = val_losses

    def validation_epoch_end(self, outputs: list[dict[str, Any]]) -> dict[str, Any]:
        value = torch.tensor(self.val_losses[self.current_epoch])
        return {"val_loss": value, "log": {"val_loss": value}}


def ckpt_names(directory: Path) -> list[str]:
    return sorted(p.name for p in directory.iterdir() if p.suffix == ".ckpt")


def all_ckpts(root: Path) -> list[str]:
    return sorted(os.path.join(d, f) for d, _, files in os.walk(root)
                  for f in files if f.endswith(".ckpt"))


def default_ckpt_dir(root: Path) -> Path:
    return root / "lightning_logs" / "version_0" / "checkpoints"


def scripted_fit(tmp_path: Path, val_losses: list[float], **kwargs: Any) -> pl.Trainer:
    kwargs.setdefault("max_epochs", len(val_losses))
    trainer = quiet_trainer(tmp_path, num_sanity_val_steps=0, **kwargs)
    trainer.fit(ScriptedValModel(val_losses, n=32))
    return trainer


class Recorder(Callback):
    """Records each overridden hook with the identity of its arguments."""

    def __init__(self, events: list[str]) -> None:
        self.events = events
        self.args: list[tuple[Any, Any]] = []

    def _record(self, name: str, trainer: Any, pl_module: Any) -> None:
        self.events.append(f"cb.{name}")
        self.args.append((trainer, pl_module))

    def on_init_start(self, trainer: Any) -> None:
        self.events.append("cb.on_init_start")

    def on_init_end(self, trainer: Any) -> None:
        self.events.append("cb.on_init_end")

    def on_fit_start(self, trainer: Any, pl_module: Any) -> None:
        self._record("on_fit_start", trainer, pl_module)

    def on_fit_end(self, trainer: Any, pl_module: Any) -> None:
        self._record("on_fit_end", trainer, pl_module)

    def on_sanity_check_start(self, trainer: Any, pl_module: Any) -> None:
        self._record("on_sanity_check_start", trainer, pl_module)

    def on_sanity_check_end(self, trainer: Any, pl_module: Any) -> None:
        self._record("on_sanity_check_end", trainer, pl_module)

    def on_train_start(self, trainer: Any, pl_module: Any) -> None:
        self._record("on_train_start", trainer, pl_module)

    def on_train_end(self, trainer: Any, pl_module: Any) -> None:
        self._record("on_train_end", trainer, pl_module)

    def on_epoch_start(self, trainer: Any, pl_module: Any) -> None:
        self._record("on_epoch_start", trainer, pl_module)

    def on_epoch_end(self, trainer: Any, pl_module: Any) -> None:
        self._record("on_epoch_end", trainer, pl_module)

    def on_batch_start(self, trainer: Any, pl_module: Any) -> None:
        self._record("on_batch_start", trainer, pl_module)

    def on_batch_end(self, trainer: Any, pl_module: Any) -> None:
        self._record("on_batch_end", trainer, pl_module)

    def on_validation_start(self, trainer: Any, pl_module: Any) -> None:
        self._record("on_validation_start", trainer, pl_module)

    def on_validation_end(self, trainer: Any, pl_module: Any) -> None:
        self._record("on_validation_end", trainer, pl_module)

    def on_validation_batch_start(self, trainer: Any, pl_module: Any) -> None:
        self._record("on_validation_batch_start", trainer, pl_module)

    def on_validation_batch_end(self, trainer: Any, pl_module: Any) -> None:
        self._record("on_validation_batch_end", trainer, pl_module)

    def on_test_start(self, trainer: Any, pl_module: Any) -> None:
        self._record("on_test_start", trainer, pl_module)

    def on_test_end(self, trainer: Any, pl_module: Any) -> None:
        self._record("on_test_end", trainer, pl_module)

    def on_test_batch_start(self, trainer: Any, pl_module: Any) -> None:
        self._record("on_test_batch_start", trainer, pl_module)

    def on_test_batch_end(self, trainer: Any, pl_module: Any) -> None:
        self._record("on_test_batch_end", trainer, pl_module)

    def teardown(self, trainer: Any, pl_module: Any) -> None:
        self._record("teardown", trainer, pl_module)


def recording_model(base: type[BoringModel], events: list[str], **kwargs: Any) -> BoringModel:
    """An instance of ``base`` whose module hooks append to ``events``."""

    class Model(base):  # type: ignore[valid-type,misc]
        def on_train_start(self) -> None:
            events.append("module.on_train_start")

        def on_train_end(self) -> None:
            events.append("module.on_train_end")

        def on_epoch_start(self) -> None:
            events.append("module.on_epoch_start")

        def on_epoch_end(self) -> None:
            events.append("module.on_epoch_end")

        def on_batch_start(self, batch: Any) -> None:
            events.append("module.on_batch_start")

        def on_batch_end(self) -> None:
            events.append("module.on_batch_end")

    return Model(**kwargs)


# dispatch and order
def test_callback_hooks_full_order_train_only(tmp_path: Path) -> None:
    events: list[str] = []
    recorder = Recorder(events)
    trainer = quiet_trainer(tmp_path, max_epochs=2, callbacks=[recorder])
    model = recording_model(TrainOnlyModel, events, n=32)
    train_batches = len(model.train_dataloader())
    trainer.fit(model)

    batch = ["cb.on_batch_start", "module.on_batch_start", "cb.on_batch_end",
             "module.on_batch_end"]
    epoch = (["cb.on_epoch_start", "module.on_epoch_start"] + batch * train_batches
             + ["cb.on_epoch_end", "module.on_epoch_end"])
    assert events == (
        ["cb.on_init_start", "cb.on_init_end", "cb.on_fit_start",
         "cb.on_train_start", "module.on_train_start"]
        + epoch * 2
        + ["cb.on_train_end", "module.on_train_end", "cb.on_fit_end", "cb.teardown"]
    )
    assert recorder.args and all(t is trainer and m is model for t, m in recorder.args)


def test_callback_validation_and_sanity_hooks(tmp_path: Path) -> None:
    events: list[str] = []
    trainer = quiet_trainer(tmp_path, max_epochs=1, num_sanity_val_steps=1,
                            callbacks=[Recorder(events)])
    model = recording_model(BoringModel, events, n=32)
    val_batches = len(model.val_dataloader())
    assert val_batches >= 2
    trainer.fit(model)

    eval_events = [e for e in events if "sanity" in e or "validation" in e]
    batch = ["cb.on_validation_batch_start", "cb.on_validation_batch_end"]
    assert eval_events == (
        ["cb.on_sanity_check_start"] + batch + ["cb.on_sanity_check_end"]  # sanity: 1 batch
        + ["cb.on_validation_start"] + batch * val_batches + ["cb.on_validation_end"]
    )
    assert events.index("cb.on_sanity_check_end") < events.index("cb.on_train_start")
    assert events.index("cb.on_validation_end") < events.index("cb.on_train_end")


def test_callback_test_hooks(tmp_path: Path) -> None:
    events: list[str] = []
    recorder = Recorder(events)
    trainer = quiet_trainer(tmp_path, callbacks=[recorder])
    model = BoringModel(n=32)
    test_batches = len(model.test_dataloader())
    trainer.test(model)

    assert events == (
        ["cb.on_init_start", "cb.on_init_end", "cb.on_test_start"]
        + ["cb.on_test_batch_start", "cb.on_test_batch_end"] * test_batches
        + ["cb.on_test_end", "cb.teardown"]
    )
    assert all(t is trainer and m is model for t, m in recorder.args)


def test_callbacks_run_in_list_order_before_module(tmp_path: Path) -> None:
    events: list[str] = []

    class Named(Callback):
        def __init__(self, name: str) -> None:
            self.name = name

        def on_epoch_end(self, trainer: Any, pl_module: Any) -> None:
            events.append(f"{self.name}.on_epoch_end")

    trainer = quiet_trainer(tmp_path, max_epochs=1, callbacks=[Named("a"), Named("b")])
    trainer.fit(recording_model(TrainOnlyModel, events, n=16))

    assert [e for e in events if e.endswith("on_epoch_end")] == [
        "a.on_epoch_end", "b.on_epoch_end", "module.on_epoch_end"]


def test_hooks_not_overridden_are_not_called(tmp_path: Path, monkeypatch: pytest.MonkeyPatch
                                             ) -> None:
    # Instrument the base class's do-nothing defaults (still marked as defaults): dispatch
    # must skip them, so the instrumented versions never run.
    called: list[str] = []
    for name in ("on_batch_start", "on_batch_end", "on_epoch_start", "on_validation_end",
                 "on_train_start", "teardown"):
        def default(self: Any, trainer: Any, pl_module: Any, _name: str = name) -> None:
            called.append(_name)
        monkeypatch.setattr(Callback, name, default_hook(default))

    only_epoch_end: list[int] = []

    class EpochEndOnly(Callback):
        def on_epoch_end(self, trainer: Any, pl_module: Any) -> None:
            only_epoch_end.append(trainer.current_epoch)

    trainer = quiet_trainer(tmp_path, max_epochs=2, callbacks=[EpochEndOnly()],
                            checkpoint_callback=False)
    trainer.fit(BoringModel(n=32))

    assert only_epoch_end == [0, 1]
    assert called == []


@pytest.mark.parametrize("value", [[object()], [EarlyStopping(), "x"]], ids=["object", "str"])
def test_callbacks_must_be_callback_instances(tmp_path: Path, value: Any) -> None:
    with pytest.raises(ConfigError, match=r"callbacks"):
        quiet_trainer(tmp_path, callbacks=value)


# EarlyStopping
@pytest.mark.parametrize("patience", [1, 2, 3])
def test_early_stopping_stops_after_patience_plus_one_validations(tmp_path: Path,
                                                                   patience: int) -> None:
    early = EarlyStopping(monitor="val_loss", patience=patience)
    trainer = scripted_fit(tmp_path, [1.0] * 20, early_stop_callback=early,
                           checkpoint_callback=False)

    assert trainer.current_epoch == patience
    assert trainer.lifecycle.outcome == "stopped_early"
    assert early.stopped_epoch == patience
    assert early.wait_count == patience
    assert trainer.should_stop


def test_early_stopping_state_dict_is_kept_in_checkpoints_and_restored(tmp_path: Path) -> None:
    early = EarlyStopping(monitor="val_loss", patience=3)
    checkpoint = ModelCheckpoint(dirpath=tmp_path / "ckpt", monitor="val_loss", save_top_k=-1,
                                 save_last=True)
    scripted_fit(tmp_path, [3.0, 1.0, 2.0, 2.5], early_stop_callback=early,
                 checkpoint_callback=checkpoint)
    saved = early.state_dict()
    assert saved == {"wait_count": 2, "stopped_epoch": 0, "best_score": pytest.approx(1.0),
                     "patience": 3}
    seen: list[dict[str, Any]] = []

    class Restored(EarlyStopping):
        def on_train_start(self, trainer: Any, pl_module: Any) -> None:
            seen.append(self.state_dict())

    last = str(tmp_path / "ckpt" / "last.ckpt")
    scripted_fit(tmp_path, [3.0, 1.0, 2.0, 2.5, 2.6], early_stop_callback=Restored(patience=3),
                 checkpoint_callback=False, resume_from_checkpoint=last)
    assert seen == [saved]
    restored = EarlyStopping(patience=5)
    restored.load_state_dict(saved)
    assert (restored.wait_count, restored.patience) == (2, 5)  # patience as constructed


def test_early_stopping_with_increasing_loss(tmp_path: Path) -> None:
    validations: list[int] = []

    class Counting(Callback):
        def on_validation_end(self, trainer: Any, pl_module: Any) -> None:
            validations.append(trainer.current_epoch)

    early = EarlyStopping(monitor="val_loss", patience=2)
    trainer = scripted_fit(tmp_path, [float(i) for i in range(20)], early_stop_callback=early,
                           checkpoint_callback=False, callbacks=[Counting()])

    assert validations == [0, 1, 2]
    assert trainer.current_epoch == 2
    assert trainer.lifecycle.outcome == "stopped_early"
    assert early.best_score == pytest.approx(0.0)


def test_early_stopping_improving_loss_runs_to_max_epochs(tmp_path: Path) -> None:
    early = EarlyStopping(monitor="val_loss", patience=1)
    trainer = scripted_fit(tmp_path, [1.0, 0.8, 0.6, 0.4, 0.2], early_stop_callback=early,
                           checkpoint_callback=False)

    assert trainer.current_epoch == 4
    assert trainer.lifecycle.outcome == "completed"
    assert early.best_score == pytest.approx(0.2)


def test_early_stopping_mode_max(tmp_path: Path) -> None:
    rising = [0.1, 0.2, 0.3, 0.4, 0.5]
    early = EarlyStopping(monitor="val_loss", patience=1, mode="max")
    trainer = scripted_fit(tmp_path / "max", rising, early_stop_callback=early,
                           checkpoint_callback=False)
    assert trainer.lifecycle.outcome == "completed"
    assert trainer.current_epoch == 4
    assert early.best_score == pytest.approx(0.5)

    early_min = EarlyStopping(monitor="val_loss", patience=1, mode="min")
    trainer = scripted_fit(tmp_path / "min", rising, early_stop_callback=early_min,
                           checkpoint_callback=False)
    assert trainer.lifecycle.outcome == "stopped_early"
    assert trainer.current_epoch == 1
    assert early_min.best_score == pytest.approx(0.1)


def test_early_stopping_auto_mode_is_max_for_acc() -> None:
    assert EarlyStopping(monitor="val_acc").mode == "max"
    assert EarlyStopping(monitor="val_loss").mode == "min"
    with pytest.raises(ConfigError, match=r"mode='up'"):
        EarlyStopping(mode="up")


def test_early_stopping_min_delta(tmp_path: Path) -> None:
    slow = [1.0, 0.99, 0.98, 0.97, 0.96, 0.95]
    early = EarlyStopping(monitor="val_loss", patience=2, min_delta=0.05)
    trainer = scripted_fit(tmp_path / "delta", slow, early_stop_callback=early,
                           checkpoint_callback=False)
    assert trainer.lifecycle.outcome == "stopped_early"
    assert trainer.current_epoch == 2
    assert early.best_score == pytest.approx(1.0)

    early = EarlyStopping(monitor="val_loss", patience=2, min_delta=0.0)
    trainer = scripted_fit(tmp_path / "nodelta", slow, early_stop_callback=early,
                           checkpoint_callback=False)
    assert trainer.lifecycle.outcome == "completed"
    assert trainer.current_epoch == 5


def test_early_stopping_respects_min_epochs(tmp_path: Path) -> None:
    early = EarlyStopping(monitor="val_loss", patience=1)
    trainer = scripted_fit(tmp_path, [1.0] * 10, early_stop_callback=early,
                           checkpoint_callback=False, min_epochs=5)

    # the stop is requested at epoch 1 but training goes on until 5 epochs are complete
    assert trainer.current_epoch == 4
    assert trainer.lifecycle.outcome == "stopped_early"


def test_early_stopping_missing_key_strict_raises(tmp_path: Path) -> None:
    early = EarlyStopping(monitor="val_acc")
    trainer = quiet_trainer(tmp_path, max_epochs=3, early_stop_callback=early,
                            checkpoint_callback=False)

    with pytest.raises(MonitorKeyError, match=r"'val_acc'") as info:
        trainer.fit(BoringModel(n=32))
    message = str(info.value)
    for key in ("'loss'", "'train_loss'", "'val_loss'"):
        assert key in message
    assert trainer.lifecycle.outcome == "failed"


def test_early_stopping_missing_key_not_strict_warns(tmp_path: Path) -> None:
    messages: list[str] = []
    sink = logger.add(lambda m: messages.append(str(m)), level="WARNING")
    try:
        early = EarlyStopping(monitor="val_acc", strict=False, patience=1)
        trainer = quiet_trainer(tmp_path, max_epochs=3, early_stop_callback=early,
                                checkpoint_callback=False)
        trainer.fit(BoringModel(n=32))
    finally:
        logger.remove(sink)

    assert trainer.lifecycle.outcome == "completed"
    assert trainer.current_epoch == 2
    assert any("val_acc" in m for m in messages)


def test_early_stop_callback_true_and_false(tmp_path: Path) -> None:
    trainer = quiet_trainer(tmp_path, early_stop_callback=True)
    assert isinstance(trainer.early_stop_callback, EarlyStopping)
    assert trainer.early_stop_callback in trainer.callbacks
    assert trainer.early_stop_callback.monitor == "val_loss"

    trainer = quiet_trainer(tmp_path, early_stop_callback=False)
    assert trainer.early_stop_callback is None
    assert not any(isinstance(cb, EarlyStopping) for cb in trainer.callbacks)


def test_early_stop_callback_wrong_type(tmp_path: Path) -> None:
    with pytest.raises(ConfigError, match=r"early_stop_callback"):
        quiet_trainer(tmp_path, early_stop_callback="yes")


def test_early_stopping_without_validation_checks_training_metrics(tmp_path: Path) -> None:
    checked: list[int] = []

    class Watching(EarlyStopping):
        def _check(self, trainer: Any) -> None:
            checked.append(trainer.current_epoch)
            super()._check(trainer)

    # lr=0: weights never change, so the last batch's loss is the same every epoch
    early = Watching(monitor="loss", patience=2)
    trainer = quiet_trainer(tmp_path, max_epochs=10, early_stop_callback=early,
                            checkpoint_callback=False)
    trainer.fit(TrainOnlyModel(n=32, lr=0.0))

    assert checked == [0, 1, 2]
    assert trainer.current_epoch == 2
    assert trainer.lifecycle.outcome == "stopped_early"
    assert early.best_score == pytest.approx(trainer.callback_metrics["loss"].item())


# ModelCheckpoint
def test_default_checkpoint_in_version_folder(tmp_path: Path) -> None:
    trainer = scripted_fit(tmp_path, [0.5, 0.4, 0.45])

    assert isinstance(trainer.checkpoint_callback, ModelCheckpoint)
    directory = default_ckpt_dir(tmp_path)
    assert ckpt_names(directory) == ["epoch=1.ckpt"]
    assert trainer.checkpoint_callback.best_model_path == str(directory / "epoch=1.ckpt")


def test_save_top_k_keeps_the_k_best(tmp_path: Path) -> None:
    ckpt = ModelCheckpoint(filepath=str(tmp_path / "ckpts") + os.sep, monitor="val_loss",
                           save_top_k=2)
    scripted_fit(tmp_path, [0.5, 0.3, 0.4, 0.1, 0.6], checkpoint_callback=ckpt)

    directory = tmp_path / "ckpts"
    assert ckpt_names(directory) == ["epoch=1.ckpt", "epoch=3.ckpt"]
    assert ckpt.best_model_path == str(directory / "epoch=3.ckpt")
    assert ckpt.best_model_score == pytest.approx(0.1)
    assert {Path(p).name: s for p, s in ckpt.best_k_models.items()} == {
        "epoch=1.ckpt": pytest.approx(0.3), "epoch=3.ckpt": pytest.approx(0.1)}


def test_save_top_k_minus_one_keeps_all(tmp_path: Path) -> None:
    ckpt = ModelCheckpoint(dirpath=tmp_path / "ckpts", monitor="val_loss", save_top_k=-1)
    scripted_fit(tmp_path, [0.5, 0.3, 0.4, 0.1, 0.6], checkpoint_callback=ckpt)

    assert ckpt_names(tmp_path / "ckpts") == [f"epoch={i}.ckpt" for i in range(5)]
    assert Path(ckpt.best_model_path).name == "epoch=3.ckpt"
    assert ckpt.best_model_score == pytest.approx(0.1)


def test_save_top_k_zero_with_save_last_keeps_only_last(tmp_path: Path) -> None:
    ckpt = ModelCheckpoint(dirpath=tmp_path / "ckpts", monitor="val_loss", save_top_k=0,
                           save_last=True)
    scripted_fit(tmp_path, [0.5, 0.3, 0.4], checkpoint_callback=ckpt)

    assert ckpt_names(tmp_path / "ckpts") == ["last.ckpt"]
    assert ckpt.last_model_path == str(tmp_path / "ckpts" / "last.ckpt")
    state = torch.load(tmp_path / "ckpts" / "last.ckpt", weights_only=True)
    assert state["epoch"] == 2


def test_save_last_with_top_k(tmp_path: Path) -> None:
    ckpt = ModelCheckpoint(dirpath=tmp_path / "ckpts", monitor="val_loss", save_top_k=1,
                           save_last=True)
    scripted_fit(tmp_path, [0.5, 0.3, 0.4], checkpoint_callback=ckpt)

    assert ckpt_names(tmp_path / "ckpts") == ["epoch=1.ckpt", "last.ckpt"]


def test_save_top_k_zero_without_last_saves_nothing(tmp_path: Path) -> None:
    ckpt = ModelCheckpoint(dirpath=tmp_path / "ckpts", monitor="val_loss", save_top_k=0)
    scripted_fit(tmp_path, [0.5, 0.3], checkpoint_callback=ckpt)

    assert all_ckpts(tmp_path) == []


def test_checkpoint_mode_max(tmp_path: Path) -> None:
    ckpt = ModelCheckpoint(dirpath=tmp_path / "ckpts", monitor="val_loss", mode="max")
    scripted_fit(tmp_path, [0.5, 0.3, 0.9, 0.1], checkpoint_callback=ckpt)

    assert ckpt_names(tmp_path / "ckpts") == ["epoch=2.ckpt"]
    assert Path(ckpt.best_model_path).name == "epoch=2.ckpt"
    assert ckpt.best_model_score == pytest.approx(0.9)


def test_checkpoint_period(tmp_path: Path) -> None:
    ckpt = ModelCheckpoint(dirpath=tmp_path / "ckpts", monitor="val_loss", save_top_k=-1,
                           period=2)
    scripted_fit(tmp_path, [0.5, 0.4, 0.3, 0.2, 0.1], checkpoint_callback=ckpt)

    assert ckpt_names(tmp_path / "ckpts") == ["epoch=0.ckpt", "epoch=2.ckpt", "epoch=4.ckpt"]


def test_checkpoint_filepath_template(tmp_path: Path) -> None:
    ckpt = ModelCheckpoint(filepath=str(tmp_path / "dir" / "{epoch}-{val_loss:.2f}"),
                           monitor="val_loss", save_top_k=-1)
    scripted_fit(tmp_path, [0.25, 0.5], checkpoint_callback=ckpt)

    assert ckpt_names(tmp_path / "dir") == ["epoch=0-val_loss=0.25.ckpt",
                                            "epoch=1-val_loss=0.50.ckpt"]
    assert ckpt.best_model_path == str(tmp_path / "dir" / "epoch=0-val_loss=0.25.ckpt")


def test_checkpoint_prefix(tmp_path: Path) -> None:
    ckpt = ModelCheckpoint(dirpath=tmp_path / "ckpts", monitor="val_loss", prefix="run-")
    scripted_fit(tmp_path, [0.5], checkpoint_callback=ckpt)

    assert ckpt_names(tmp_path / "ckpts") == ["run-epoch=0.ckpt"]


def test_checkpoint_directory_filepath(tmp_path: Path) -> None:
    directory = tmp_path / "existing"
    directory.mkdir()
    ckpt = ModelCheckpoint(filepath=str(directory), monitor="val_loss", save_top_k=-1)
    scripted_fit(tmp_path, [0.5, 0.4], checkpoint_callback=ckpt)

    assert ckpt_names(directory) == ["epoch=0.ckpt", "epoch=1.ckpt"]
    assert not default_ckpt_dir(tmp_path).exists()


def test_explicit_checkpoint_missing_monitor_raises(tmp_path: Path) -> None:
    ckpt = ModelCheckpoint(dirpath=tmp_path / "ckpts", monitor="nope")
    trainer = quiet_trainer(tmp_path, max_epochs=2, checkpoint_callback=ckpt)

    with pytest.raises(MonitorKeyError, match=r"'nope'") as info:
        trainer.fit(BoringModel(n=32))
    message = str(info.value)
    for key in ("'loss'", "'train_loss'", "'val_loss'"):
        assert key in message
    assert all_ckpts(tmp_path) == []


def test_default_checkpoint_without_validation_keeps_latest_epoch(tmp_path: Path) -> None:
    trainer = quiet_trainer(tmp_path, max_epochs=3)
    trainer.fit(TrainOnlyModel(n=32))

    directory = default_ckpt_dir(tmp_path)
    assert ckpt_names(directory) == ["epoch=2.ckpt"]
    assert trainer.checkpoint_callback.best_model_path == str(directory / "epoch=2.ckpt")


def test_checkpoint_callback_false_writes_nothing(tmp_path: Path) -> None:
    trainer = quiet_trainer(tmp_path, max_epochs=2, checkpoint_callback=False)
    trainer.fit(BoringModel(n=32))

    assert trainer.checkpoint_callback is None
    assert not any(isinstance(cb, ModelCheckpoint) for cb in trainer.callbacks)
    assert all_ckpts(tmp_path) == []


def test_weights_save_path_redirects_checkpoints_not_logs(tmp_path: Path) -> None:
    root, weights = tmp_path / "root", tmp_path / "weights"
    trainer = quiet_trainer(root, max_epochs=2, weights_save_path=str(weights),
                            row_log_interval=1)
    trainer.fit(BoringModel(n=32))

    assert ckpt_names(default_ckpt_dir(weights)) == ["epoch=1.ckpt"]
    assert all_ckpts(root) == []
    log_dir = root / "lightning_logs" / "version_0"
    assert any("tfevents" in p.name for p in log_dir.iterdir())
    assert not [f for _, _, files in os.walk(weights) for f in files if "tfevents" in f]


def test_a_loggers_save_dir_holds_the_checkpoints_unless_weights_save_path(tmp_path: Path
                                                                          ) -> None:
    """As 0.8.5: <logger save_dir>/<name>/<version>/checkpoints; weights_save_path wins."""
    root, logs, weights = tmp_path / "root", tmp_path / "logs", tmp_path / "weights"
    logger = TensorBoardLogger(str(logs))
    trainer = quiet_trainer(root, max_epochs=1, logger=logger)
    trainer.fit(BoringModel(n=32))
    folder = logs / "default" / "version_0" / "checkpoints"
    assert ckpt_names(folder) == ["epoch=0.ckpt"]
    assert all_ckpts(root) == []
    # 0.8.5's trainer.weights_save_path and ckpt_path: the checkpoint folder
    assert trainer.weights_save_path == trainer.ckpt_path == str(folder)
    without = quiet_trainer(root, max_epochs=1, logger=logger, checkpoint_callback=False)
    assert without.weights_save_path == str(root)
    logger = TensorBoardLogger(str(logs))
    quiet_trainer(root, max_epochs=1, logger=logger,
                  weights_save_path=str(weights)).fit(BoringModel(n=32))
    assert ckpt_names(weights / "default" / "version_1" / "checkpoints") == ["epoch=0.ckpt"]
    assert all_ckpts(root) == []


def test_saved_checkpoint_loads_with_weights_only(tmp_path: Path) -> None:
    model = ScriptedValModel([0.5, 0.4], n=32)
    trainer = quiet_trainer(tmp_path, max_epochs=2, num_sanity_val_steps=0)
    trainer.fit(model)

    path = default_ckpt_dir(tmp_path) / "epoch=1.ckpt"
    state = torch.load(path, weights_only=True)
    assert {"state_dict", "epoch", "global_step", "manifest"} <= set(state)
    assert state["epoch"] == 1
    assert state["global_step"] == 2 * len(model.train_dataloader())
    assert set(state["state_dict"]) == set(model.state_dict())
    for key, value in model.state_dict().items():
        assert torch.equal(state["state_dict"][key], value)


def test_checkpoint_bad_arguments() -> None:
    with pytest.raises(ConfigError, match=r"save_top_k=-2"):
        ModelCheckpoint(save_top_k=-2)
    with pytest.raises(ConfigError, match=r"period=0"):
        ModelCheckpoint(period=0)
    with pytest.raises(ConfigError, match=r"checkpoint_callback"):
        pl.Trainer(checkpoint_callback=EarlyStopping(), weights_summary=None)


# ProgressBar
def test_refresh_rate_zero_adds_no_progress_bar(tmp_path: Path) -> None:
    trainer = quiet_trainer(tmp_path, progress_bar_refresh_rate=0)
    assert not any(isinstance(cb, ProgressBar) for cb in trainer.callbacks)


def test_default_progress_bar_is_first_callback(tmp_path: Path) -> None:
    trainer = quiet_trainer(tmp_path, progress_bar_refresh_rate=3)
    bars = [cb for cb in trainer.callbacks if isinstance(cb, ProgressBar)]
    assert len(bars) == 1
    assert trainer.callbacks[0] is bars[0]
    assert bars[0].refresh_rate == 3


def test_user_progress_bar_replaces_default_and_writes_postfix(tmp_path: Path) -> None:
    stream = io.StringIO()
    bar = ProgressBar(refresh_rate=1, file=stream)
    trainer = quiet_trainer(tmp_path, max_epochs=1, progress_bar_refresh_rate=1, callbacks=[bar])

    assert [cb for cb in trainer.callbacks if isinstance(cb, ProgressBar)] == [bar]
    trainer.fit(BoringModel(n=32))

    text = stream.getvalue()
    assert "Epoch 1" in text
    assert "loss=" in text
    assert "tl=" in text
    assert bar.main_bar is None  # closed at teardown


def test_model_checkpoint_kth_best_is_the_worst_kept_once_k_are_kept(tmp_path: Any) -> None:
    from orchestrator.callbacks import ModelCheckpoint

    checkpoint = ModelCheckpoint(filepath=str(tmp_path / "{epoch}"), save_top_k=2,
                                 monitor="val_loss")
    assert (checkpoint.kth_best_model_path, checkpoint.kth_value) == ("", float("inf"))
    checkpoint.best_k_models = {"a.ckpt": 0.5}
    assert checkpoint.kth_best_model_path == ""
    checkpoint.best_k_models = {"a.ckpt": 0.5, "b.ckpt": 0.7}
    assert (checkpoint.kth_best_model_path, checkpoint.kth_value) == ("b.ckpt", 0.7)
    with pytest.warns(DeprecationWarning, match="kth_best_model_path"):
        assert checkpoint.kth_best_model == "b.ckpt"
    maximising = ModelCheckpoint(filepath=str(tmp_path / "{epoch}"), monitor="acc", mode="max")
    assert maximising.kth_value == float("-inf")


def test_model_checkpoint_save_function_replaces_the_trainer_write(tmp_path: Any) -> None:
    # 0.8 code drives ModelCheckpoint by hand: its save_function, the epoch, the metrics
    from orchestrator.callbacks import ModelCheckpoint

    written: list[tuple[str, bool]] = []
    checkpoint = ModelCheckpoint(filepath=str(tmp_path / "{epoch}"), save_top_k=2)
    checkpoint.save_function = lambda path, weights_only: written.append((path, weights_only))
    trainer = pl.Trainer(logger=False, checkpoint_callback=False, progress_bar_refresh_rate=0)
    for epoch, loss in enumerate([3.0, 1.0, 2.0]):
        trainer.current_epoch = epoch
        trainer.callback_metrics = {"val_loss": torch.tensor(loss)}
        checkpoint.on_validation_end(trainer, trainer.get_model())
    assert [os.path.basename(path) for path, _ in written] == [
        "epoch=0.ckpt", "epoch=1.ckpt", "epoch=2.ckpt"]
    assert os.path.basename(checkpoint.best_model_path) == "epoch=1.ckpt"
    assert os.path.basename(checkpoint.kth_best_model_path) == "epoch=2.ckpt"


def _drive_checkpoint(checkpoint: Any, losses: list[float], save: Any) -> None:
    checkpoint.save_function = save
    trainer = pl.Trainer(logger=False, checkpoint_callback=False, progress_bar_refresh_rate=0)
    for epoch, loss in enumerate(losses):
        trainer.current_epoch = epoch
        trainer.callback_metrics = {"val_loss": torch.tensor(loss)}
        checkpoint.on_validation_end(trainer, trainer.get_model())


def test_a_failed_write_keeps_the_previous_best_on_disk_and_in_the_state(tmp_path: Any) -> None:
    # issue 17 #1: the new best is complete on disk before the old one is removed
    events: list[str] = []

    def save(path: str, weights_only: bool) -> None:
        existing = sorted(p.name for p in tmp_path.glob("*.ckpt"))
        events.append(f"write {os.path.basename(path)} with {existing}")
        if os.path.basename(path) == "epoch=2.ckpt":
            raise OSError(28, "No space left on device")
        Path(path).write_bytes(b"checkpoint")

    checkpoint = ModelCheckpoint(filepath=str(tmp_path / "{epoch}"), save_top_k=1)
    _drive_checkpoint(checkpoint, [3.0, 2.0], save)
    assert events[-1] == "write epoch=1.ckpt with ['epoch=0.ckpt']"  # old one still there
    assert sorted(p.name for p in tmp_path.glob("*.ckpt")) == ["epoch=1.ckpt"]
    with pytest.raises(OSError, match="No space"):
        _drive_checkpoint(checkpoint, [3.0, 2.0, 1.0], save)
    assert sorted(p.name for p in tmp_path.glob("*.ckpt")) == ["epoch=1.ckpt"]
    assert os.path.basename(checkpoint.best_model_path) == "epoch=1.ckpt"
    assert {os.path.basename(p) for p in checkpoint.best_k_models} == {"epoch=1.ckpt"}


def test_temporaries_left_by_a_killed_write_are_removed_at_the_first_save(
        tmp_path: Path) -> None:
    directory = tmp_path / "ckpts"
    directory.mkdir()
    stale = directory / ".epoch=0.ckpt.0123456789ab.tmp"
    stale.write_bytes(b"PK\x03\x04 cut here")
    kept = [directory / ".notes.tmp", directory / "epoch=0.ckpt.tmp", directory / "mine.txt"]
    for path in kept:
        path.write_text("the user's")
    ckpt = ModelCheckpoint(dirpath=directory, monitor="val_loss", save_top_k=1)
    scripted_fit(tmp_path, [0.5, 0.4], checkpoint_callback=ckpt)
    assert not stale.exists() and all(path.read_text() == "the user's" for path in kept)
    assert ckpt_names(directory) == ["epoch=1.ckpt"]
