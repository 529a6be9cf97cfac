"""Fixtures of the reliability tests: fault jobs in subprocesses, a private tmpfs, a baseline run.

The jobs are ``tests/jobs/fault_job.py``. Runs that several tests read (the uninterrupted
baseline, the disk-full and read-only runs) happen once per session, in whichever xdist worker
asks first; the others wait on a file lock and read the same folder.
"""

from __future__ import annotations

import fcntl
import os
import shutil
import subprocess
import sys
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest
import torch

REPO = Path(__file__).resolve().parents[2]
JOB = "tests.jobs.fault_job"
JOB_TIMEOUT_S = 120

# a private mount namespace: as root, or else as root of a new user namespace
_NAMESPACES: tuple[tuple[str, ...], ...] = (
    ("unshare", "--mount", "--propagation", "private"),
    ("unshare", "-rm"),
)
_PROBE = 'mount -t tmpfs -o size=1m tmpfs "$1" && mount -o remount,ro "$1"'
_MOUNT_THEN_EXEC = 'mount -t tmpfs -o size="$1" tmpfs "$2" && shift 2 && exec "$@"'


def _job_command(root: Path, *args: str) -> list[str]:
    return [sys.executable, "-m", JOB, str(root), *args]


@dataclass(frozen=True)
class Signalled:
    """How a job sent a signal mid-run ended: its exit status, stderr, and the events it
    recorded after the line that triggered the signal."""

    returncode: int
    stderr: str
    after_trigger: list[str]


class Jobs:
    """Runs fault jobs from the repository root, each wait bounded by a timeout."""

    def run(self, root: Path, *args: str, expect: int = 0,
            wrap: Callable[[list[str]], list[str]] | None = None,
            ) -> subprocess.CompletedProcess[str]:
        """Run the job to its end; ``wrap`` turns its command into the one to run."""
        command = _job_command(root, *args)
        done = subprocess.run(wrap(command) if wrap else command, cwd=REPO,
                              capture_output=True, text=True, timeout=JOB_TIMEOUT_S)
        assert done.returncode == expect, (
            f"the job exited with {done.returncode}, expected {expect}:\n{done.stderr[-3000:]}")
        return done

    def signal_at(self, root: Path, trigger: str, signum: int, *args: str) -> Signalled:
        """Start a train job, send ``signum`` once its events.txt has the line ``trigger``."""
        events, log = root / "events.txt", root / "stderr.txt"
        with open(log, "w") as stderr:  # a file, not a pipe: nothing blocks while we poll
            process = subprocess.Popen(_job_command(root, "train", *args), cwd=REPO,
                                       stdout=subprocess.DEVNULL, stderr=stderr)
            try:
                _wait_for_line(process, events, trigger, log)
                process.send_signal(signum)
                process.wait(timeout=JOB_TIMEOUT_S)
            finally:
                if process.poll() is None:
                    process.kill()
                    process.wait(timeout=30)
        lines = events.read_text().splitlines()
        return Signalled(process.returncode, log.read_text(), lines[lines.index(trigger) + 1:])


def _wait_for_line(process: subprocess.Popen[bytes], events: Path, line: str, log: Path) -> None:
    deadline = time.monotonic() + JOB_TIMEOUT_S
    while not (events.exists() and line in events.read_text().splitlines()):
        if process.poll() is not None:
            raise AssertionError(f"the job ended (exit {process.returncode}) before it wrote "
                                 f"{line!r}:\n{log.read_text()[-3000:]}")
        assert time.monotonic() < deadline, f"the job never wrote {line!r}"
        time.sleep(0.005)


@pytest.fixture(scope="session")
def jobs() -> Jobs:
    return Jobs()


@dataclass(frozen=True)
class PrivateTmpfs:
    """Runs a command in a private mount namespace with a fresh tmpfs mounted on a folder; the
    tmpfs vanishes with the namespace, so the command must copy out what the test reads."""

    namespace: tuple[str, ...]

    def command(self, mount_point: Path, size: str, inner: Sequence[str]) -> list[str]:
        return [*self.namespace, "sh", "-c", _MOUNT_THEN_EXEC, "sh", size, str(mount_point),
                *inner]


