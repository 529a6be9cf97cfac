"""TestTubeLogger on the test_tube package: the metrics and hyperparameters read back with
test_tube's own Experiment, and their steps from the event files it writes."""

from __future__ import annotations

import shutil
import sys
from pathlib import Path

import pytest
from tensorboard.backend.event_processing.event_accumulator import EventAccumulator

import orchestrator as pl
from orchestrator.loggers import TensorBoardLogger, TestTubeLogger
from tests.helpers import BoringModel

test_tube = pytest.importorskip("test_tube")


class _Logged(BoringModel):
    def __init__(self) -> None:
        super().__init__(batch_size=8, n=64)
        self.hparams = {"lr": 0.05, "hidden": 16}


def test_metrics_and_hyperparameters_read_back_with_test_tube(tmp_path: Path) -> None:
    logger = TestTubeLogger(str(tmp_path / "tt"), name="boring")
    board = TensorBoardLogger(str(tmp_path), name="tb")
    trainer = pl.Trainer(max_epochs=3, logger=[logger, board], row_log_interval=2,
                         default_root_dir=str(tmp_path), progress_bar_refresh_rate=0,
                         weights_summary=None, checkpoint_callback=False)
    trainer.fit(_Logged())
    assert logger.version == 0 and Path(logger.log_dir) == tmp_path / "tt" / "boring" / "version_0"
    loaded = test_tube.Experiment(save_dir=str(tmp_path / "tt"), name="boring", version=0)
    assert {k: loaded.tags[k] for k in ("lr", "hidden")} == {"lr": 0.05, "hidden": 16}
    ours = EventAccumulator(str(Path(logger.log_dir) / "tf"))  # test_tube's event files
    ours.Reload()
    theirs = EventAccumulator(board.log_dir)
    theirs.Reload()
    for tag in theirs.Tags()["scalars"]:
        expected = [(e.step, e.value) for e in theirs.Scalars(tag)]
        assert [(e.step, e.value) for e in ours.Scalars(tag)] == expected, tag
        kept = [row[tag] for row in loaded.metrics if tag in row]  # metrics.csv, in order
        assert kept == pytest.approx([value for _, value in expected]), tag


def test_without_test_tube_the_error_names_the_extra(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setitem(sys.modules, "test_tube", None)
    with pytest.raises(ImportError, match=r"pip install 'orchestrator\[testtube\]'"):
        TestTubeLogger("x")


@pytest.mark.skipif(shutil.which("dot") is None, reason="needs Graphviz's dot")
def test_the_lifecycle_goes_to_test_tubes_event_files(tmp_path: Path) -> None:
    logger = TestTubeLogger(str(tmp_path), name="boring", lifecycle=True)
    trainer = pl.Trainer(max_epochs=2, logger=logger, default_root_dir=str(tmp_path),
                         progress_bar_refresh_rate=0, weights_summary=None,
                         checkpoint_callback=False)
    trainer.fit(_Logged())
    events = EventAccumulator(str(Path(logger.log_dir) / "tf"),
                              size_guidance={"images": 0, "tensors": 0})
    events.Reload()
    steps = [image.step for image in events.Images("lifecycle")]
    assert steps and steps[-1] == len(trainer.lifecycle.history)  # teardown drawn last
    texts = events.Tensors("lifecycle/mermaid/text_summary")
    assert [text.step for text in texts] == steps
    assert b"Class teardown s_active" in texts[-1].tensor_proto.string_val[0]
