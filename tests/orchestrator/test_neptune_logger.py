"""NeptuneLogger offline (neptune 1.x's offline mode): the run's operations read back with
neptune's own classes (the collector `neptune sync` uses, its DiskQueue and Operation), compared
step by step with TensorBoard's events of the same run."""

from __future__ import annotations

import base64
import shutil
import sys
import threading
from pathlib import Path
from types import SimpleNamespace
from typing import Any

import pytest
from tensorboard.backend.event_processing.event_accumulator import EventAccumulator

import orchestrator as pl
from orchestrator.loggers import NeptuneLogger, TensorBoardLogger
from tests.helpers import BoringModel

neptune = pytest.importorskip("neptune")

QUIET = {"capture_stdout": False, "capture_stderr": False, "capture_hardware_metrics": False,
         "capture_traceback": False, "git_ref": False}


class _Logged(BoringModel):
    def __init__(self) -> None:
        super().__init__(batch_size=8, n=64)
        self.hparams = {"lr": 0.05, "hidden": 16, "optim": {"name": "sgd"}}


@pytest.fixture
def data_dir(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    folder = tmp_path / ".neptune"
    monkeypatch.setenv("NEPTUNE_DATA_DIRECTORY", str(folder))
    for name in ("NEPTUNE_API_TOKEN", "NEPTUNE_PROJECT"):
        monkeypatch.delenv(name, raising=False)
    return folder


def _operations(folder: Path) -> list[Any]:
    from neptune.cli.collect import collect_offline_containers
    from neptune.core.components.queue.disk_queue import DiskQueue
    from neptune.internal.operation import Operation

    found = []
    for container in collect_offline_containers(path=folder):
        for execution in container.execution_dirs:
            queue = DiskQueue(data_path=execution.path, to_dict=lambda op: op.to_dict(),
                              from_dict=Operation.from_dict, lock=threading.RLock())
            while batch := queue.get_batch(1000):
                found += [element.obj for element in batch]
            queue.close()  # not acknowledged: the files stay for `neptune sync`
    return found


def _series_and_values(folder: Path) -> tuple[dict[str, list[tuple[int, float]]], dict[str, Any]]:
    from neptune.internal.operation import LogFloats

    series: dict[str, list[tuple[int, float]]] = {}
    values: dict[str, Any] = {}
    for op in _operations(folder):
        path = "/".join(op.path)
        if isinstance(op, LogFloats):
            series.setdefault(path, []).extend((int(v.step), v.value) for v in op.values)
        elif hasattr(op, "value") and op.path[0] in ("parameters", "properties"):
            values[path] = op.value
    return series, values


def test_metrics_and_hyperparameters_read_back_from_the_offline_run(tmp_path: Path,
                                                                    data_dir: Path) -> None:
    logger = NeptuneLogger(offline_mode=True, experiment_name="first",
                           params={"batch": 8}, properties={"data": "boring"}, **QUIET)
    board = TensorBoardLogger(str(tmp_path), name="tb")
    trainer = pl.Trainer(max_epochs=3, logger=[logger, board], row_log_interval=2,
                         default_root_dir=str(tmp_path), progress_bar_refresh_rate=0,
                         weights_summary=None, checkpoint_callback=False)
    trainer.fit(_Logged())
    assert (logger.name, logger.version) == ("offline-name", "offline-id-1234")  # as 0.8.5
    series, values = _series_and_values(data_dir)
    assert values == {"parameters/batch": 8, "properties/data": "boring",
                      "parameters/lr": 0.05, "parameters/hidden": 16,
                      "parameters/optim/name": "sgd"}
    theirs = EventAccumulator(board.log_dir)
    theirs.Reload()
    tags = theirs.Tags()["scalars"]
    assert {"train_loss", "val_loss", "epoch"} <= set(tags) and set(series) == set(tags)
    for tag in tags:
        expected = [(e.step, e.value) for e in theirs.Scalars(tag)]
        assert [step for step, _ in series[tag]] == [step for step, _ in expected], tag
        assert [v for _, v in series[tag]] == pytest.approx([v for _, v in expected]), tag


def test_the_run_stays_open_without_close_after_fit(data_dir: Path) -> None:
    logger = NeptuneLogger(offline_mode=True, close_after_fit=False, **QUIET)
    logger.log_metric("loss", 0.5, step=3)
    logger.set_property("stage", "fit")
    logger.append_tags("first")
    logger.finalize("success")
    assert logger._run is not None  # kept for test()
    logger.log_text("notes", "after fit", step=4)
    logger.experiment.stop()
    series, values = _series_and_values(data_dir)
    assert series == {"loss": [(3, 0.5)]} and values == {"properties/stage": "fit"}


def test_without_neptune_the_error_names_the_extra(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setitem(sys.modules, "neptune", None)
    with pytest.raises(ImportError, match=r"pip install 'orchestrator\[neptune\]'"):
        NeptuneLogger(offline_mode=True)


@pytest.mark.skipif(shutil.which("dot") is None, reason="needs Graphviz's dot")
def test_the_lifecycle_goes_to_the_run_as_images_and_mermaid(tmp_path: Path,
                                                             data_dir: Path) -> None:
    from neptune.internal.operation import AssignString, LogImages

    logger = NeptuneLogger(offline_mode=True, lifecycle=True, **QUIET)
    trainer = pl.Trainer(max_epochs=2, logger=logger, default_root_dir=str(tmp_path),
                         progress_bar_refresh_rate=0, weights_summary=None,
                         checkpoint_callback=False)
    trainer.fit(_Logged())
    images, mermaid = {}, []
    for op in _operations(data_dir):
        if isinstance(op, LogImages) and op.path == ["lifecycle", "diagram"]:
            images.update({int(v.step): base64.b64decode(v.value.data) for v in op.values})
        elif isinstance(op, AssignString) and op.path == ["lifecycle", "mermaid"]:
            mermaid.append(op.value)
    steps = sorted(images)
    assert steps and steps[-1] == len(trainer.lifecycle.history)  # teardown drawn last
    assert all(image.startswith(b"\x89PNG") for image in images.values())
    assert len(mermaid) == len(steps)  # the latest text, replaced at each picture
    assert "stateDiagram-v2" in mermaid[-1] and "Class teardown s_active" in mermaid[-1]


def test_online_name_and_version_are_fetched_once_per_run(monkeypatch: pytest.MonkeyPatch
                                                          ) -> None:
    """Online, sys/name and sys/id come from Neptune's server: asked once per run, not at
    each checkpoint (no server here: neptune's init_run is replaced by a recording run)."""
    from orchestrator.loggers import neptune as neptune_logs

    fetched: list[str] = []

    class Field:
        def __init__(self, path: str, run: Any) -> None:
            self.path, self.run = path, run

        def fetch(self) -> str:
            fetched.append(self.path)
            return f"{self.path}-{self.run.number}"

    class Run:
        made = 0

        def __init__(self, **kwargs: Any) -> None:
            Run.made += 1
            self.number = Run.made

        def __getitem__(self, path: str) -> Field:
            return Field(path, self)

        def __setitem__(self, path: str, value: Any) -> None: ...

        def stop(self) -> None: ...

    monkeypatch.setattr(neptune_logs, "_neptune", lambda: SimpleNamespace(init_run=Run))
    logger = NeptuneLogger(api_key="key", project_name="team/boring")
    assert [logger.name, logger.version, logger.name, logger.version] == [
        "sys/name-1", "sys/id-1", "sys/name-1", "sys/id-1"]
    assert fetched == ["sys/name", "sys/id"]
    logger.finalize("success")  # the run is stopped: the next one has its own
    assert logger.version == "sys/id-2" and len(fetched) == 4