@pytest.fixture(scope="session")
def private_tmpfs(tmp_path_factory: pytest.TempPathFactory) -> PrivateTmpfs:
    """The first namespace kind that can mount and remount a tmpfs here; skips if none can."""
    probe = tmp_path_factory.mktemp("mount-probe")
    reasons = []
    for namespace in _NAMESPACES:
        try:
            done = subprocess.run([*namespace, "sh", "-c", _PROBE, "sh", str(probe)],
                                  capture_output=True, text=True, timeout=30)
        except (OSError, subprocess.TimeoutExpired) as exc:
            reasons.append(f"{' '.join(namespace)}: {exc}")
            continue
        if done.returncode == 0:
            return PrivateTmpfs(namespace)
        reasons.append(f"{' '.join(namespace)}: {done.stderr.strip() or done.returncode}")
    pytest.skip("cannot mount a tmpfs in a private mount namespace: " + "; ".join(reasons))


def _shared_folder(factory: pytest.TempPathFactory, name: str,
                   make: Callable[[Path], None]) -> Path:
    """A folder that ``make`` fills once per session, whichever xdist worker asks first."""
    base = factory.getbasetemp()
    if os.environ.get("PYTEST_XDIST_WORKER"):
        base = base.parent  # the session's folder, shared by the workers
    folder = base / f"shared-{name}"
    with open(base / f"shared-{name}.lock", "w") as lock:
        fcntl.flock(lock, fcntl.LOCK_EX)
        if not (folder / ".complete").exists():
            shutil.rmtree(folder, ignore_errors=True)
            folder.mkdir()
            make(folder)
            (folder / ".complete").touch()
    return folder


@pytest.fixture(scope="session")
def shared(tmp_path_factory: pytest.TempPathFactory) -> Callable[[str, Callable[[Path], None]],
                                                                  Path]:
    """``shared(name, make)``: a folder ``make`` fills once per session, for every worker."""
    return lambda name, make: _shared_folder(tmp_path_factory, name, make)


@pytest.fixture(scope="session")
def baseline(tmp_path_factory: pytest.TempPathFactory, jobs: Jobs) -> dict[str, Any]:
    """final.pt of the uninterrupted train job."""
    def make(root: Path) -> None:
        jobs.run(root, "train")

    folder = _shared_folder(tmp_path_factory, "baseline", make)
    return torch.load(folder / "final.pt", weights_only=True)  # type: ignore[no-any-return]


def _same(a: Any, b: Any) -> bool:
    if isinstance(a, torch.Tensor):
        return isinstance(b, torch.Tensor) and a.dtype == b.dtype and torch.equal(a, b)
    if isinstance(a, dict):
        return isinstance(b, dict) and a.keys() == b.keys() and all(_same(a[k], b[k]) for k in a)
    if isinstance(a, list | tuple):
        return type(a) is type(b) and len(a) == len(b) and all(map(_same, a, b))
    return bool(a == b)


@pytest.fixture
def matches_baseline(baseline: dict[str, Any]) -> Callable[[Path], None]:
    """Asserts that ROOT/final.pt of a resumed job equals the uninterrupted run's."""

    def check(root: Path) -> None:
        resumed = torch.load(root / "final.pt", weights_only=True)
        for key, value in baseline["state_dict"].items():
            assert torch.equal(value, resumed["state_dict"][key]), f"weight {key} differs"
        assert resumed["global_step"] == baseline["global_step"]
        assert _same(resumed["optimizers"], baseline["optimizers"]), "optimizer states differ"

    return check


@pytest.fixture(scope="session")
def same() -> Callable[[Any, Any], bool]:
    """Deep equality of loaded checkpoints: tensors by dtype and value, the rest by ==."""
    return _same

