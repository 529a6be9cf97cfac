"""SIGTERM and SIGKILL at seeded random moments of a real training process, then an exact resume.

The job (``tests/jobs/fault_job.py train``) validates every 3 batches and accumulates gradients
over 3 batches; its ModelCheckpoint saves top-2 and last.ckpt at every check. Each test signals it
at a moment drawn once from a fixed seed, checks what is left on disk, resumes in a new process
and compares the final weights with the uninterrupted run's (the ``baseline`` fixture). Kills at
training batches are covered by ``tests/orchestrator/test_resume_exact.py``.
"""

from __future__ import annotations

import json
import random
import signal
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest

from orchestrator.checkpoint_io import load_checkpoint

pytestmark = pytest.mark.slow

VAL_BATCHES = 4  # per check; checks 0, 1 and 2 of a process are mid-epoch ones of epoch 0


def _moments(seed: int = 1717) -> dict[str, int]:
    """The seeded random moments: the same on every run, whatever the order of the tests.
    A signal sent from outside lands in a 0.3 s sleep (plenty of slack for a loaded machine)."""
    rng = random.Random(seed)
    return {
        "term_check": rng.randrange(0, 3),  # a mid-epoch check
        "term_batch": rng.randrange(0, VAL_BATCHES - 2),  # >= 2 batches left, so a late save shows
        "term_micro_batch": rng.choice([n for n in range(1, 10) if n % 3]),
        "term_save_seed": rng.randrange(1 << 16),
        "kill_check": rng.randrange(1, 3),  # check 0 saved first
        "kill_batch": rng.randrange(0, VAL_BATCHES),
        "kill_save_seed": rng.randrange(1 << 16),
    }


MOMENTS = _moments()


def _checkpoints(root: Path) -> list[Path]:
    return sorted((root / "ckpts").glob("*.ckpt"))


def _temporary_files(root: Path) -> list[str]:
    return sorted(p.name for p in (root / "ckpts").glob(".*.tmp"))


def _all_load(root: Path) -> list[Path]:
    """Every *.ckpt in ROOT/ckpts loads; returns them (asserting there is at least one)."""
    files = _checkpoints(root)
    assert files, f"no checkpoint in {root / 'ckpts'}"
    for file in files:
        assert "state_dict" in load_checkpoint(file), file
    return files


def _interrupted(root: Path, stderr: str) -> dict[str, Any]:
    assert "resumable checkpoint saved to" in stderr, stderr[-3000:]
    assert not (root / "final.pt").exists(), "the interrupted run went on to the end"
    assert _temporary_files(root) == [], "a graceful interrupt left a temporary file"
    _all_load(root)
    return load_checkpoint(root / "ckpts" / "interrupted.ckpt")


def test_sigterm_inside_validation_saves_within_one_batch_and_resumes_exactly(
    tmp_path: Path, jobs: Any, matches_baseline: Callable[[Path], None]
) -> None:
    """A SIGTERM inside a mid-epoch validation check saves interrupted.ckpt in state val_check
    within one validation batch, and resuming from it ends as the uninterrupted run."""
    check = MOMENTS["term_check"]
    trigger = f"val {check} {MOMENTS['term_batch']}"
    outcome = jobs.signal_at(tmp_path, trigger, signal.SIGTERM, "--slow-val", "0.3")
    assert outcome.returncode == 0, outcome.stderr[-3000:]
    saved = _interrupted(tmp_path, outcome.stderr)
    later = [line for line in outcome.after_trigger if line.startswith(f"val {check} ")]
    assert len(later) <= 1, (
        f"SIGTERM sent after {trigger!r}; {len(later)} more validation batches ran before the "
        f"checkpoint: {later}")
    assert not any(line.startswith("train") for line in outcome.after_trigger)
    assert saved["lifecycle"]["state"] == "val_check"
    jobs.run(tmp_path, "train", "--resume", str(tmp_path / "ckpts" / "interrupted.ckpt"))
    matches_baseline(tmp_path)


def test_sigterm_between_accumulation_micro_batches_resumes_exactly(
    tmp_path: Path, jobs: Any, matches_baseline: Callable[[Path], None]
) -> None:
    """A SIGTERM between two micro-batches of one accumulated step saves interrupted.ckpt there,
    and resuming from it ends as the uninterrupted run."""
    batch = MOMENTS["term_micro_batch"]
    outcome = jobs.signal_at(tmp_path, f"train {batch}", signal.SIGTERM, "--slow-batch", "0.3")
    assert outcome.returncode == 0, outcome.stderr[-3000:]
    saved = _interrupted(tmp_path, outcome.stderr)
    assert saved["lifecycle"]["state"] == "train_epoch"
    assert saved["progress"]["batch_idx"] == batch  # saved right after the batch signalled
    assert saved["global_step"] == batch // 3  # mid-step: its gradients are partly accumulated
    jobs.run(tmp_path, "train", "--resume", str(tmp_path / "ckpts" / "interrupted.ckpt"))
    matches_baseline(tmp_path)


def test_sigterm_inside_a_checkpoint_save_keeps_every_file_whole_and_resumes_exactly(
    tmp_path: Path, jobs: Any, matches_baseline: Callable[[Path], None]
) -> None:
    """A SIGTERM that lands inside a ModelCheckpoint save lets it finish, then saves a loadable
    interrupted.ckpt, and resuming from it ends as the uninterrupted run."""
    outcome = jobs.run(tmp_path, "train", "--signal-in-save", "TERM",
                       "--seed", str(MOMENTS["term_save_seed"]))
    assert (tmp_path / "signal.json").exists(), "the signal never landed inside a save"
    _interrupted(tmp_path, outcome.stderr)
    jobs.run(tmp_path, "train", "--resume", str(tmp_path / "ckpts" / "interrupted.ckpt"))
    matches_baseline(tmp_path)


def _resume_from_newest(root: Path, jobs: Any) -> Path:
    newest = max(_all_load(root), key=lambda p: p.stat().st_mtime_ns)
    jobs.run(root, "train", "--resume", str(newest))
    return newest


def test_sigkill_inside_validation_leaves_loadable_checkpoints_and_resumes_exactly(
    tmp_path: Path, jobs: Any, matches_baseline: Callable[[Path], None]
) -> None:
    """A SIGKILL inside a validation check, after earlier checks saved, leaves only checkpoints
    that load, and resuming from the newest ends as the uninterrupted run."""
    trigger = f"val {MOMENTS['kill_check']} {MOMENTS['kill_batch']}"
    outcome = jobs.signal_at(tmp_path, trigger, signal.SIGKILL, "--slow-val", "0.05")
    assert outcome.returncode == -signal.SIGKILL, outcome.stderr[-3000:]
    _resume_from_newest(tmp_path, jobs)
    matches_baseline(tmp_path)


def test_sigkill_inside_a_checkpoint_save_leaves_no_torn_checkpoint_and_resumes_exactly(
    tmp_path: Path, jobs: Any, matches_baseline: Callable[[Path], None]
) -> None:
    """A SIGKILL that lands inside a ModelCheckpoint save leaves no torn file under a .ckpt
    name, and resuming from the newest checkpoint ends as the uninterrupted run."""
    jobs.run(tmp_path, "train", "--signal-in-save", "KILL",
             "--seed", str(MOMENTS["kill_save_seed"]), expect=-signal.SIGKILL)
    landed = json.loads((tmp_path / "signal.json").read_text())
    assert landed["save"] >= 2  # a save completed before the one killed
    _resume_from_newest(tmp_path, jobs)
    matches_baseline(tmp_path)
