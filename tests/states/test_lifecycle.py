"""The lifecycle machine as a user sees it: states, transitions, history, timing and outcome."""

from __future__ import annotations

import json
import time
from collections import Counter
from pathlib import Path
from typing import Any

import pytest
import torch
import transitions.core

import orchestrator as pl
from states.lifecycle import HistoryEntry, Lifecycle, LifecycleRecord
from states.table import STATES, expanded_transitions
from tests.helpers import BoringModel, TrainOnlyModel, quiet_trainer

FIT_PATH_2_EPOCHS = ["init", "prepare_data", "optimizers", "dataloaders", "sanity_val",
                     "train_epoch", "val_check", "train_epoch", "val_check", "teardown"]


# helpers
class _StopAfterFirstEpoch(pl.callbacks.Callback):
    """Asks the run to stop at the end of the first epoch (as EarlyStopping would)."""

    def on_epoch_end(self, trainer: Any, pl_module: Any) -> None:
        trainer.should_stop = True


class _FailingModel(BoringModel):
    def training_step(self, batch: Any, batch_idx: int) -> dict[str, Any]:
        raise RuntimeError(f"boom at batch {batch_idx}")


class _InterruptedModel(BoringModel):
    def training_step(self, batch: Any, batch_idx: int) -> dict[str, Any]:
        if batch_idx == 1:
            raise KeyboardInterrupt
        return super().training_step(batch, batch_idx)


def _trainer(root: Path, **kwargs: Any) -> pl.Trainer:
    defaults: dict[str, Any] = dict(logger=False, checkpoint_callback=False)
    defaults.update(kwargs)
    return quiet_trainer(root, **defaults)


def _row_triggers(source: str, dest: str) -> set[str]:
    return {row["trigger"] for row in expanded_transitions()
            if row["source"] == source and row["dest"] == dest}


@pytest.fixture(scope="module")
def fitted(tmp_path_factory: pytest.TempPathFactory) -> tuple[pl.Trainer, float, float]:
    """A 2-epoch fit of BoringModel, with the Unix times just before and after it."""
    trainer = _trainer(tmp_path_factory.mktemp("fit"), max_epochs=2)
    before = time.time()
    trainer.fit(BoringModel())
    return trainer, before, time.time()


# before any run
def test_idle_lifecycle_exposes_states_in_table_order(tmp_path: Path) -> None:
    lifecycle = pl.Trainer(default_root_dir=str(tmp_path), logger=False).lifecycle
    assert list(lifecycle.states) == ["init", "prepare_data", "optimizers", "dataloaders",
                                      "sanity_val", "train_epoch", "val_check", "test",
                                      "teardown"]
    assert tuple(lifecycle.states) == STATES


def test_idle_lifecycle_exposes_every_transition_with_its_condition(tmp_path: Path) -> None:
    lifecycle = pl.Trainer(default_root_dir=str(tmp_path), logger=False).lifecycle
    exposed = lifecycle.transitions
    assert all(set(t) == {"trigger", "source", "dest", "condition"} for t in exposed)
    for row in expanded_transitions():
        expected = {"trigger": row["trigger"], "source": row["source"], "dest": row["dest"],
                    "condition": row.get("conditions")}
        assert expected in exposed
    assert len(exposed) == len(expanded_transitions())
    fail_sources = {t["source"] for t in exposed if t["trigger"] == "fail"}
    assert fail_sources == set(STATES) - {"teardown"}
    assert {"trigger": "data_prepared", "source": "prepare_data", "dest": "optimizers",
            "condition": "fitting"} in exposed


def test_idle_lifecycle_is_at_init_and_not_started(tmp_path: Path) -> None:
    lifecycle = pl.Trainer(default_root_dir=str(tmp_path), logger=False).lifecycle
    assert lifecycle.state == "init"
    assert lifecycle.outcome == "not_started"
    assert lifecycle.history == []
    assert lifecycle.entries == []
    assert lifecycle.error is None
    assert lifecycle.counts() == {}
    assert lifecycle.time_in() == {}


# after a fit
def test_fit_history_follows_the_table(fitted: tuple[pl.Trainer, float, float]) -> None:
    trainer, _, _ = fitted
    lifecycle = trainer.lifecycle
    assert lifecycle.history == FIT_PATH_2_EPOCHS
    assert lifecycle.state == "teardown"
    assert lifecycle.outcome == "completed"
    assert lifecycle.error is None
    assert lifecycle.mode == "fit"


