"""Files a run leaves next to its logs: the lifecycle history as JSON, kept current."""

from __future__ import annotations

import json
import os
import threading
from pathlib import Path
from typing import Any

from loguru import logger

from orchestrator.temp_files import create_beside
from schemas.checkpoint import lifecycle_file_problem
from states.lifecycle import Lifecycle, LifecycleRecord

__all__ = ["LIFECYCLE_FILE", "LifecycleWriter", "read_run_lifecycle"]

LIFECYCLE_FILE = "lifecycle.json"


class LifecycleWriter:
    """Rewrites ``<log_dir>/lifecycle.json`` at every state change (a few times per epoch).

    The file maps each mode ('fit', 'test') to the latest run of that mode, so a finished,
    failed or killed run can be drawn afterwards. Changes during a run are written by a
    background thread (creating and renaming a file costs about 0.3 ms of system time), the
    latest one first; a run's final state is written before the change returns, so the file is
    complete when ``fit`` or ``test`` returns or raises, and the run's thread ends then. Every
    write is atomic (a temporary file renamed over the old one): a killed run leaves the state
    of a moment before.
    """

    def __init__(self, log_dir: str) -> None:
        self.path = Path(log_dir) / LIFECYCLE_FILE
        self.runs: dict[str, Any] = {}
        self._pending: tuple[int, dict[str, Any]] | None = None  # (change number, runs) to write
        self._changes = 0
        self._written = 0  # the change number on disk
        self._wake = threading.Condition()
        self._io = threading.Lock()
        self._thread: threading.Thread | None = None
        self._warned = False

    def __getstate__(self) -> dict[str, Any]:
        """Without the thread and its locks (a Trainer sent to ddp_spawn's processes after a
        run here carries its writer; a copy makes its own)."""
        return {**self.__dict__, "_wake": None, "_io": None, "_thread": None, "_pending": None}

    def __setstate__(self, state: dict[str, Any]) -> None:
        self.__dict__.update(state, _wake=threading.Condition(), _io=threading.Lock())

    def __call__(self, lifecycle: Lifecycle) -> None:
        record = lifecycle.record()
        self.runs[record.mode or "fit"] = record.to_dict()
        self._changes += 1
        change = (self._changes, dict(self.runs))  # to_dict made new dicts: a stable snapshot
        with self._wake:
            if record.outcome in ("running", "not_started"):
                self._pending = change
                if self._thread is None:
                    self._thread = threading.Thread(target=self._write_pending, daemon=True,
                                                    name="orchestrator-lifecycle-writer")
                    self._thread.start()
                self._wake.notify()
                return
            # the final state of a run: on disk before this returns; the run's thread ends
            self._pending, self._thread = None, None
            self._wake.notify()
        self._write_if_newer(change)

    def _write_pending(self) -> None:
        me = threading.current_thread()
        while True:
            with self._wake:
                while self._pending is None and self._thread is me:
                    self._wake.wait()
                if self._pending is None:
                    return  # the run ended (a write it still had is older than the final one)
                change, self._pending = self._pending, None
            self._write_if_newer(change)

    def _write_if_newer(self, change: tuple[int, dict[str, Any]]) -> None:
        with self._io:
            if change[0] > self._written:
                self._write(json.dumps(change[1], indent=1))
                self._written = change[0]

    def _write(self, text: str) -> None:
        try:
            self.path.parent.mkdir(parents=True, exist_ok=True)
            fd, tmp = create_beside(self.path, prefix=".lifecycle.")
            with os.fdopen(fd, "w") as handle:
                handle.write(text)
            os.replace(tmp, self.path)
        except OSError as exc:  # the run goes on; only the drawing of it is missing
            if not self._warned:
                self._warned = True
                logger.warning("could not write {p} ({e}); the run continues without it",
                               p=str(self.path), e=exc)


def read_run_lifecycle(run_dir: str | Path, mode: str | None = None) -> LifecycleRecord:
    """The lifecycle record of a run directory (its fit run unless ``mode`` says otherwise)."""
    path = Path(run_dir)
    if path.is_dir():
        path = path / LIFECYCLE_FILE
    if not path.is_file():
        raise FileNotFoundError(
            f"no {LIFECYCLE_FILE} in {str(run_dir)!r}: pass the log directory of a run "
            "(e.g. lightning_logs/version_0)"
        )
    try:
        runs = json.loads(path.read_text())
    except (ValueError, UnicodeDecodeError) as exc:
        raise ValueError(f"{str(path)!r} is not a lifecycle file: it is not JSON ({exc}); "
                         "pass a run's lifecycle.json or its log directory") from None
    problem = lifecycle_file_problem(runs)
    if problem is None and mode is not None and mode not in runs:
        problem = f"it holds no {mode!r} run (it holds {', '.join(map(repr, runs))})"
    if problem is not None:
        raise ValueError(f"{str(path)!r} is not a lifecycle file ({problem}); pass a run's "
                         "lifecycle.json or its log directory")
    return LifecycleRecord.from_dict(runs[mode or ("fit" if "fit" in runs else next(iter(runs)))])
