"""The lifecycle machine: a flat ``transitions.Machine`` built from ``states.table``."""

from __future__ import annotations

import functools
import time
from collections.abc import Callable, Mapping
from typing import Any

from transitions import Machine

from states.graph import render, to_dot, to_mermaid
from states.record import HistoryEntry, LifecycleRecord, Outcome
from states.table import CONDITIONS, STATES, TRANSITIONS, expanded_transitions

__all__ = ["Conditions", "HistoryEntry", "Lifecycle", "LifecycleRecord", "Outcome"]

Conditions = Mapping[str, Callable[[], bool]]  # a run's answer to each of table.CONDITIONS

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
        self.entries: list[HistoryEntry] = []
        self.outcome: Outcome = "not_started"
        self.error: str | None = None
        self.mode: str | None = None
        self.on_change: Callable[[Lifecycle], None] | None = None
        self._conditions: Conditions = {}
        self._visits: dict[str, int] = {}
        self._trigger: str | None = None
        self._clock = 0.0
        self._machine = Machine(
            model=self,
            states=list(STATES),
            transitions=[self._bound(row) for row in TRANSITIONS],
            initial="init",
            auto_transitions=False,
            after_state_change="_record_entry",
        )

    def _bound(self, row: Any) -> dict[str, Any]:
        """A table row for the machine: its condition's name bound to the run's answer."""
        bound = dict(row)
        if "conditions" in bound:
            bound["conditions"] = [functools.partial(self._holds, bound["conditions"])]
        return bound

    def _holds(self, name: str) -> bool:
        assert name in self._conditions, "conditions are asked only during a run"
        return self._conditions[name]()

    def begin(self, conditions: Conditions, mode: str, state: str = "init") -> None:
        """Start a new run at ``state`` with fresh history (fires no callbacks); ``conditions``
        answers every condition of the table by name."""
        missing = set(CONDITIONS) - set(conditions)
        assert not missing, f"the run answers no condition {sorted(missing)}"
        self._conditions = conditions
        self.mode = mode
        self.entries = []
        self._visits = {}
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
        self._visits[self.state] = self._visits.get(self.state, 0) + 1
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

    def visits(self, state: str) -> int:
        """How many times the latest run entered ``state`` so far."""
        return self._visits.get(state, 0)

    def record(self) -> LifecycleRecord:
        """A plain-data snapshot of the latest run (or of the idle machine), taken now."""
        return LifecycleRecord(self.state, list(self.entries), self.outcome, self.mode, self.error,
                               time.time())

    def state_dict(self) -> dict[str, Any]:
        """The latest run as plain data, for a checkpoint."""
        return self.record().to_dict()

    def load_state_dict(self, state: dict[str, Any]) -> None:
        """Take over a run recorded elsewhere (by the rank-zero process of a DDP run)."""
        record = LifecycleRecord.from_dict(state)
        self._machine.set_state(record.state, model=self)
        self.entries = list(record.entries)
        self._visits = record.counts()
        self.outcome = record.outcome
        self.error = record.error
        self.mode = record.mode

    def counts(self) -> dict[str, int]:
        return self.record().counts()

    def time_in(self) -> dict[str, float]:
        return self.record().time_in()

    def to_mermaid(self) -> str:
        """The machine as a Mermaid state diagram, the latest run highlighted."""
        return to_mermaid(self.record())

    def to_dot(self) -> str:
        """The machine as Graphviz DOT text, the latest run highlighted."""
        return to_dot(self.record())

    def render(self, path: str) -> str:
        """Write the diagram as SVG or PNG (by the file's suffix) through Graphviz's ``dot``."""
        return render(self.record(), path)
