"""The training step is assembled from the table of phases, in its order, and uses every one."""

from __future__ import annotations

from typing import Any

import pytest

import states.runners
from states.step import TrainingStep, assemble_step
from states.step_phases import PHASES
from tests.helpers import BoringModel, quiet_trainer


def test_every_phase_of_the_table_is_an_attribute_of_the_step() -> None:
    declared = set(TrainingStep.__annotations__) | {"forward"}
    assert {row.name for row in PHASES} <= declared


def test_the_step_is_built_in_the_order_of_the_table(monkeypatch: pytest.MonkeyPatch,
                                                     tmp_path: Any) -> None:
    seen: list[list[str]] = []
    original = TrainingStep.__init__

    def recording(self: TrainingStep, run: Any, phases: dict[str, Any]) -> None:
        seen.append(list(phases))
        original(self, run, phases)

    monkeypatch.setattr(TrainingStep, "__init__", recording)
    monkeypatch.setattr(states.runners, "assemble_step", assemble_step)
    quiet_trainer(tmp_path, max_epochs=1, logger=False, checkpoint_callback=False).fit(
        BoringModel())
    assert seen == [[row.name for row in PHASES]]


def test_the_rows_say_where_each_phase_runs_and_who_supplies_it() -> None:
    assert all(row.level in ("batch", "pass", "step") and row.supplier and row.active
               for row in PHASES)
    step_phases = [row.name for row in PHASES if row.level == "step"]
    assert step_phases == ["grad_norm", "clip", "optimizer_step", "before_zero_grad",
                           "zero_grad"]