def test_fit_entries_carry_unix_times_durations_and_triggers(
        fitted: tuple[pl.Trainer, float, float]) -> None:
    trainer, before, after = fitted
    entries = trainer.lifecycle.entries
    assert [entry.state for entry in entries] == FIT_PATH_2_EPOCHS
    assert all(isinstance(entry, HistoryEntry) for entry in entries)
    times = [entry.entered_at for entry in entries]
    assert all(isinstance(t, float) for t in times)
    assert times == sorted(times)
    assert before <= times[0] and times[-1] <= after
    for entry in entries:
        assert entry.duration is not None, f"{entry.state} has no duration after the run"
        assert entry.duration >= 0
    assert entries[0].trigger is None
    for previous, entry in zip(entries, entries[1:]):
        assert entry.trigger in _row_triggers(previous.state, entry.state), (previous, entry)
    triggers = [entry.trigger for entry in entries]
    assert triggers == [None, "prepared", "data_prepared", "configured", "loaded", "checked",
                        "validate", "validated", "validate", "validated"]


def test_fit_counts_and_time_in(fitted: tuple[pl.Trainer, float, float]) -> None:
    trainer, before, after = fitted
    lifecycle = trainer.lifecycle
    assert lifecycle.counts() == {"init": 1, "prepare_data": 1, "optimizers": 1,
                                  "dataloaders": 1, "sanity_val": 1, "train_epoch": 2,
                                  "val_check": 2, "teardown": 1}
    spent = lifecycle.time_in()
    assert set(spent) == set(lifecycle.counts())
    for state, seconds in spent.items():
        durations = [e.duration for e in lifecycle.entries if e.state == state]
        assert seconds == pytest.approx(sum(d for d in durations if d is not None))
        assert seconds >= 0
    assert sum(spent.values()) <= after - before + 1e-3
    # the run is over: time_in no longer grows
    assert lifecycle.time_in() == spent


def test_fit_without_validation_loops_on_epoch_done(tmp_path: Path) -> None:
    trainer = _trainer(tmp_path, max_epochs=3)
    trainer.fit(TrainOnlyModel())
    record = trainer.lifecycle.record()
    assert record.history == ["init", "prepare_data", "optimizers", "dataloaders",
                              "train_epoch", "train_epoch", "train_epoch", "teardown"]
    assert record.counts()["train_epoch"] == 3
    assert record.edges()[("train_epoch", "epoch_done", "train_epoch")] == 2
    assert record.edges()[("train_epoch", "epoch_done", "teardown")] == 1
    assert record.outcome == "completed"


def test_test_run_takes_the_testing_branch(tmp_path: Path) -> None:
    trainer = _trainer(tmp_path, max_epochs=1)
    trainer.fit(BoringModel())
    trainer.test()
    lifecycle = trainer.lifecycle
    assert lifecycle.history == ["init", "prepare_data", "dataloaders", "test", "teardown"]
    assert lifecycle.mode == "test"
    assert lifecycle.outcome == "completed"
    assert [e.trigger for e in lifecycle.entries] == [None, "prepared", "data_prepared",
                                                      "loaded", "tested"]


# how a run ends
def test_stop_request_ends_as_stopped_early(tmp_path: Path) -> None:
    trainer = _trainer(tmp_path, max_epochs=5, callbacks=[_StopAfterFirstEpoch()])
    trainer.fit(BoringModel())
    lifecycle = trainer.lifecycle
    assert lifecycle.outcome == "stopped_early"
    assert lifecycle.counts()["train_epoch"] == 1
    assert lifecycle.history[-1] == "teardown"
    assert lifecycle.error is None


def test_exception_in_training_step_ends_as_failed(tmp_path: Path) -> None:
    trainer = _trainer(tmp_path, max_epochs=2)
    with pytest.raises(RuntimeError, match="boom at batch 0"):
        trainer.fit(_FailingModel())
    lifecycle = trainer.lifecycle
    assert lifecycle.outcome == "failed"
    assert lifecycle.error is not None
    assert "RuntimeError" in lifecycle.error and "boom at batch 0" in lifecycle.error
    assert lifecycle.history[-2:] == ["train_epoch", "teardown"]
    assert lifecycle.entries[-1].trigger == "fail"
    assert all(entry.duration is not None for entry in lifecycle.entries)


def test_keyboard_interrupt_ends_as_interrupted_and_tears_down(tmp_path: Path) -> None:
    calls: list[str] = []

    class Recorder(pl.callbacks.Callback):
        def on_keyboard_interrupt(self, trainer: Any, pl_module: Any) -> None:
            calls.append("on_keyboard_interrupt")

        def teardown(self, trainer: Any, pl_module: Any) -> None:
            calls.append("teardown")

    trainer = _trainer(tmp_path, max_epochs=2, callbacks=[Recorder()])
    assert trainer.fit(_InterruptedModel()) == 1  # returns normally: no re-raise
    lifecycle = trainer.lifecycle
    assert lifecycle.outcome == "interrupted"
    assert lifecycle.error is not None and "KeyboardInterrupt" in lifecycle.error
    assert lifecycle.history[-1] == "teardown"
    assert lifecycle.history[-2] == "train_epoch"
    assert lifecycle.state == "teardown"
    assert calls == ["on_keyboard_interrupt", "teardown"]


