"""The lifecycle machine: a flat ``transitions.Machine`` built from ``states.table``."""

from __future__ import annotations

import time
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any, Literal, Protocol

from transitions import Machine

from states.table import STATES, TRANSITIONS, expanded_transitions

__all__ = ["HistoryEntry", "Lifecycle", "LifecycleRecord", "Outcome", "RunFacts"]

Outcome = Literal["not_started", "running", "completed", "stopped_early", "interrupted", "failed"]


class RunFacts(Protocol):
    """What the transition conditions ask about the run in progress."""

    def fitting(self) -> bool: ...
    def testing(self) -> bool: ...
    def sanity_check_due(self) -> bool: ...
    def should_continue(self) -> bool: ...
    def resuming_in_val_check(self) -> bool: ...


@dataclass
class HistoryEntry:
    """One visit of a state: the trigger that led there, when (Unix time) and for how long."""

    state: str
    entered_at: float
    duration: float | None = None
    trigger: str | None = None


@dataclass
class LifecycleRecord:
    """A lifecycle as plain data: for checkpoints, run directories and diagrams."""

    state: str
    entries: list[HistoryEntry]
    outcome: Outcome
    mode: str | None = None
    error: str | None = None

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
        """Seconds spent in each visited state (the current visit counts up to now)."""
        spent: dict[str, float] = {}
        for entry in self.entries:
            duration = entry.duration
            if duration is None:
                duration = max(0.0, time.time() - entry.entered_at)
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
                "error": self.error, "history": self.history,
                "entries": [{"state": e.state, "entered_at": e.entered_at,
                             "duration": e.duration, "trigger": e.trigger}
                            for e in self.entries]}

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> LifecycleRecord:
        entries = [HistoryEntry(**entry) for entry in data.get("entries", [])]
        return cls(data["state"], entries, data.get("outcome", "running"), data.get("mode"),
                   data.get("error"))


class Lifecycle:
    """The current state, the history of the latest run, and how that run ended.

    Example:
        >>> trainer.lifecycle.state
        'teardown'
        >>> trainer.lifecycle.history[:3]
        ['init', 'prepare_data', 'optimizers']
        >>> print(trainer.lifecycle.to_mermaid())
    """

    state: str

    def __init__(self) -> None:
        self.facts: RunFacts | None = None
        self.entries: list[HistoryEntry] = []
        self.outcome: Outcome = "not_started"
        self.error: str | None = None
        self.mode: str | None = None
        self.on_change: Callable[[Lifecycle], None] | None = None
        self._trigger: str | None = None
        self._clock = 0.0
        self._machine = Machine(
            model=self,
            states=list(STATES),
            transitions=[dict(t) for t in TRANSITIONS],
            initial="init",
            auto_transitions=False,
            after_state_change="_record_entry",
        )

    # conditions, answered by the run's facts
    def fitting(self) -> bool:
        return self._facts().fitting()

    def testing(self) -> bool:
        return self._facts().testing()

    def sanity_check_due(self) -> bool:
        return self._facts().sanity_check_due()

    def should_continue(self) -> bool:
        return self._facts().should_continue()

    def resuming_in_val_check(self) -> bool:
        return self._facts().resuming_in_val_check()

    def _facts(self) -> RunFacts:
        assert self.facts is not None, "conditions are asked only during a run"
        return self.facts

    def begin(self, facts: RunFacts, mode: str, state: str = "init") -> None:
        """Start a new run at ``state`` with fresh history (fires no callbacks)."""
        self.facts = facts
        self.mode = mode
        self.entries = []
        self.outcome = "running"
        self.error = None
        self._machine.set_state(state, model=self)
        self._record_entry()

    def fire(self, trigger: str) -> None:
        """Fire a trigger returned by a runner."""
        self._trigger = trigger
        self.trigger(trigger)  # type: ignore[attr-defined]

    def finish(self, outcome: Outcome, error: str | None = None) -> None:
        """Record how the run ended and close the timing of the last state."""
        self.outcome = outcome
        self.error = error
        self._close_last(time.perf_counter())
        self._changed()

    def _record_entry(self) -> None:
        now = time.perf_counter()
        self._close_last(now)
        self._clock = now
        self.entries.append(HistoryEntry(self.state, time.time(), None, self._trigger))
        self._trigger = None
        self._changed()

    def _close_last(self, now: float) -> None:
        if self.entries and self.entries[-1].duration is None:
            self.entries[-1].duration = now - self._clock

    def _changed(self) -> None:
        if self.on_change is not None:
            self.on_change(self)

    # inspection
    @property
    def history(self) -> list[str]:
        """The states the latest run entered, in order."""
        return [entry.state for entry in self.entries]

    @property
    def states(self) -> tuple[str, ...]:
        """Every state of the machine."""
        return STATES

    @property
    def transitions(self) -> list[dict[str, str | None]]:
        """Every transition: trigger, source, dest and the condition's name (or None)."""
        return [{"trigger": t["trigger"], "source": t["source"], "dest": t["dest"],
                 "condition": t.get("conditions")} for t in expanded_transitions()]

    def adopt(self, record: LifecycleRecord) -> None:
        """Take over a run recorded elsewhere (by the rank-zero process of a DDP run)."""
        self._machine.set_state(record.state, model=self)
        self.entries = list(record.entries)
        self.outcome = record.outcome
        self.error = record.error
        self.mode = record.mode

    def record(self) -> LifecycleRecord:
        """A plain-data snapshot of the latest run (or of the idle machine)."""
        return LifecycleRecord(self.state, list(self.entries), self.outcome, self.mode, self.error)

    def counts(self) -> dict[str, int]:
        return self.record().counts()

    def time_in(self) -> dict[str, float]:
        return self.record().time_in()

    def to_mermaid(self) -> str:
        """The machine as a Mermaid state diagram, the latest run highlighted."""
        from states.graph import to_mermaid

        return to_mermaid(self.record())

    def to_dot(self) -> str:
        """The machine as Graphviz DOT text, the latest run highlighted."""
        from states.graph import to_dot

        return to_dot(self.record())

    def render(self, path: str) -> str:
        """Write the diagram as SVG or PNG (by the file's suffix) through Graphviz's ``dot``."""
        from states.graph import render

        return render(self.record(), path)
