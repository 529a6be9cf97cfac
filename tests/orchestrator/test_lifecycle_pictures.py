"""The lifecycle in TensorBoard: the diagram as an image and its Mermaid text as the run moves
(TensorBoardLogger(lifecycle=True): at each state; by default on a budget of the run's time),
read back with TensorBoard's own EventAccumulator."""

from __future__ import annotations

import shutil
import struct
import threading
import time
from pathlib import Path
from types import SimpleNamespace
from typing import Any

import pytest
from tensorboard.backend.event_processing.event_accumulator import EventAccumulator

import orchestrator as pl
from orchestrator import lifecycle_pictures
from orchestrator.lifecycle_pictures import LifecyclePictures
from orchestrator.loggers import CSVLogger, TensorBoardLogger
from tests.helpers import BoringModel


def _events(log_dir: str) -> EventAccumulator:
    events = EventAccumulator(log_dir, size_guidance={"images": 0, "tensors": 0})
    events.Reload()
    return events


def _texts(events: EventAccumulator) -> dict[int, str]:
    tag = "lifecycle/mermaid/text_summary"
    return {event.step: event.tensor_proto.string_val[0].decode()
            for event in events.Tensors(tag)}


def _fit_and_test(tmp_path: Path, **kwargs: Any) -> tuple[pl.Trainer, TensorBoardLogger]:
    logger = TensorBoardLogger(str(tmp_path), lifecycle=True)
    trainer = pl.Trainer(max_epochs=2, logger=logger, default_root_dir=str(tmp_path),
                         progress_bar_refresh_rate=0, weights_summary=None, **kwargs)
    trainer.fit(BoringModel())
    return trainer, logger


@pytest.mark.skipif(shutil.which("dot") is None, reason="needs Graphviz's dot")
def test_the_run_is_drawn_as_it_goes_and_at_its_end(tmp_path: Path) -> None:
    trainer, logger = _fit_and_test(tmp_path)
    history = list(trainer.lifecycle.history)
    trainer.test(ckpt_path=None)  # a second run of the same Trainer: its steps go on
    events = _events(logger.log_dir)
    images = events.Images("lifecycle")
    texts = _texts(events)
    changes = history + list(trainer.lifecycle.history)
    steps = [image.step for image in images]
    assert steps == sorted(set(steps)) and sorted(texts) == steps
    # each run's teardown is drawn (the pictures before it: as the drawing thread kept up)
    assert len(history) in steps and steps[-1] == len(changes)
    for image in images:
        assert image.encoded_image_string.startswith(b"\x89PNG")
        width, height = struct.unpack(">II", image.encoded_image_string[16:24])
        assert (image.width, image.height) == (width, height) and width <= 1600
        text = texts[image.step]
        assert "stateDiagram-v2" in text
        state = changes[image.step - 1]
        assert f"Class {state} s_active" in text, (image.step, state)  # where the run was
    final_fit = texts[len(history)]  # the fit's teardown shows every state it went through
    for state in set(history) - {"teardown"}:
        assert f"Class {state} s_visited" in final_fit, state


class _Recorder:
    def __init__(self) -> None:
        self.steps: list[tuple[int, str]] = []

    def log_lifecycle(self, image: Any, mermaid: str, step: int) -> None:
        self.steps.append((step, mermaid))


class _Changes:
    """A stand-in lifecycle whose record is the state given."""

    def __init__(self) -> None:
        self.state = "init"
        self.outcome = "running"

    def record(self) -> Any:
        return SimpleNamespace(state=self.state, outcome="running")


def test_one_picture_at_a_time_the_latest_change_waiting_and_teardown_last(
        monkeypatch: pytest.MonkeyPatch) -> None:
    drawing, release = threading.Event(), threading.Event()

    def slow_text(record: Any) -> str:
        drawing.set()
        release.wait(5)
        return record.state

    monkeypatch.setattr(lifecycle_pictures, "to_mermaid", slow_text)
    recorder, lifecycle = _Recorder(), _Changes()
    pictures = LifecyclePictures(recorder, every_change=True)
    pictures.draws = False
    for state in ("init", "prepare_data", "optimizers", "dataloaders"):
        lifecycle.state = state
        pictures(lifecycle)  # type: ignore[arg-type]
        drawing.wait(5)  # init is being drawn; the others wait, each replacing the one before
    release.set()
    lifecycle.state = "teardown"
    pictures(lifecycle)  # type: ignore[arg-type]
    assert recorder.steps[0] == (1, "init") and recorder.steps[-1] == (5, "teardown")
    assert [state for _, state in recorder.steps] in (["init", "dataloaders", "teardown"],
                                                       ["init", "teardown"])


