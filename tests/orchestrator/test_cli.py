"""The command line (``orchestrator graph`` and ``orchestrator inspect``) on real runs and files.

Each command is run in-process through ``orchestrator.cli.main`` and as a real subprocess,
both ``python -m orchestrator`` and the installed ``orchestrator`` console script.
"""

from __future__ import annotations

import json
import os
import re
import shutil
import subprocess
import sys
import time
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path
from typing import Any

import pytest
import torch

import orchestrator as pl
from orchestrator.callbacks import ModelCheckpoint
from orchestrator.checkpoint_io import load_checkpoint
from orchestrator.cli import main
from states.graph import to_dot, to_mermaid
from states.record import collapsed_path
from states.table import STATES
from tests.helpers import BoringModel, quiet_trainer

REPO = Path(__file__).resolve().parents[2]
needs_dot = pytest.mark.skipif(shutil.which("dot") is None,
                               reason="Graphviz's `dot` is not installed (apt-get install "
                                      "graphviz)")


@dataclass
class Result:
    rc: int
    out: str
    err: str


Cli = Callable[..., Result]


# how the CLI is run
def _console_script() -> str | None:
    beside = Path(sys.executable).parent / "orchestrator"
    if beside.is_file() and os.access(beside, os.X_OK):
        return str(beside)
    return shutil.which("orchestrator")


def _subprocess(prefix: list[str]) -> Cli:
    def run(*args: str) -> Result:
        env = dict(os.environ)
        env["PYTHONPATH"] = os.pathsep.join(p for p in (str(REPO), env.get("PYTHONPATH")) if p)
        done = subprocess.run([*prefix, *args], capture_output=True, text=True, cwd=REPO,
                              env=env, timeout=180)
        return Result(done.returncode, done.stdout, done.stderr)

    return run


def _in_process(capsys: pytest.CaptureFixture[str]) -> Cli:
    def run(*args: str) -> Result:
        capsys.readouterr()
        try:
            rc = main(list(args))
        except SystemExit as exc:  # argparse usage errors
            rc = exc.code if isinstance(exc.code, int) else 1
        captured = capsys.readouterr()
        return Result(rc, captured.out, captured.err)

    return run


@pytest.fixture(params=["in_process",
                        pytest.param("python_m", marks=pytest.mark.slow),
                        pytest.param("console_script", marks=pytest.mark.slow)])
def cli(request: pytest.FixtureRequest, capsys: pytest.CaptureFixture[str]) -> Cli:
    """The CLI three ways: main() in-process, ``python -m orchestrator``, the console script."""
    if request.param == "in_process":
        return _in_process(capsys)
    if request.param == "python_m":
        return _subprocess([sys.executable, "-m", "orchestrator"])
    script = _console_script()
    if script is None:
        pytest.skip("the `orchestrator` console script is not installed (pip install -e .)")
    return _subprocess([script])


@pytest.fixture
def run_here(capsys: pytest.CaptureFixture[str]) -> Cli:
    """The CLI in-process only, for the cases where the subprocess adds nothing."""
    return _in_process(capsys)


def _one_line_error(result: Result, command: str, names: str) -> str:
    assert result.rc == 1, result
    assert "Traceback" not in result.err, result.err
    lines = result.err.strip().splitlines()
    assert len(lines) == 1, result.err
    assert lines[0].startswith(f"orchestrator {command}:"), lines[0]
    assert names in lines[0], lines[0]
    return lines[0]


# real runs and checkpoints
@dataclass
class RealRun:
    trainer: pl.Trainer
    log_dir: Path
    final: Path
    last: Path


class _FailingModel(BoringModel):
    def training_step(self, batch: Any, batch_idx: int) -> dict[str, Any]:
        raise RuntimeError("boom in training_step")


def _log_dir(trainer: pl.Trainer) -> Path:
    """The default TensorBoard logger's version directory, where lifecycle.json goes."""
    assert isinstance(trainer.logger, pl.loggers.TensorBoardLogger)
    return Path(trainer.logger.log_dir)


