"""Exact resume: kill a real training process right after a checkpoint, resume it elsewhere.

Each scenario runs ``tests/jobs/resume_job.py`` three ways: uninterrupted; killed with SIGKILL
right after it saved a checkpoint; resumed from that checkpoint in a new process. Weights,
optimizer state, callback state and every logged scalar must be equal bit for bit.
"""

from __future__ import annotations

import signal
import subprocess
import sys
import time
from pathlib import Path
from typing import Any

import pytest
import torch
from tensorboard.backend.event_processing.event_accumulator import EventAccumulator

pytestmark = pytest.mark.slow
REPO = Path(__file__).resolve().parents[2]


def _job(root: Path, *args: str, expect_kill: bool = False) -> subprocess.CompletedProcess[str]:
    command = [sys.executable, "-m", "tests.jobs.resume_job", str(root), *args]
    done = subprocess.run(command, cwd=REPO, capture_output=True, text=True, timeout=240)
    wanted = -signal.SIGKILL if expect_kill else 0
    assert done.returncode == wanted, done.stderr[-3000:]
    return done


def _scalars(log_dir: str) -> dict[str, list[tuple[int, float]]]:
    events = EventAccumulator(log_dir)
    events.Reload()
    return {tag: [(e.step, e.value) for e in events.Scalars(tag)]
            for tag in events.Tags()["scalars"]}


def _equal(a: Any, b: Any) -> bool:
    if isinstance(a, torch.Tensor):
        return isinstance(b, torch.Tensor) and torch.equal(a, b)
    if isinstance(a, dict):
        return a.keys() == b.keys() and all(_equal(a[k], b[k]) for k in a)
    if isinstance(a, list | tuple):
        return len(a) == len(b) and all(_equal(x, y) for x, y in zip(a, b))
    return bool(a == b)


@pytest.fixture(scope="module")
def baselines(tmp_path_factory: pytest.TempPathFactory) -> dict[int, dict[str, Any]]:
    found = {}
    for workers in (0, 2):
        root = tmp_path_factory.mktemp(f"baseline{workers}")
        _job(root, "--workers", str(workers))
        final = torch.load(root / "final.pt", weights_only=False)
        final["scalars"] = _scalars(final["log_dir"])
        found[workers] = final
    return found


@pytest.mark.parametrize(
    ("moment", "workers", "resumed_in"),
    [
        ("batch:17", 0, "train_epoch"),      # mid-epoch, after an optimizer step
        ("batch:14", 0, "train_epoch"),      # between accumulation micro-batches (odd count)
        ("epoch_end:0", 0, "train_epoch"),   # after epoch 0's epoch-end hooks, before its val
        ("val_batch:2", 0, "val_check"),     # inside the mid-epoch validation of epoch 0
        ("val_end:3", 0, "val_check"),       # right after ModelCheckpoint wrote last.ckpt
        ("batch:21", 2, "train_epoch"),      # DataLoader workers with random augmentation
    ],
)
def test_killed_and_resumed_run_equals_the_uninterrupted_one(
    tmp_path: Path, baselines: dict[int, dict[str, Any]], moment: str, workers: int,
    resumed_in: str,
) -> None:
    _job(tmp_path, "--workers", str(workers), "--kill-at", moment, expect_kill=True)
    saved = tmp_path / "kill.ckpt"
    if moment.startswith("val_end"):
        saved = next(tmp_path.rglob("last.ckpt"))
    assert saved.is_file()
    _job(tmp_path, "--workers", str(workers), "--resume", str(saved))

    resumed = torch.load(tmp_path / "final.pt", weights_only=False)
    baseline = baselines[workers]
    for key, value in baseline["state_dict"].items():
        assert torch.equal(value, resumed["state_dict"][key]), key
    assert _equal(baseline["optimizers"], resumed["optimizers"])
    assert resumed["best_model_score"] == baseline["best_model_score"]
    assert resumed["early_stopping"] == baseline["early_stopping"]
    assert resumed["global_step"] == baseline["global_step"]
    assert resumed["log_dir"].endswith("version_0")  # appended to the same TensorBoard run
    assert _scalars(resumed["log_dir"]) == baseline["scalars"]
    setup = ["init", "prepare_data", "optimizers", "dataloaders"]
    assert resumed["history"][:5] == [*setup, resumed_in]


def test_sigterm_saves_a_resumable_checkpoint_and_ends_as_interrupted(
    tmp_path: Path, baselines: dict[int, dict[str, Any]]
) -> None:
    command = [sys.executable, "-m", "tests.jobs.resume_job", str(tmp_path), "--slow"]
    process = subprocess.Popen(command, cwd=REPO, stdout=subprocess.PIPE,
                               stderr=subprocess.PIPE, text=True)
    marker = tmp_path / "lightning_logs" / "version_0" / "lifecycle.json"
    deadline = time.monotonic() + 60
    while not (marker.exists() and "train_epoch" in marker.read_text()):
        assert time.monotonic() < deadline, "the job never started training"
        time.sleep(0.05)
    time.sleep(0.3)
    process.send_signal(signal.SIGTERM)
    _, stderr = process.communicate(timeout=60)
    assert process.returncode == 0, stderr[-3000:]
    assert "resumable checkpoint saved to" in stderr and "ckpt_path=" in stderr
    interrupted = next(tmp_path.rglob("interrupted.ckpt"))
    assert '"outcome": "interrupted"' in marker.read_text()
    assert not (tmp_path / "final.pt").exists()  # the interrupted run did not finish
    _job(tmp_path, "--resume", str(interrupted))
    resumed = torch.load(tmp_path / "final.pt", weights_only=False)
    for key, value in baselines[0]["state_dict"].items():
        assert torch.equal(value, resumed["state_dict"][key]), key
    assert _scalars(resumed["log_dir"]) == baselines[0]["scalars"]


def test_random_kills_while_checkpointing_often_leave_only_loadable_files(tmp_path: Path) -> None:
    from orchestrator.checkpoint_io import load_checkpoint

    command = [sys.executable, "-m", "tests.jobs.resume_job", str(tmp_path), "--save-every-batch"]
    every = tmp_path / "every.ckpt"
    for delay in (0.0, 0.05, 0.13, 0.21, 0.34):  # after a save completed: kills land mid-write
        before = every.stat().st_mtime_ns if every.exists() else None
        process = subprocess.Popen(command, cwd=REPO, stdout=subprocess.DEVNULL,
                                   stderr=subprocess.DEVNULL)
        deadline = time.monotonic() + 120
        while not every.exists() or every.stat().st_mtime_ns == before:
            assert process.poll() is None, "the job ended before it saved a checkpoint"
            assert time.monotonic() < deadline, "the job never saved a checkpoint"
            time.sleep(0.01)
        time.sleep(delay)
        process.send_signal(signal.SIGKILL)
        process.wait(timeout=30)
    files = list(tmp_path.rglob("*.ckpt"))
    assert files, "no checkpoint was written before the kills"
    for file in files:
        assert "state_dict" in load_checkpoint(file)
