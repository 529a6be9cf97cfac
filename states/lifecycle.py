"""The lifecycle machine: a flat ``transitions.Machine`` built from ``states.table``."""

from __future__ import annotations

import time
from dataclasses import dataclass
from typing import Literal, Protocol

from transitions import Machine

from states.table import STATES, TRANSITIONS

__all__ = ["HistoryEntry", "Lifecycle", "Outcome", "RunFacts"]

Outcome = Literal["running", "completed", "stopped_early", "interrupted", "failed"]


class RunFacts(Protocol):
    """What the transition conditions ask about the run in progress."""

    def fitting(self) -> bool: ...
    def testing(self) -> bool: ...
    def sanity_check_due(self) -> bool: ...
    def should_continue(self) -> bool: ...


@dataclass
class HistoryEntry:
    """One visit of a state: when it was entered and how long it lasted (seconds)."""

    state: str
    entered_at: float
    duration: float | None = None


class Lifecycle:
    """The current state, the history of the latest run, and how that run ended.

    Example:
        >>> trainer.lifecycle.state
        'teardown'
        >>> trainer.lifecycle.history[:3]
        ['init', 'prepare_data', 'optimizers']
    """

    state: str

    def __init__(self) -> None:
        self.facts: RunFacts | None = None
        self.entries: list[HistoryEntry] = []
        self.outcome: Outcome = "running"
        self.error: str | None = None
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

    def _facts(self) -> RunFacts:
        assert self.facts is not None, "conditions are asked only during a run"
        return self.facts

    def begin(self, facts: RunFacts, state: str = "init") -> None:
        """Start a new run at ``state`` with fresh history (fires no callbacks)."""
        self.facts = facts
        self.entries = []
        self.outcome = "running"
        self.error = None
        self._machine.set_state(state, model=self)
        self._record_entry()

    def fire(self, trigger: str) -> None:
        """Fire a trigger returned by a runner."""
        self.trigger(trigger)  # type: ignore[attr-defined]

    def finish(self, outcome: Outcome, error: str | None = None) -> None:
        """Record how the run ended and close the timing of the last state."""
        self.outcome = outcome
        self.error = error
        self._close_last(time.perf_counter())

    def _record_entry(self) -> None:
        now = time.perf_counter()
        self._close_last(now)
        self.entries.append(HistoryEntry(self.state, now))

    def _close_last(self, now: float) -> None:
        if self.entries and self.entries[-1].duration is None:
            self.entries[-1].duration = now - self.entries[-1].entered_at

    @property
    def history(self) -> list[str]:
        """The states the latest run entered, in order."""
        return [entry.state for entry in self.entries]

    @property
    def states(self) -> tuple[str, ...]:
        """Every state of the machine."""
        return STATES