@pytest.fixture(scope="module")
def real_run(tmp_path_factory: pytest.TempPathFactory) -> RealRun:
    """A 2-epoch fit with the default TensorBoard logger and ModelCheckpoint(save_last=True)."""
    root = tmp_path_factory.mktemp("real")
    trainer = quiet_trainer(root, max_epochs=2, checkpoint_callback=ModelCheckpoint(
        save_last=True))
    trainer.fit(BoringModel())
    final = root / "final.ckpt"
    trainer.save_checkpoint(final)
    last = Path(trainer.checkpoint_callback.last_model_path)
    assert last.name == "last.ckpt" and last.is_file()
    return RealRun(trainer, _log_dir(trainer), final, last)


@pytest.fixture(scope="module")
def failed_run(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """The log directory of a fit whose training_step raised."""
    trainer = quiet_trainer(tmp_path_factory.mktemp("failed"), max_epochs=2)
    with pytest.raises(RuntimeError, match="boom in training_step"):
        trainer.fit(_FailingModel())
    return _log_dir(trainer)


# graph: the bare machine
def test_graph_prints_mermaid_by_default(cli: Cli) -> None:
    result = cli("graph")
    assert result.rc == 0, result.err
    assert "stateDiagram-v2" in result.out
    for state in STATES:
        assert re.search(rf"\bstate \"{state}\" as {state}\b", result.out), state
    assert result.out.strip() == to_mermaid(None).strip()
    assert "Traceback" not in result.err


def test_graph_format_dot(run_here: Cli) -> None:
    result = run_here("graph", "--format", "dot")
    assert result.rc == 0, result.err
    assert result.out.lstrip().startswith("digraph")
    assert "init -> prepare_data" in result.out
    assert result.out.strip() == to_dot(None).strip()


def test_graph_output_writes_the_file(run_here: Cli, tmp_path: Path) -> None:
    target = tmp_path / "lifecycle.mmd"
    result = run_here("graph", "--output", str(target))
    assert result.rc == 0, result.err
    assert target.read_text() == to_mermaid(None)
    assert result.out.strip() == str(target)
    dot_target = tmp_path / "lifecycle.dot"
    assert run_here("graph", "--format", "dot", "-o", str(dot_target)).rc == 0
    assert dot_target.read_text() == to_dot(None)


@needs_dot
def test_graph_svg_to_a_file(cli: Cli, tmp_path: Path) -> None:
    target = tmp_path / "x.svg"
    result = cli("graph", "--format", "svg", "--output", str(target))
    assert result.rc == 0, result.err
    data = target.read_text()
    assert data.startswith("<?xml") or "<svg" in data
    assert "<svg" in data


@needs_dot
def test_graph_output_is_written_by_exactly_its_name(run_here: Cli, tmp_path: Path) -> None:
    result = run_here("graph", "--format", "png", "--output", str(tmp_path / "diagram"))
    assert result.rc == 0, result.err
    written = tmp_path / "diagram"
    assert written.read_bytes().startswith(b"\x89PNG")
    assert result.out.strip() == str(written)
    assert sorted(p.name for p in tmp_path.iterdir()) == ["diagram"]


@needs_dot
def test_graph_takes_the_format_from_the_output_suffix(run_here: Cli, tmp_path: Path) -> None:
    import struct

    assert run_here("graph", "-o", str(tmp_path / "lifecycle.png")).rc == 0
    data = (tmp_path / "lifecycle.png").read_bytes()
    assert data.startswith(b"\x89PNG")
    width, height = struct.unpack(">II", data[16:24])
    assert width <= 1600 and height <= 1000, (width, height)  # reads at screen width
    assert run_here("graph", "-o", str(tmp_path / "lifecycle.dot")).rc == 0
    assert (tmp_path / "lifecycle.dot").read_text() == to_dot(None)


def test_graph_format_and_output_name_that_disagree_say_so(cli: Cli, tmp_path: Path) -> None:
    result = cli("graph", "--format", "png", "-o", str(tmp_path / "x.svg"))
    _one_line_error(result, "graph", "--format png and --output")
    assert "disagree" in result.err and not (tmp_path / "x.svg").exists()


def test_graph_svg_without_output_is_a_one_line_error(cli: Cli) -> None:
    result = cli("graph", "--format", "svg")
    _one_line_error(result, "graph", "--output")
    assert result.out == ""


def test_graph_rejects_both_run_and_checkpoint(run_here: Cli, real_run: RealRun) -> None:
    result = run_here("graph", "--run", str(real_run.log_dir), "--checkpoint",
                      str(real_run.final))
    assert result.rc == 2
    assert "not allowed with argument" in result.err


# graph --run
def test_graph_run_highlights_the_visited_path(cli: Cli, real_run: RealRun) -> None:
    result = cli("graph", "--run", str(real_run.log_dir))
    assert result.rc == 0, result.err
    assert "train_epoch ×2" in result.out
    assert "validate ×2" in result.out
    assert re.search(r"^\s*Class teardown s_active$", result.out, re.M)
    assert re.search(r"^\s*Class train_epoch s_visited$", result.out, re.M)
    assert re.search(r"^\s*Class test s_default$", result.out, re.M)


def test_graph_run_as_dot_and_from_the_file_itself(run_here: Cli, real_run: RealRun) -> None:
    lifecycle_file = real_run.log_dir / "lifecycle.json"
    stored = json.loads(lifecycle_file.read_text())
    assert stored["fit"]["outcome"] == "completed"
    assert stored["fit"]["history"] == real_run.trainer.lifecycle.history
    result = run_here("graph", "--run", str(lifecycle_file), "--format", "dot")
    assert result.rc == 0, result.err
    assert "train_epoch ×2" in result.out
    assert re.search(r"^\s*teardown \[.*color=red", result.out, re.M)


def test_graph_run_without_lifecycle_file_is_a_one_line_error(cli: Cli, tmp_path: Path) -> None:
    empty = tmp_path / "not_a_run"
    empty.mkdir()
    line = _one_line_error(cli("graph", "--run", str(empty)), "graph", str(empty))
    assert "lifecycle.json" in line


def test_graph_run_with_a_broken_lifecycle_file(run_here: Cli, tmp_path: Path) -> None:
    (tmp_path / "lifecycle.json").write_text("{not json")
    line = _one_line_error(run_here("graph", "--run", str(tmp_path)), "graph", "lifecycle.json")
    assert "not a lifecycle file" in line


@pytest.mark.parametrize("content", ['{"foo": 1}', "[]", "{}", '{"fit": {"state": 3}}', "7"])
def test_graph_run_on_json_that_is_no_lifecycle_is_a_one_line_error(
        run_here: Cli, tmp_path: Path, content: str) -> None:
    # issue 17 #11: it crashed with a traceback
    path = tmp_path / "other.json"
    path.write_text(content)
    line = _one_line_error(run_here("graph", "--run", str(path)), "graph", str(path))
    assert "is not a lifecycle file (" in line


def test_graph_run_with_a_mode_the_file_lacks(run_here: Cli, real_run: RealRun) -> None:
    line = _one_line_error(run_here("graph", "--run", str(real_run.log_dir), "--mode", "test"),
                           "graph", "lifecycle.json")
    assert "holds no 'test' run (it holds 'fit')" in line


def test_failed_run_leaves_a_drawable_lifecycle(cli: Cli, failed_run: Path) -> None:
    stored = json.loads((failed_run / "lifecycle.json").read_text())
    assert stored["fit"]["outcome"] == "failed"
    assert "boom in training_step" in stored["fit"]["error"]
    assert stored["fit"]["history"][-1] == "teardown"
    result = cli("graph", "--run", str(failed_run))
    assert result.rc == 0, result.err
    assert re.search(r"^\s*Class teardown s_active$", result.out, re.M)
    assert re.search(r"^\s*Class train_epoch s_visited$", result.out, re.M)
    assert re.search(r"^\s*Class val_check s_default$", result.out, re.M)


# graph --checkpoint
def test_graph_checkpoint_highlights_the_saved_state(cli: Cli, real_run: RealRun) -> None:
    final = cli("graph", "--checkpoint", str(real_run.final))
    assert final.rc == 0, final.err
    assert re.search(r"^\s*Class teardown s_active$", final.out, re.M)
    assert "train_epoch ×2" in final.out


def test_graph_checkpoint_of_model_checkpoint_last(run_here: Cli, real_run: RealRun) -> None:
    # ModelCheckpoint saves after the last validation, before teardown
    result = run_here("graph", "--checkpoint", str(real_run.last))
    assert result.rc == 0, result.err
    assert re.search(r"^\s*Class val_check s_active$", result.out, re.M)
    assert re.search(r"^\s*Class teardown s_default$", result.out, re.M)
    assert "train_epoch ×2" in result.out


def test_graph_checkpoint_times_are_those_the_checkpoint_recorded(
        run_here: Cli, real_run: RealRun) -> None:
    # issue 17 #11: the open visit was timed against the current clock, growing with every call
    saved = load_checkpoint(real_run.last)["lifecycle"]
    open_visit = saved["entries"][-1]
    assert open_visit["duration"] is None and saved["recorded_at"] >= open_visit["entered_at"]
    first = run_here("graph", "--checkpoint", str(real_run.last))
    time.sleep(1.1)
    again = run_here("graph", "--checkpoint", str(real_run.last))
    assert first.rc == again.rc == 0 and first.out == again.out
    spent = saved["recorded_at"] - open_visit["entered_at"]
    assert spent < 1.0
    assert re.search(r"val_check ×2, \d+(\.\d+)? ?m?s", first.out), first.out


def test_graph_checkpoint_of_an_earlier_file_times_from_its_manifest(
        run_here: Cli, real_run: RealRun, tmp_path: Path) -> None:
    from orchestrator.checkpoint_io import write_atomically

    checkpoint = load_checkpoint(real_run.last)
    recorded = checkpoint["lifecycle"].pop("recorded_at")
    path = tmp_path / "earlier.ckpt"
    write_atomically(checkpoint, path)
    first = run_here("graph", "--checkpoint", str(path))
    time.sleep(1.1)
    assert first.rc == 0 and run_here("graph", "--checkpoint", str(path)).out == first.out
    assert datetime.fromisoformat(checkpoint["manifest"]["created_at"]).timestamp() \
        == pytest.approx(recorded, abs=1.0)


def test_graph_checkpoint_with_weights_only(run_here: Cli, real_run: RealRun,
                                            tmp_path: Path) -> None:
    path = tmp_path / "weights.ckpt"
    real_run.trainer.save_checkpoint(path, weights_only=True)
    line = _one_line_error(run_here("graph", "--checkpoint", str(path)), "graph", str(path))
    assert "weights only" in line


# inspect
def _line(out: str, label: str) -> str:
    found = re.findall(rf"^{label}\s+(.*)$", out, re.M)
    assert len(found) == 1, (label, out)
    return str(found[0])


def test_inspect_describes_a_saved_checkpoint(cli: Cli, real_run: RealRun) -> None:
    trainer = real_run.trainer
    saved = load_checkpoint(real_run.final)
    result = cli("inspect", str(real_run.final))
    assert result.rc == 0, result.err
    out = result.out
    assert _line(out, "lifecycle state") == "teardown"
    assert _line(out, "epoch").split()[0] == str(trainer.current_epoch)
    assert _line(out, "global step") == str(trainer.global_step)
    assert _line(out, "batch position") == str(trainer.progress.batch_idx)
    val_loss = saved["metrics"]["val_loss"]
    assert val_loss == pytest.approx(float(trainer.callback_metrics["val_loss"]))
    assert re.search(rf"^metric\s+val_loss = {re.escape(f'{val_loss:.6g}')}$", out, re.M)
    callback = _line(out, "callback")
    assert callback.startswith("ModelCheckpoint:") and "monitor=val_loss" in callback
    fmt = _line(out, "format")
    assert f"{saved['manifest']['kind']} v{saved['manifest']['format_version']}" in fmt
    assert f"orchestrator {pl.__version__}" in fmt
    assert saved["manifest"]["library_version"] == pl.__version__
    assert collapsed_path(trainer.lifecycle.history) == _line(out, "path")


def test_inspect_model_checkpoint_last(run_here: Cli, real_run: RealRun) -> None:
    result = run_here("inspect", str(real_run.last))
    assert result.rc == 0, result.err
    assert _line(result.out, "lifecycle state") == "val_check"
    assert _line(result.out, "epoch").split()[0] == "1"
    assert re.search(r"^metric\s+val_loss = ", result.out, re.M)
    assert "monitor=val_loss" in _line(result.out, "callback")


def test_inspect_json(cli: Cli, real_run: RealRun) -> None:
    trainer = real_run.trainer
    result = cli("inspect", "--json", str(real_run.final))
    assert result.rc == 0, result.err
    report = json.loads(result.out)
    assert {"lifecycle_state", "epoch", "global_step", "batch_position", "metrics",
            "manifest"} <= set(report)
    assert report["lifecycle_state"] == "teardown"
    assert report["epoch"] == trainer.current_epoch
    assert report["global_step"] == trainer.global_step
    assert report["batch_position"] == trainer.progress.batch_idx
    assert report["metrics"]["val_loss"] == pytest.approx(
        float(trainer.callback_metrics["val_loss"]))
    assert report["manifest"]["library_version"] == pl.__version__
    assert report["manifest"]["kind"] == load_checkpoint(real_run.final)["manifest"]["kind"]
    assert report["monitored"]["ModelCheckpoint"]["monitor"] == "val_loss"


# inspect: files that are not checkpoints
def _text_file(path: Path) -> None:
    path.write_text("hello world\n")


def _csv_file(path: Path) -> None:
    path.write_text("epoch,loss\n0,0.5\n")


def _prose_file(path: Path) -> None:
    path.write_text("not a checkpoint\n")


def _empty_file(path: Path) -> None:
    path.write_bytes(b"")


def _foreign_torch_file(path: Path) -> None:
    torch.save({"a": 1}, path)


def _missing(path: Path) -> None:
    pass


def _truncated_torch_file(path: Path) -> None:
    torch.save({"weights": torch.arange(1000.0)}, path)
    path.write_bytes(path.read_bytes()[:2500])


def _flipped_torch_file(path: Path) -> None:
    torch.save({"weights": torch.arange(1000.0)}, path)
    data = bytearray(path.read_bytes())
    data[len(data) // 2] ^= 0xFF  # inside the tensor's record
    path.write_bytes(bytes(data))


BAD_FILES = {"text": _text_file, "csv": _csv_file, "prose": _prose_file, "empty": _empty_file,
             "missing": _missing, "foreign_torch": _foreign_torch_file,
             "truncated": _truncated_torch_file, "flipped": _flipped_torch_file}
WORDS = {"text": "is not a checkpoint", "csv": "is not a checkpoint",
         "prose": "is not a checkpoint", "empty": "is empty (0 bytes)", "missing": "does not exist",
         "foreign_torch": "not an orchestrator checkpoint", "truncated": "is truncated: its 2500",
         "flipped": "is damaged: record 'flipped/data/0'"}  # torch names records by the file


@pytest.mark.parametrize("cli", ["in_process", pytest.param("python_m", marks=pytest.mark.slow)],
                         indirect=True)
@pytest.mark.parametrize("kind", list(BAD_FILES))
def test_inspect_bad_file_is_a_one_line_error(cli: Cli, tmp_path: Path, kind: str) -> None:
    path = tmp_path / f"{kind}.ckpt"
    BAD_FILES[kind](path)
    result = cli("inspect", str(path))
    line = _one_line_error(result, "inspect", str(path))
    assert WORDS[kind] in line
    assert result.out == ""


@pytest.mark.parametrize("cli", [pytest.param("console_script", marks=pytest.mark.slow)],
                         indirect=True)
@pytest.mark.parametrize("kind", ["text", "missing"])
def test_console_script_inspect_bad_file(cli: Cli, tmp_path: Path, kind: str) -> None:
    path = tmp_path / f"{kind}.ckpt"
    BAD_FILES[kind](path)
    _one_line_error(cli("inspect", str(path)), "inspect", str(path))
