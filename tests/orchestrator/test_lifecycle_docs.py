"""docs/lifecycle.md shows the machine as it is: its generated part is regenerated and compared."""

from __future__ import annotations

from pathlib import Path

from orchestrator.lifecycle_docs import BEGIN, END, generated_section, hooks_by_state
from states.table import STATES

PAGE = Path(__file__).resolve().parents[2] / "docs" / "lifecycle.md"


def test_the_generated_part_of_the_lifecycle_page_matches_the_code() -> None:
    text = PAGE.read_text()
    assert BEGIN in text and END in text
    on_page = text.split(BEGIN, 1)[1].split(END, 1)[0].strip()
    assert on_page == generated_section().strip(), (
        "docs/lifecycle.md is out of date: run `python -m orchestrator.lifecycle_docs`"
    )


def test_every_state_a_run_visits_has_hooks_and_the_table_names_them() -> None:
    table = hooks_by_state()
    assert set(table) <= set(STATES)
    assert table["optimizers"] == ["configure_optimizers"]
    assert table["train_epoch"][:2] == ["CB.on_train_start", "on_train_start"]
    assert "validation_epoch_end" in table["val_check"]
    assert table["test"][:2] == ["on_pre_performance_check", "CB.on_test_start"]  # as 0.8.5


def test_a_recorded_run_calls_each_hook_only_in_the_states_its_row_names() -> None:
    from states.hook_table import Hook, row_of

    for state, hooks in hooks_by_state().items():
        for name in hooks:
            row = row_of(Hook(name.removeprefix("CB.")))
            assert state in row.states, f"{name} ran in {state}, its row says {row.states}"
            assert (row.to_callbacks if name.startswith("CB.") else row.to_module), name
