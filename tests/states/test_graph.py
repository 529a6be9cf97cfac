"""Lifecycle diagrams: Mermaid and DOT text from the table, a run highlighted, SVG/PNG by dot."""

from __future__ import annotations

import json
import re
import shutil
from pathlib import Path

import pytest

import orchestrator as pl
from schemas.errors import MisconfigurationError
from states.graph import render, to_dot, to_mermaid
from states.lifecycle import LifecycleRecord
from states.table import CONDITIONS, STATES, expanded_transitions
from tests.helpers import BoringModel, quiet_trainer

needs_dot = pytest.mark.skipif(shutil.which("dot") is None,
                               reason="Graphviz's `dot` is not installed (apt-get install "
                                      "graphviz)")
EDGES = sorted({(row["source"], row["dest"]) for row in expanded_transitions()})


# helpers
def _mermaid_edge(text: str, source: str, dest: str) -> str:
    """The label of the Mermaid line ``source --> dest: label`` (exactly one such line)."""
    found = re.findall(rf"^\s*{source} --> {dest}: (.*)$", text, re.M)
    assert len(found) == 1, f"{source} --> {dest}: {found}"
    return str(found[0])


def _dot_edge(text: str, source: str, dest: str) -> str:
    """The attribute list of the DOT line ``source -> dest [...]`` (exactly one such line)."""
    found = re.findall(rf"^\s*{source} -> {dest}(?: \[(.*)\])?$", text, re.M)
    assert len(found) == 1, f"{source} -> {dest}: {found}"
    return str(found[0])


def _dot_node(text: str, state: str) -> str:
    found = re.findall(rf"^\s*{state} \[(.*)\]$", text, re.M)
    assert len(found) == 1, f"{state}: {found}"
    return str(found[0])


@pytest.fixture(scope="module")
def fitted(tmp_path_factory: pytest.TempPathFactory) -> pl.Trainer:
    trainer = quiet_trainer(tmp_path_factory.mktemp("fit"), max_epochs=2, logger=False,
                            checkpoint_callback=False)
    trainer.fit(BoringModel())
    return trainer


# the bare machine
def test_mermaid_has_every_state_edge_trigger_and_condition() -> None:
    text = to_mermaid(None)
    assert "stateDiagram-v2" in text
    for state in STATES:
        assert re.search(rf"^\s*state \"{state}\" as {state}$", text, re.M), state
    for source, dest in EDGES:
        label = _mermaid_edge(text, source, dest)
        for row in expanded_transitions():
            if (row["source"], row["dest"]) == (source, dest):
                assert row["trigger"] in label, (source, dest, label)
                if "conditions" in row:
                    assert f"[{row['conditions']}]" in label, (source, dest, label)
    for condition in CONDITIONS:
        assert f"[{condition}]" in text
    assert "×" not in text
    assert not re.search(r"^\s*Class \w+ s_visited$", text, re.M)


def test_dot_has_every_state_edge_trigger_and_condition() -> None:
    text = to_dot(None)
    assert text.lstrip().startswith("digraph")
    for state in STATES:
        _dot_node(text, state)
    for source, dest in EDGES:
        attributes = _dot_edge(text, source, dest)
        for row in expanded_transitions():
            if (row["source"], row["dest"]) == (source, dest):
                assert row["trigger"] in attributes, (source, dest, attributes)
                if "conditions" in row:
                    assert f"[{row['conditions']}]" in attributes, (source, dest, attributes)
    for condition in CONDITIONS:
        assert f"[{condition}]" in text
    assert "×" not in text and "darkgreen" not in text


def test_idle_lifecycle_draws_the_bare_machine(tmp_path: Path) -> None:
    lifecycle = pl.Trainer(default_root_dir=str(tmp_path), logger=False).lifecycle
    assert lifecycle.to_mermaid() == to_mermaid(None)
    assert lifecycle.to_dot() == to_dot(None)


# a run highlighted
def test_mermaid_after_a_run_labels_and_styles_the_path(fitted: pl.Trainer) -> None:
    text = fitted.lifecycle.to_mermaid()
    assert text != to_mermaid(None)
    assert re.search(r'state "train_epoch ×2, \d+(\.\d)? m?s" as train_epoch', text)
    assert re.search(r'state "val_check ×2, \d+(\.\d)? m?s" as val_check', text)
    assert re.search(r'state "init, \d+(\.\d)? m?s" as init', text)  # once: no count
    assert 'state "test" as test' in text
    assert "validate ×2" in _mermaid_edge(text, "train_epoch", "val_check")
    assert "validated ×1" in _mermaid_edge(text, "val_check", "teardown")
    assert "×" not in _mermaid_edge(text, "dataloaders", "test")
    assert re.search(r"^\s*Class teardown s_active$", text, re.M)
    for state in ("init", "prepare_data", "optimizers", "dataloaders", "sanity_val",
                  "train_epoch", "val_check"):
        assert re.search(rf"^\s*Class {state} s_visited$", text, re.M), state
    assert re.search(r"^\s*Class test s_default$", text, re.M)


