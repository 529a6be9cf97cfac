"""The lifecycle as data: the states, and the transitions with their named conditions.

Everything else (the machine, diagrams, docs) is generated from these two tables.
A transition list is tried in order; the first whose conditions hold is taken.
"""

from __future__ import annotations

from typing import Final, TypedDict

__all__ = ["CONDITIONS", "STATES", "TRANSITIONS", "Transition", "expanded_transitions"]

STATES: Final[tuple[str, ...]] = (
    "init",
    "prepare_data",
    "optimizers",
    "dataloaders",
    "sanity_val",
    "train_epoch",
    "val_check",
    "test",
    "teardown",
)


class Transition(TypedDict, total=False):
    trigger: str
    source: str
    dest: str
    conditions: str
    unless: str


# Condition names are methods of the run's facts (see states.lifecycle.RunFacts).
CONDITIONS: Final[dict[str, str]] = {
    "fitting": "the run is a fit (not a test)",
    "testing": "the run is a test",
    "sanity_check_due": "a fit with num_sanity_val_steps != 0 and validation data",
    "training_skipped": "a fit with limit_train_batches=0: no training batch to run",
    "resuming_in_val_check": "the checkpoint being resumed was saved during a validation check",
    "should_continue": "no stop reached: epochs and steps left, no stop request past the minimums",
}

TRANSITIONS: Final[tuple[Transition, ...]] = (
    {"trigger": "prepared", "source": "init", "dest": "prepare_data"},
    {"trigger": "data_prepared", "source": "prepare_data", "dest": "optimizers",
     "conditions": "fitting"},
    {"trigger": "data_prepared", "source": "prepare_data", "dest": "dataloaders",
     "conditions": "testing"},
    {"trigger": "configured", "source": "optimizers", "dest": "dataloaders"},
    {"trigger": "loaded", "source": "dataloaders", "dest": "test", "conditions": "testing"},
    {"trigger": "loaded", "source": "dataloaders", "dest": "sanity_val",
     "conditions": "sanity_check_due"},
    {"trigger": "loaded", "source": "dataloaders", "dest": "teardown",
     "conditions": "training_skipped"},
    {"trigger": "loaded", "source": "dataloaders", "dest": "train_epoch"},
    {"trigger": "resumed", "source": "dataloaders", "dest": "val_check",
     "conditions": "resuming_in_val_check"},
    {"trigger": "resumed", "source": "dataloaders", "dest": "train_epoch"},
    {"trigger": "checked", "source": "sanity_val", "dest": "teardown",
     "conditions": "training_skipped"},
    {"trigger": "checked", "source": "sanity_val", "dest": "train_epoch"},
    {"trigger": "validate", "source": "train_epoch", "dest": "val_check"},
    {"trigger": "epoch_done", "source": "train_epoch", "dest": "train_epoch",
     "conditions": "should_continue"},
    {"trigger": "epoch_done", "source": "train_epoch", "dest": "teardown"},
    {"trigger": "validated", "source": "val_check", "dest": "train_epoch",
     "conditions": "should_continue"},
    {"trigger": "validated", "source": "val_check", "dest": "teardown"},
    {"trigger": "tested", "source": "test", "dest": "teardown"},
    {"trigger": "fail", "source": [s for s in STATES if s != "teardown"],  # type: ignore[typeddict-item]
     "dest": "teardown"},
)


def expanded_transitions() -> list[Transition]:
    """The table with one entry per source state (a list of sources expanded)."""
    rows: list[Transition] = []
    for row in TRANSITIONS:
        sources = row["source"]
        for source in sources if isinstance(sources, list) else [sources]:
            rows.append({**row, "source": source})  # type: ignore[typeddict-item]
    return rows