def test_a_state_drawn_before_is_drawn_again_only_after_the_interval(
        monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(lifecycle_pictures, "to_mermaid", lambda record: record.state)
    recorder, lifecycle = _Recorder(), _Changes()
    pictures = LifecyclePictures(recorder, every_change=True)
    pictures.draws = False
    clock = [100.0]
    monkeypatch.setattr(lifecycle_pictures.time, "monotonic", lambda: clock[0])

    def enter(state: str, drawn: int) -> None:
        lifecycle.state = state
        pictures(lifecycle)  # type: ignore[arg-type]
        deadline = time.perf_counter() + 5  # (not monotonic: patched above)
        while len(recorder.steps) < drawn and time.perf_counter() < deadline:
            time.sleep(0.01)
        time.sleep(0.05)
        clock[0] += 1.0

    for state, drawn in (("train_epoch", 1), ("val_check", 2), ("train_epoch", 2),
                         ("val_check", 2)):
        enter(state, drawn)
    clock[0] += lifecycle_pictures.REDRAW_AFTER_S
    enter("train_epoch", 3)
    pictures._finish()
    assert recorder.steps == [(1, "train_epoch"), (2, "val_check"), (5, "train_epoch")]


def test_without_dot_the_text_still_goes(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(shutil, "which", lambda name: None)
    trainer, logger = _fit_and_test(tmp_path, checkpoint_callback=False)
    events = _events(logger.log_dir)
    assert "lifecycle" not in events.Tags()["images"]
    texts = _texts(events)
    assert len(trainer.lifecycle.history) in texts  # teardown, at least


def test_loggers_without_pictures_draw_nothing(tmp_path: Path,
                                                monkeypatch: pytest.MonkeyPatch) -> None:
    drawn: list[Any] = []
    monkeypatch.setattr(LifecyclePictures, "_draw", lambda self, change: drawn.append(change))
    trainer = pl.Trainer(max_epochs=1, logger=CSVLogger(str(tmp_path)), progress_bar_refresh_rate=0,
                         weights_summary=None, default_root_dir=str(tmp_path),
                         checkpoint_callback=False)
    trainer.fit(BoringModel())
    assert not CSVLogger(str(tmp_path)).takes_pictures and drawn == []
    assert not TensorBoardLogger(str(tmp_path), lifecycle=False).takes_pictures
    default = TensorBoardLogger(str(tmp_path))
    every = TensorBoardLogger(str(tmp_path), lifecycle=True)
    assert default.takes_pictures and not default.pictures_every_change
    assert every.takes_pictures and every.pictures_every_change
    both = pl.loggers.LoggerCollection([default, CSVLogger(str(tmp_path))])
    assert both.takes_pictures and not both.pictures_every_change


def test_by_default_pictures_keep_within_their_share_of_the_run(
        monkeypatch: pytest.MonkeyPatch) -> None:
    # each picture costs 0.5 s here; at 2%, the changes before teardown may spend 1% of the
    # run's time so far, teardown 2%: a first picture after 50 s, or teardown's after 25 s
    monkeypatch.setattr(lifecycle_pictures, "to_mermaid", lambda record: record.state)
    clock = [1000.0]
    monkeypatch.setattr(lifecycle_pictures.time, "monotonic", lambda: clock[0])

    def run(*changes: tuple[float, str]) -> list[str]:
        recorder, lifecycle = _Recorder(), _Changes()
        pictures = LifecyclePictures(recorder)
        pictures.draws = False
        pictures._cost = 0.5
        drawn = pictures._draw

        def costly_draw(change: Any) -> None:
            drawn(change)
            pictures._spent += 0.5 - pictures._cost  # as if this picture took 0.5 s
            pictures._cost = 0.5

        monkeypatch.setattr(pictures, "_draw", costly_draw)
        for seconds, state in changes:
            clock[0] = 1000.0 + seconds
            lifecycle.state = state
            pictures(lifecycle)  # type: ignore[arg-type]
            deadline = time.perf_counter() + 5  # the change taken up and drawn before the next
            while pictures._pending is not None and time.perf_counter() < deadline:
                time.sleep(0.01)
            pictures._finish()
        return [state for _, state in recorder.steps]

    assert run((0, "init"), (10, "train_epoch"), (49, "val_check"), (50, "train_epoch"),
               (60, "val_check"), (99, "train_epoch"), (100, "val_check"),
               (100, "teardown")) == ["train_epoch", "val_check", "teardown"]  # 1.5 s of 2 s
    assert run((0, "init"), (24, "teardown")) == []  # 0.5 s is over 2% of 24 s
    assert run((0, "init"), (25, "train_epoch"), (25, "teardown")) == ["teardown"]


@pytest.mark.skipif(shutil.which("dot") is None, reason="needs Graphviz's dot")
def test_the_default_logger_draws_a_short_run_not_and_a_long_one_at_its_end(
        tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    def fit(folder: Path) -> EventAccumulator:
        trainer = pl.Trainer(max_epochs=1, default_root_dir=str(folder), weights_summary=None,
                             progress_bar_refresh_rate=0, checkpoint_callback=False)
        trainer.fit(BoringModel())
        assert isinstance(trainer.logger, TensorBoardLogger)
        return _events(trainer.logger.log_dir)

    short = fit(tmp_path / "short")  # well under a second: 2% of it is no picture's cost
    assert "lifecycle" not in short.Tags()["images"]
    monkeypatch.setattr(lifecycle_pictures, "PICTURE_SHARE", 1e6)  # as a run of hours
    long = fit(tmp_path / "long")
    images = long.Images("lifecycle")
    assert images and images[-1].encoded_image_string.startswith(b"\x89PNG")
    assert "Class teardown s_active" in _texts(long)[images[-1].step]
