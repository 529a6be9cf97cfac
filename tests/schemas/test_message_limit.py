"""Every error message stays near 2 KB: the first problems, then how many more (issue 17 #9)."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest
import torch

import orchestrator as pl
from schemas.errors import (
    MESSAGE_LIMIT,
    ConfigError,
    HookOutputError,
    OrchestratorError,
    WorkerFailedError,
    join_problems,
)
from schemas.outputs import OutputValidator
from tests.helpers import BoringModel, quiet_trainer


def test_two_thousand_malformed_log_metrics_give_the_first_problems_and_a_count() -> None:
    loss = torch.tensor(1.0, requires_grad=True)
    output = {"loss": loss, "log": {f"metric_{i}": "not a number" for i in range(2000)}}
    with pytest.raises(HookOutputError) as info:
        OutputValidator(strict=True)("training_step", "training_step", output, 0, 3)
    message = str(info.value)
    assert len(message) <= MESSAGE_LIMIT, len(message)
    assert message.startswith("training_step returned {'loss': ..., 'log': ...} at epoch 0")
    assert "the value of 'log.metric_0'" in message
    shown = message.count("the value of 'log.metric_")
    assert message.endswith(f"; and {2000 - shown} more") and shown >= 5


def test_the_limit_holds_in_a_real_fit(tmp_path: Path) -> None:
    class Noisy(BoringModel):
        def training_step(self, batch: Any, batch_idx: int) -> Any:
            out = super().training_step(batch, batch_idx)
            return {"loss": out["loss"], "log": {f"m{i}": [1, 2] for i in range(2000)}}

    with pytest.raises(HookOutputError) as info:
        quiet_trainer(tmp_path, max_epochs=1, logger=False,
                      checkpoint_callback=False).fit(Noisy())
    assert len(str(info.value)) <= MESSAGE_LIMIT and "more" in str(info.value)


def test_a_huge_trainer_argument_is_shown_cut_in_the_middle() -> None:
    with pytest.raises(ConfigError) as info:
        pl.Trainer(gpus=list(range(-1, -20000, -1)))
    message = str(info.value)
    assert len(message) <= MESSAGE_LIMIT + 64 and "characters left out" in message
    assert message.startswith("Trainer(gpus=[-1, -2")


def test_a_long_message_keeps_its_start_and_its_end() -> None:
    traceback = "Traceback (most recent call last):\n" + "  frame\n" * 2000 + "ValueError: boom"
    error = WorkerFailedError(traceback)
    assert len(str(error)) <= MESSAGE_LIMIT + 64
    assert str(error).startswith("Traceback") and str(error).endswith("ValueError: boom")
    assert str(OrchestratorError("short")) == "short"


def test_join_problems_keeps_what_fits_and_counts_the_rest() -> None:
    assert join_problems(["a", "b"]) == "a; b"
    assert join_problems(["x" * 10, "y" * 10, "z" * 10], limit=25) \
        == "xxxxxxxxxx; yyyyyyyyyy; and 1 more"
    assert join_problems([]) == ""
