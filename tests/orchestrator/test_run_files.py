"""lifecycle.json: written in the background during a run, the final state before fit returns."""

from __future__ import annotations

import json
import threading
import time
from pathlib import Path

from orchestrator.run_files import LifecycleWriter, read_run_lifecycle
from states.lifecycle import HistoryEntry, LifecycleRecord


class _Lifecycle:
    """A stand-in with the one method the writer reads."""

    def __init__(self) -> None:
        self.entries: list[HistoryEntry] = []
        self.outcome = "running"

    def enter(self, state: str) -> None:
        self.entries.append(HistoryEntry(state, time.time()))

    def record(self) -> LifecycleRecord:
        return LifecycleRecord(self.entries[-1].state, list(self.entries), self.outcome, "fit")


def _wait_for(path: Path, history: list[str]) -> None:
    deadline = time.monotonic() + 5
    while time.monotonic() < deadline:
        if path.exists() and json.loads(path.read_text())["fit"]["history"] == history:
            return
        time.sleep(0.01)
    raise AssertionError(f"{path} never showed {history}")


def test_changes_during_a_run_reach_the_file(tmp_path: Path) -> None:
    writer, lifecycle = LifecycleWriter(str(tmp_path)), _Lifecycle()
    for state in ("init", "prepare_data", "optimizers"):
        lifecycle.enter(state)
        writer(lifecycle)  # type: ignore[arg-type]
    _wait_for(tmp_path / "lifecycle.json", ["init", "prepare_data", "optimizers"])
    lifecycle.outcome = "completed"
    writer(lifecycle)  # type: ignore[arg-type]  # the run ends, and its thread with it


def test_the_final_state_is_on_disk_when_the_change_returns(tmp_path: Path) -> None:
    writer, lifecycle = LifecycleWriter(str(tmp_path)), _Lifecycle()
    states = [f"state_{i}" for i in range(200)]
    for state in states:
        lifecycle.enter(state)
        writer(lifecycle)  # type: ignore[arg-type]
    lifecycle.outcome = "completed"
    writer(lifecycle)  # type: ignore[arg-type]
    record = read_run_lifecycle(tmp_path)  # no waiting
    assert record.outcome == "completed" and record.history == states
    time.sleep(0.2)  # nothing older lands after it
    assert read_run_lifecycle(tmp_path).outcome == "completed"
    assert not list(tmp_path.glob(".lifecycle.*"))  # no temporary file left behind


def test_a_directory_that_cannot_be_written_warns_once_and_the_run_goes_on(
    tmp_path: Path,
) -> None:
    from loguru import logger

    blocked = tmp_path / "file_not_dir"
    blocked.write_text("")
    messages: list[str] = []
    handler = logger.add(messages.append, level="WARNING")
    try:
        writer, lifecycle = LifecycleWriter(str(blocked / "logs")), _Lifecycle()
        for outcome in ("completed", "failed"):
            lifecycle.enter("teardown")
            lifecycle.outcome = outcome
            writer(lifecycle)  # type: ignore[arg-type]  # raises nothing
    finally:
        logger.remove(handler)
    assert len(messages) == 1
    assert "could not write" in messages[0] and "lifecycle.json" in messages[0]


def _writer_threads() -> list[threading.Thread]:
    return [t for t in threading.enumerate() if t.name == "orchestrator-lifecycle-writer"]


def _wait_until_no_writer_thread(besides: list[threading.Thread]) -> None:
    """Every writer thread started since ``besides`` (those alive before) ends."""
    for thread in _writer_threads():
        if thread not in besides:
            thread.join(timeout=5)
    assert [t for t in _writer_threads() if t not in besides] == []


def test_the_writer_thread_ends_with_the_run_and_starts_again_for_the_next(
    tmp_path: Path,
) -> None:
    # one thread per run, not one per Trainer for the life of the process
    before = _writer_threads()
    writer, lifecycle = LifecycleWriter(str(tmp_path)), _Lifecycle()
    for _ in range(2):
        for state in ("init", "train_epoch"):
            lifecycle.enter(state)
            writer(lifecycle)  # type: ignore[arg-type]
        assert [t for t in _writer_threads() if t not in before]
        lifecycle.outcome = "completed"
        writer(lifecycle)  # type: ignore[arg-type]
        _wait_until_no_writer_thread(before)
        assert read_run_lifecycle(tmp_path).outcome == "completed"
        lifecycle = _Lifecycle()


def test_fits_and_tests_leave_no_writer_threads_behind(tmp_path: Path) -> None:
    from tests.helpers import BoringModel, quiet_trainer

    before = _writer_threads()
    for _ in range(3):
        trainer = quiet_trainer(tmp_path, max_epochs=1, checkpoint_callback=False)
        trainer.fit(BoringModel())
        trainer.test()
    _wait_until_no_writer_thread(before)


def test_a_writer_pickles_during_a_run_and_the_copy_writes(tmp_path: Path) -> None:
    import pickle

    writer, lifecycle = LifecycleWriter(str(tmp_path)), _Lifecycle()
    lifecycle.enter("init")
    writer(lifecycle)  # type: ignore[arg-type]  # its thread is started
    copy = pickle.loads(pickle.dumps(writer))  # as ddp_spawn sends a used Trainer
    lifecycle.enter("prepare_data")
    lifecycle.outcome = "completed"
    copy(lifecycle)  # type: ignore[arg-type]
    assert read_run_lifecycle(tmp_path).history == ["init", "prepare_data"]
    writer(lifecycle)  # type: ignore[arg-type]  # the original ends its run too
