"""The table's conditions are bound by name to one check each; flags are derived, not kept."""

from __future__ import annotations

from typing import Any

import pytest

from states.conditions import CHECKS
from states.lifecycle import Lifecycle
from states.table import CONDITIONS, TRANSITIONS
from tests.helpers import BoringModel, quiet_trainer


def test_every_condition_the_table_names_has_exactly_one_check() -> None:
    named = {row["conditions"] for row in TRANSITIONS if "conditions" in row}
    assert named == set(CONDITIONS) == set(CHECKS)


def test_a_lifecycle_refuses_a_run_that_does_not_answer_every_condition() -> None:
    with pytest.raises(AssertionError, match="should_continue"):
        Lifecycle().begin({name: (lambda: True) for name in CHECKS
                           if name != "should_continue"}, "fit")


def test_visits_count_the_entries_of_the_latest_run(tmp_path: Any) -> None:
    trainer = quiet_trainer(tmp_path, max_epochs=3, logger=False, checkpoint_callback=False)
    trainer.fit(BoringModel())
    lifecycle = trainer.lifecycle
    assert lifecycle.visits("train_epoch") == lifecycle.history.count("train_epoch") == 3
    trainer.test()
    assert lifecycle.visits("train_epoch") == 0 and lifecycle.visits("test") == 1


def test_a_lifecycle_taken_over_keeps_its_counts(tmp_path: Any) -> None:
    trainer = quiet_trainer(tmp_path, max_epochs=2, logger=False, checkpoint_callback=False)
    trainer.fit(BoringModel())
    copy = Lifecycle()
    copy.load_state_dict(trainer.lifecycle.state_dict())
    assert copy.history == trainer.lifecycle.history and copy.state == "teardown"
    assert copy.visits("val_check") == 2 and copy.outcome == "completed"