# the record as data
def test_record_round_trips_through_json(fitted: tuple[pl.Trainer, float, float]) -> None:
    trainer, _, _ = fitted
    record = trainer.lifecycle.record()
    data = record.to_dict()
    assert data["history"] == FIT_PATH_2_EPOCHS
    assert data["state"] == "teardown" and data["outcome"] == "completed"
    assert data["mode"] == "fit" and data["error"] is None
    assert [e["state"] for e in data["entries"]] == FIT_PATH_2_EPOCHS
    assert set(data["entries"][0]) == {"state", "entered_at", "duration", "trigger"}
    restored = LifecycleRecord.from_dict(json.loads(json.dumps(data)))
    assert restored == record
    assert restored.to_dict() == data
    assert restored.counts() == record.counts()
    assert restored.time_in() == record.time_in()
    assert restored.edges() == record.edges()


def test_record_of_a_failed_run_keeps_the_error() -> None:
    record = LifecycleRecord("teardown", [HistoryEntry("init", 1.0, 0.5, None),
                                          HistoryEntry("teardown", 1.5, 0.1, "fail")],
                             "failed", "fit", "RuntimeError: boom")
    restored = LifecycleRecord.from_dict(json.loads(json.dumps(record.to_dict())))
    assert restored == record
    assert restored.error == "RuntimeError: boom"
    assert restored.edges() == {("init", "fail", "teardown"): 1}


def test_record_edges_count_each_edge_taken(fitted: tuple[pl.Trainer, float, float]) -> None:
    trainer, _, _ = fitted
    assert trainer.lifecycle.record().edges() == {
        ("init", "prepared", "prepare_data"): 1,
        ("prepare_data", "data_prepared", "optimizers"): 1,
        ("optimizers", "configured", "dataloaders"): 1,
        ("dataloaders", "loaded", "sanity_val"): 1,
        ("sanity_val", "checked", "train_epoch"): 1,
        ("train_epoch", "validate", "val_check"): 2,
        ("val_check", "validated", "train_epoch"): 1,
        ("val_check", "validated", "teardown"): 1,
    }


def test_record_is_a_snapshot(fitted: tuple[pl.Trainer, float, float]) -> None:
    trainer, _, _ = fitted
    record = trainer.lifecycle.record()
    record.entries.append(HistoryEntry("test", 0.0, 0.0, "loaded"))
    assert trainer.lifecycle.history == FIT_PATH_2_EPOCHS


# the hot path
def _fires_during_fit(tmp_path: Path, monkeypatch: pytest.MonkeyPatch, batch_size: int,
                      ) -> tuple[Counter[str], int, pl.Trainer]:
    """Fit 2 epochs of 64 samples; count Lifecycle.fire calls and transitions Event triggers."""
    fired: Counter[str] = Counter()
    events = [0]
    real_fire = Lifecycle.fire
    real_trigger = transitions.core.Event.trigger

    def counting_fire(self: Lifecycle, trigger: str) -> None:
        fired[trigger] += 1
        real_fire(self, trigger)

    def counting_trigger(self: Any, model: Any, *args: Any, **kwargs: Any) -> Any:
        events[0] += 1
        return real_trigger(self, model, *args, **kwargs)

    with monkeypatch.context() as patch:
        patch.setattr(Lifecycle, "fire", counting_fire)
        patch.setattr(transitions.core.Event, "trigger", counting_trigger)
        trainer = _trainer(tmp_path, max_epochs=2)
        trainer.fit(BoringModel(batch_size=batch_size, n=64))
    return fired, events[0], trainer


