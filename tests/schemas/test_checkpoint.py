"""The checkpoint body schema: a missing or mistyped section is refused with its key named."""

from __future__ import annotations

from dataclasses import fields
from pathlib import Path
from typing import Any

import pytest
import torch

from orchestrator.checkpoint_io import load_checkpoint
from schemas.checkpoint import (
    LifecycleSection,
    MetricStoreSection,
    ProgressSection,
    body_problems,
)
from schemas.errors import CheckpointError
from states.lifecycle import Lifecycle
from states.metrics import MetricStore
from states.progress import RunProgress
from tests.helpers import BoringModel, quiet_trainer


@pytest.fixture(scope="module")
def body(tmp_path_factory: pytest.TempPathFactory) -> dict[str, Any]:
    root = tmp_path_factory.mktemp("body")
    trainer = quiet_trainer(root, max_epochs=1, logger=False, checkpoint_callback=False)
    trainer.fit(BoringModel())
    trainer.save_checkpoint(root / "full.ckpt")
    return load_checkpoint(root / "full.ckpt")


def _saved(tmp_path: Path, body: dict[str, Any]) -> Path:
    path = tmp_path / "edited.ckpt"
    torch.save(body, path)
    return path


def test_a_checkpoint_the_trainer_wrote_has_no_problem(body: dict[str, Any]) -> None:
    assert body_problems(body, weights_only=False) == []


@pytest.mark.parametrize("section", ["progress", "optimizer_states", "rng", "lifecycle",
                                     "metric_store", "callbacks", "state_dict"])
def test_a_missing_section_is_named(section: str, body: dict[str, Any], tmp_path: Path) -> None:
    edited = {k: v for k, v in body.items() if k != section}
    with pytest.raises(CheckpointError, match=rf"edited\.ckpt.*the section '{section}' is missing"):
        load_checkpoint(_saved(tmp_path, edited))


@pytest.mark.parametrize(("path", "value"), [
    (("progress", "global_step"), "8"), (("progress", "epoch_finished"), 1),
    (("lifecycle", "history"), "train_epoch"), (("global_step",), 8.0),
    (("rng", "torch"), [1, 2, 3])])
def test_a_mistyped_section_is_named(path: tuple[str, ...], value: Any, body: dict[str, Any],
                                     tmp_path: Path) -> None:
    edited = {**body, path[0]: dict(body[path[0]]) if len(path) > 1 else value}
    if len(path) > 1:
        edited[path[0]][path[1]] = value
    where = ".".join(path)
    with pytest.raises(CheckpointError, match=rf"the section '{where}' is malformed"):
        load_checkpoint(_saved(tmp_path, edited))


def test_many_problems_are_listed_then_counted(body: dict[str, Any]) -> None:
    edited = {k: v for k, v in body.items() if k in ("manifest", "state_dict")}
    problems = body_problems(edited, weights_only=False)
    assert len(problems) == 4 and problems[-1].startswith("and ") and problems[-1].endswith("more")


def test_the_schema_lists_every_field_of_the_parts_it_describes() -> None:
    assert set(ProgressSection.__annotations__) == {f.name for f in fields(RunProgress)}
    assert set(MetricStoreSection.__annotations__) == set(MetricStore().state_dict())
    assert set(LifecycleSection.__annotations__) == set(Lifecycle().state_dict())
