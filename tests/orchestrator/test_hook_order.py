"""The full sequence of module and callback hooks for a fit and a test, spelled out."""

from __future__ import annotations

from typing import Any

import orchestrator as pl
from tests.helpers import BoringModel, quiet_trainer

CALLBACK_HOOKS = [
    "on_fit_start", "on_fit_end", "on_sanity_check_start", "on_sanity_check_end",
    "on_train_start", "on_train_end", "on_epoch_start", "on_epoch_end", "on_batch_start",
    "on_batch_end", "on_validation_start", "on_validation_end", "on_validation_batch_start",
    "on_validation_batch_end", "on_test_start", "on_test_end", "on_test_batch_start",
    "on_test_batch_end", "teardown", "on_save_checkpoint",
]
MODULE_HOOKS = [
    "prepare_data", "configure_optimizers", "train_dataloader", "val_dataloader",
    "test_dataloader", "training_step", "training_step_end", "training_epoch_end",
    "validation_step", "validation_step_end", "validation_epoch_end", "test_step",
    "test_step_end", "test_epoch_end", "backward", "on_after_backward", "optimizer_step",
    "on_before_zero_grad", "optimizer_zero_grad", "on_train_start", "on_train_end",
    "on_epoch_start", "on_epoch_end", "on_batch_start", "on_batch_end", "on_save_checkpoint",
]


def _recording_callback(calls: list[str]) -> pl.callbacks.Callback:
    def make(name: str) -> Any:
        def hook(self: Any, *args: Any) -> None:
            calls.append(f"CB.{name}")
        return hook

    namespace = {name: make(name) for name in CALLBACK_HOOKS}
    namespace["on_init_start"] = lambda self, trainer: calls.append("CB.on_init_start")
    namespace["on_init_end"] = lambda self, trainer: calls.append("CB.on_init_end")
    return type("Recorder", (pl.callbacks.Callback,), namespace)()


def _recording_model(calls: list[str]) -> BoringModel:
    def make(name: str) -> Any:
        parent = getattr(BoringModel, name)

        def hook(self: Any, *args: Any, **kwargs: Any) -> Any:
            calls.append(name)
            return parent(self, *args, **kwargs)
        return hook

    namespace = {name: make(name) for name in MODULE_HOOKS}
    return type("RecordingModel", (BoringModel,), namespace)(batch_size=16, n=32)


def test_fit_and_test_call_every_hook_in_order(tmp_path: Any) -> None:
    calls: list[str] = []
    model = _recording_model(calls)
    trainer = quiet_trainer(tmp_path, max_epochs=1, num_sanity_val_steps=1, logger=False,
                            callbacks=[_recording_callback(calls)])
    assert calls == ["CB.on_init_start", "CB.on_init_end"]
    calls.clear()
    trainer.fit(model)

    val_batch = ["CB.on_validation_batch_start", "validation_step", "validation_step_end",
                 "CB.on_validation_batch_end"]
    train_batch = ["CB.on_batch_start", "on_batch_start", "training_step", "training_step_end",
                   "backward", "on_after_backward", "optimizer_step", "on_before_zero_grad",
                   "optimizer_zero_grad", "CB.on_batch_end", "on_batch_end"]
    assert calls == [
        "CB.on_fit_start",
        "prepare_data",
        "configure_optimizers",
        "train_dataloader",
        "val_dataloader",
        "CB.on_sanity_check_start", *val_batch, "validation_epoch_end",
        "CB.on_sanity_check_end",
        "CB.on_train_start", "on_train_start",
        "CB.on_epoch_start", "on_epoch_start",
        *train_batch, *train_batch,
        "training_epoch_end",
        "CB.on_epoch_end", "on_epoch_end",
        "CB.on_validation_start", *val_batch, *val_batch, "validation_epoch_end",
        "CB.on_validation_end",
        "CB.on_save_checkpoint", "on_save_checkpoint",  # ModelCheckpoint saves after validation
        "CB.on_train_end", "on_train_end",
        "CB.on_fit_end",
        "CB.teardown",
    ]

    calls.clear()
    trainer.test()
    test_batch = ["CB.on_test_batch_start", "test_step", "test_step_end", "CB.on_test_batch_end"]
    assert calls == [
        "prepare_data",
        "test_dataloader",
        "CB.on_test_start", *test_batch, *test_batch, "test_epoch_end", "CB.on_test_end",
        "CB.teardown",
    ]


def test_lifecycle_history_of_fit_and_test(tmp_path: Any) -> None:
    trainer = quiet_trainer(tmp_path, max_epochs=2, logger=False, checkpoint_callback=False)
    trainer.fit(BoringModel())
    assert trainer.lifecycle.history == [
        "init", "prepare_data", "optimizers", "dataloaders", "sanity_val",
        "train_epoch", "val_check", "train_epoch", "val_check", "teardown",
    ]
    assert trainer.lifecycle.state == "teardown"
    assert trainer.lifecycle.outcome == "completed"
    trainer.test()
    assert trainer.lifecycle.history == ["init", "prepare_data", "dataloaders", "test", "teardown"]


def test_a_failing_run_still_goes_through_teardown(tmp_path: Any) -> None:
    calls: list[str] = []

    class Failing(BoringModel):
        def training_step(self, batch: Any, batch_idx: int) -> Any:
            raise RuntimeError("boom in training_step")

    trainer = quiet_trainer(tmp_path, max_epochs=1, logger=False,
                            callbacks=[_recording_callback(calls)])
    try:
        trainer.fit(Failing())
    except RuntimeError as exc:
        assert "boom in training_step" in str(exc)
    else:
        raise AssertionError("fit should re-raise the error of training_step")
    assert trainer.lifecycle.history[-2:] == ["train_epoch", "teardown"]
    assert trainer.lifecycle.outcome == "failed"
    assert "boom in training_step" in (trainer.lifecycle.error or "")
    assert calls[-1] == "CB.teardown"
    assert "CB.on_train_end" not in calls
