"""Files a run leaves next to its logs: the lifecycle history as JSON, kept current."""

from __future__ import annotations

import json
import os
import tempfile
from pathlib import Path
from typing import Any

from states.lifecycle import Lifecycle, LifecycleRecord

__all__ = ["LIFECYCLE_FILE", "LifecycleWriter", "read_run_lifecycle"]

LIFECYCLE_FILE = "lifecycle.json"


class LifecycleWriter:
    """Rewrites ``<log_dir>/lifecycle.json`` at every state change (a few times per epoch).

    The file maps each mode ('fit', 'test') to the latest run of that mode, so a finished,
    failed or killed run can be drawn afterwards.
    """

    def __init__(self, log_dir: str) -> None:
        self.path = Path(log_dir) / LIFECYCLE_FILE
        self.runs: dict[str, Any] = {}

    def __call__(self, lifecycle: Lifecycle) -> None:
        record = lifecycle.record()
        self.runs[record.mode or "fit"] = record.to_dict()
        self.path.parent.mkdir(parents=True, exist_ok=True)
        fd, tmp = tempfile.mkstemp(prefix=".lifecycle.", dir=self.path.parent)
        with os.fdopen(fd, "w") as handle:
            json.dump(self.runs, handle, indent=1)
        os.replace(tmp, self.path)


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
        chosen = mode or ("fit" if "fit" in runs else next(iter(runs)))
        return LifecycleRecord.from_dict(runs[chosen])
    except (ValueError, KeyError, StopIteration, TypeError) as exc:
        raise ValueError(f"{str(path)!r} is not a lifecycle file ({exc!r})") from None