def test_training_batches_fire_no_trigger(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    few, few_events, few_trainer = _fires_during_fit(tmp_path / "few", monkeypatch, 32)
    many, many_events, many_trainer = _fires_during_fit(tmp_path / "many", monkeypatch, 8)
    assert few_trainer.num_training_batches == 2 and few_trainer.global_step == 4
    assert many_trainer.num_training_batches == 8 and many_trainer.global_step == 16
    assert sum(many.values()) == sum(few.values())
    assert many == few
    assert many_events == few_events == sum(many.values())
    assert many == Counter({"prepared": 1, "data_prepared": 1, "configured": 1, "loaded": 1,
                            "checked": 1, "validate": 2, "validated": 2})
    assert many_trainer.lifecycle.history == few_trainer.lifecycle.history


class _HookCounter(pl.callbacks.Callback):
    def __init__(self) -> None:
        self.calls: Counter[str] = Counter()

    def on_train_start(self, trainer: Any, pl_module: Any) -> None:
        self.calls["on_train_start"] += 1

    def on_train_end(self, trainer: Any, pl_module: Any) -> None:
        self.calls["on_train_end"] += 1

    def on_validation_end(self, trainer: Any, pl_module: Any) -> None:
        self.calls["on_validation_end"] += 1


@pytest.mark.parametrize("limit", [0, 0.0])
def test_limit_train_batches_zero_skips_training(tmp_path: Path, limit: float) -> None:
    """``limit_train_batches=0`` (0.8.5 ran epochs of no batch; Lightning 2 skips the loop):
    the sanity check runs, then the fit goes to teardown with the weights untouched."""
    model, counter = BoringModel(), _HookCounter()
    before = [p.detach().clone() for p in model.parameters()]
    trainer = _trainer(tmp_path, max_epochs=3, limit_train_batches=limit, callbacks=[counter])
    assert trainer.fit(model) == 1
    record = trainer.lifecycle.record()
    assert record.history == ["init", "prepare_data", "optimizers", "dataloaders",
                              "sanity_val", "teardown"]
    assert record.edges()[("sanity_val", "checked", "teardown")] == 1
    assert record.outcome == "completed"
    assert trainer.num_training_batches == 0 and trainer.global_step == 0
    assert all(torch.equal(a, b) for a, b in zip(before, model.parameters()))
    assert counter.calls == Counter()  # no training: no on_train_start/end, no validation


def test_limit_train_batches_zero_without_validation_goes_from_dataloaders(
        tmp_path: Path) -> None:
    trainer = _trainer(tmp_path, max_epochs=2, limit_train_batches=0)
    trainer.fit(TrainOnlyModel())
    record = trainer.lifecycle.record()
    assert record.history == ["init", "prepare_data", "optimizers", "dataloaders", "teardown"]
    assert record.edges()[("dataloaders", "loaded", "teardown")] == 1


def test_limit_test_batches_zero_runs_no_test_step(tmp_path: Path) -> None:
    """As 0.8.5: no test batch, so neither test_step nor test_epoch_end runs."""
    class _Counting(BoringModel):
        calls = Counter[str]()

        def test_step(self, batch: Any, batch_idx: int) -> Any:
            self.calls["test_step"] += 1
            return super().test_step(batch, batch_idx)

        def test_epoch_end(self, outputs: Any) -> Any:
            self.calls["test_epoch_end"] += 1
            return super().test_epoch_end(outputs)

    model = _Counting()
    trainer = _trainer(tmp_path, max_epochs=1, limit_train_batches=2, limit_test_batches=0)
    trainer.fit(model)
    trainer.test(model)
    assert trainer.num_test_batches == [0]
    assert model.calls == Counter()


def test_a_fit_on_a_trainer_whose_fit_ended_is_refused(tmp_path: Path) -> None:
    """Issue 17: it returned 1 without training and said nothing."""
    trainer = _trainer(tmp_path, max_epochs=2)
    trainer.fit(BoringModel())
    with pytest.raises(pl.MisconfigurationError,
                       match=r"Trainer.fit\(BoringModel\): this Trainer's fit already ended "
                             r"\(completed, epoch 2 of max_epochs=2, global step \d+\), so it "
                             r"has nothing left to train; make a new Trainer for a new run"):
        trainer.fit(BoringModel())
    assert trainer.test()  # testing stays open


def test_a_fit_after_a_failed_fit_runs(tmp_path: Path) -> None:
    trainer = _trainer(tmp_path, max_epochs=1)
    with pytest.raises(RuntimeError, match="boom"):
        trainer.fit(_FailingModel())
    trainer.fit(BoringModel())
    assert trainer.global_step > 0


@pytest.mark.parametrize(("history", "text"), [
    ([], ""),
    (["init", "teardown"], "init → teardown"),
    (["init", "prepare_data", "optimizers", "dataloaders", "sanity_val",
      *["train_epoch", "val_check"] * 67, "teardown"],
     "init → prepare_data → optimizers → dataloaders → sanity_val → "
     "train_epoch ⇄ val_check ×67 → teardown"),
    (["dataloaders", "train_epoch", "train_epoch", "train_epoch", "val_check", "teardown"],
     "dataloaders → train_epoch ×3 → val_check → teardown"),
    (["train_epoch", "val_check", "train_epoch", "teardown"],  # one round: not collapsed
     "train_epoch → val_check → train_epoch → teardown"),
])
def test_the_collapsed_path_counts_repeats_and_alternations(history: list[str],
                                                            text: str) -> None:
    from states.record import collapsed_path

    assert collapsed_path(history) == text
