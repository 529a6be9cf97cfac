"""A lifecycle as plain data: the states a run visited, with timings, and how it ended."""

from __future__ import annotations

import time
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any, Literal

__all__ = ["collapsed_path", "HistoryEntry", "LifecycleRecord", "Outcome"]

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


def collapsed_path(history: Sequence[str]) -> str:
    """The states visited, in order, with repeats counted: a state repeated in a row is
    ``state ×n``, two states alternating ``a ⇄ b ×n`` (``n`` rounds), so that a long run
    reads in one line.

    Example:
        >>> collapsed_path(["init", "train_epoch", "val_check", "train_epoch", "val_check",
        ...                 "teardown"])
        'init → train_epoch ⇄ val_check ×2 → teardown'
    """
    parts, index = [], 0
    while index < len(history):
        pair = tuple(history[index:index + 2])
        rounds = _repeats(history, index, 2) if len(pair) == 2 and pair[0] != pair[1] else 0
        if rounds >= 2:
            parts.append(f"{pair[0]} ⇄ {pair[1]} ×{rounds}")
            index += 2 * rounds
            continue
        same = _repeats(history, index, 1)
        parts.append(history[index] + (f" ×{same}" if same > 1 else ""))
        index += same
    return " → ".join(parts)


def _repeats(history: Sequence[str], start: int, width: int) -> int:
    """How many times ``history[start:start + width]`` repeats in a row from ``start``."""
    block, count = list(history[start:start + width]), 0
    while list(history[start + count * width:start + (count + 1) * width]) == block:
        count += 1
    return count
