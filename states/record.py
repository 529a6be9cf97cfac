"""A lifecycle as plain data: the states a run visited, with timings, and how it ended."""

from __future__ import annotations

import time
from dataclasses import dataclass
from typing import Any, Literal

__all__ = ["HistoryEntry", "LifecycleRecord", "Outcome"]

Outcome = Literal["not_started", "running", "completed", "stopped_early", "interrupted", "failed"]


@dataclass
class HistoryEntry:
    """One visit of a state: the trigger that led there, when (Unix time) and for how long."""

    state: str
    entered_at: float
    duration: float | None = None
    trigger: str | None = None


@dataclass
class LifecycleRecord:
    """A lifecycle as plain data: for checkpoints, run directories and diagrams.

    ``recorded_at`` (Unix time) is when it was taken: the open visit lasts until then.
    """

    state: str
    entries: list[HistoryEntry]
    outcome: Outcome
    mode: str | None = None
    error: str | None = None
    recorded_at: float | None = None

    @property
    def history(self) -> list[str]:
        return [entry.state for entry in self.entries]

    def counts(self) -> dict[str, int]:
        """How many times each visited state was entered."""
        found: dict[str, int] = {}
        for entry in self.entries:
            found[entry.state] = found.get(entry.state, 0) + 1
        return found

    def time_in(self) -> dict[str, float]:
        """Seconds spent in each visited state (the open visit counts up to ``recorded_at``,
        or up to now for a record without one)."""
        spent: dict[str, float] = {}
        until = self.recorded_at if self.recorded_at is not None else time.time()
        for entry in self.entries:
            duration = entry.duration
            if duration is None:
                duration = max(0.0, until - entry.entered_at)
            spent[entry.state] = spent.get(entry.state, 0.0) + duration
        return spent

    def edges(self) -> dict[tuple[str, str, str], int]:
        """How often each (source, trigger, dest) edge was taken."""
        taken: dict[tuple[str, str, str], int] = {}
        for before, after in zip(self.entries, self.entries[1:]):
            key = (before.state, after.trigger or "", after.state)
            taken[key] = taken.get(key, 0) + 1
        return taken

    def to_dict(self) -> dict[str, Any]:
        return {"state": self.state, "outcome": self.outcome, "mode": self.mode,
                "error": self.error, "history": self.history, "recorded_at": self.recorded_at,
                "entries": [{"state": e.state, "entered_at": e.entered_at,
                             "duration": e.duration, "trigger": e.trigger}
                            for e in self.entries]}

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> LifecycleRecord:
        entries = [HistoryEntry(**entry) for entry in data.get("entries", [])]
        return cls(data["state"], entries, data.get("outcome", "running"), data.get("mode"),
                   data.get("error"), data.get("recorded_at"))
