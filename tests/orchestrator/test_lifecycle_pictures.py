"""The lifecycle in TensorBoard: at every state change the diagram as an image and its
Mermaid text, read back with TensorBoard's own EventAccumulator."""

from __future__ import annotations

import shutil
import struct
from pathlib import Path
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
    logger = TensorBoardLogger(str(tmp_path))
    trainer = pl.Trainer(max_epochs=2, logger=logger, default_root_dir=str(tmp_path),
                         progress_bar_refresh_rate=0, weights_summary=None, **kwargs)
    trainer.fit(BoringModel())
    return trainer, logger


@pytest.mark.skipif(shutil.which("dot") is None, reason="needs Graphviz's dot")
def test_every_state_the_run_visits_is_an_image_and_its_text(tmp_path: Path,
                                                             monkeypatch: pytest.MonkeyPatch
                                                             ) -> None:
    monkeypatch.setattr(lifecycle_pictures, "REDRAW_AFTER_S", 0.0)  # every change drawn
    trainer, logger = _fit_and_test(tmp_path)
    history = list(trainer.lifecycle.history)
    trainer.test(ckpt_path=None)  # a second run of the same Trainer: its steps go on
    events = _events(logger.log_dir)
    images = events.Images("lifecycle")
    texts = _texts(events)
    changes = history + list(trainer.lifecycle.history)
    assert [image.step for image in images] == list(range(1, len(changes) + 1))
    assert sorted(texts) == [image.step for image in images]
    for image, state in zip(images, changes):
        assert image.encoded_image_string.startswith(b"\x89PNG")
        width, height = struct.unpack(">II", image.encoded_image_string[16:24])
        assert (image.width, image.height) == (width, height) and width <= 1600
        text = texts[image.step]
        assert "stateDiagram-v2" in text
        assert f"Class {state} s_active" in text, (image.step, state)  # where the run is
    assert "test" in trainer.lifecycle.history and changes[-1] == "teardown"


def test_a_state_entered_again_soon_is_not_drawn_again(tmp_path: Path) -> None:
    trainer, logger = _fit_and_test(tmp_path, checkpoint_callback=False)
    history = trainer.lifecycle.history
    texts = _texts(_events(logger.log_dir))
    # each state once, at its first entry, and the run's end (teardown) at its own step
    firsts = sorted({state: history.index(state) + 1 for state in history}.values())
    assert sorted(texts) == firsts
    assert history.count("train_epoch") == 2 and len(texts) == len(set(history))


def test_without_dot_the_text_still_goes(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(shutil, "which", lambda name: None)
    trainer, logger = _fit_and_test(tmp_path, checkpoint_callback=False)
    events = _events(logger.log_dir)
    assert "lifecycle" not in events.Tags()["images"]
    assert len(_texts(events)) == len(set(trainer.lifecycle.history))


def test_loggers_without_pictures_draw_nothing(tmp_path: Path,
                                                monkeypatch: pytest.MonkeyPatch) -> None:
    drawn: list[Any] = []
    monkeypatch.setattr(LifecyclePictures, "_draw", lambda self, change: drawn.append(change))
    trainer = pl.Trainer(max_epochs=1, logger=CSVLogger(str(tmp_path)), progress_bar_refresh_rate=0,
                         weights_summary=None, default_root_dir=str(tmp_path),
                         checkpoint_callback=False)
    trainer.fit(BoringModel())
    assert not CSVLogger(str(tmp_path)).takes_pictures and drawn == []