def test_dot_after_a_run_labels_and_colours_the_path(fitted: pl.Trainer) -> None:
    text = fitted.lifecycle.to_dot()
    assert text != to_dot(None)
    assert "train_epoch ×2, " in _dot_node(text, "train_epoch")
    assert "color=red" in _dot_node(text, "teardown")
    for state in ("init", "prepare_data", "optimizers", "dataloaders", "sanity_val",
                  "train_epoch", "val_check"):
        assert "color=darkgreen" in _dot_node(text, state), state
    test_node = _dot_node(text, "test")
    assert "color" not in test_node and "×" not in test_node
    visited = _dot_edge(text, "train_epoch", "val_check")
    assert "validate ×2" in visited and "color=darkgreen" in visited
    unvisited = _dot_edge(text, "dataloaders", "test")
    assert "darkgreen" not in unvisited and "×" not in unvisited


def test_diagram_of_a_stored_record_matches_the_live_one(fitted: pl.Trainer) -> None:
    record = fitted.lifecycle.record()
    stored = LifecycleRecord.from_dict(json.loads(json.dumps(record.to_dict())))
    assert to_mermaid(stored) == to_mermaid(record) == fitted.lifecycle.to_mermaid()
    assert to_dot(stored) == to_dot(record) == fitted.lifecycle.to_dot()


# rendering through dot
@needs_dot
def test_render_svg(fitted: pl.Trainer, tmp_path: Path) -> None:
    target = tmp_path / "x.svg"
    assert fitted.lifecycle.render(str(target)) == str(target)
    data = target.read_text()
    assert data.startswith("<?xml") or "<svg" in data
    assert "<svg" in data and "train_epoch" in data


@needs_dot
def test_render_png(fitted: pl.Trainer, tmp_path: Path) -> None:
    target = tmp_path / "nested" / "x.png"
    fitted.lifecycle.render(str(target))
    assert target.read_bytes().startswith(b"\x89PNG")


@needs_dot
def test_render_of_the_bare_machine(tmp_path: Path) -> None:
    target = Path(render(None, tmp_path / "bare.svg"))
    assert "<svg" in target.read_text()


def test_render_refuses_other_suffixes(fitted: pl.Trainer, tmp_path: Path) -> None:
    with pytest.raises(MisconfigurationError, match=r"\.svg or \.png") as caught:
        fitted.lifecycle.render(str(tmp_path / "x.txt"))
    assert isinstance(caught.value, ValueError)
    assert "x.txt" in str(caught.value)
    assert not (tmp_path / "x.txt").exists()


def test_render_without_dot_says_to_install_graphviz(fitted: pl.Trainer, tmp_path: Path,
                                                     monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr("states.graph.shutil.which", lambda name: None)
    for name in ("x.svg", "x.png"):
        with pytest.raises(MisconfigurationError, match="apt-get install graphviz") as caught:
            fitted.lifecycle.render(str(tmp_path / name))
        assert isinstance(caught.value, ValueError)
        assert not (tmp_path / name).exists()


def test_the_picture_draws_only_the_fail_edges_a_run_took(fitted: pl.Trainer,
                                                          tmp_path: Path) -> None:
    from states.graph import _build

    def picture_source(record: LifecycleRecord | None) -> str:
        model, _ = _build(record, "graphviz", picture=True)
        return str(model.get_graph().source)

    for record in (None, fitted.lifecycle.record()):
        source = picture_source(record)
        assert not re.search(r"-> teardown .*fail", source), source
        assert "from any state, fail → teardown" in source and "rankdir=TB" in source

    class FailsInTraining(BoringModel):
        def training_step(self, batch, batch_idx):  # type: ignore[no-untyped-def]
            raise RuntimeError("deliberate")

    failed = quiet_trainer(tmp_path, max_epochs=1, logger=False, checkpoint_callback=False)
    with pytest.raises(RuntimeError, match="deliberate"):
        failed.fit(FailsInTraining())
    source = picture_source(failed.lifecycle.record())
    assert len(re.findall(r"^\s*train_epoch -> teardown .*fail", source, re.M)) == 1, source
    assert not re.search(r"^\s*val_check -> teardown .*fail", source, re.M)
