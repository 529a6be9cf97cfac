"""A checkpoint folder that fills up or turns read-only mid-run, on a real tmpfs.

Each scenario runs ``tests/jobs/fault_job.py`` once per session in a private mount namespace
with a 3 MB tmpfs as its checkpoint folder (ModelCheckpoint(save_top_k=1, monitor='val_loss'),
0.5 to 1 MB a checkpoint, a new best at every check). The job breaks the folder after a save,
catches the error of the next save and writes report.json, which the tests read.
"""

from __future__ import annotations

import json
import re
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest

pytestmark = pytest.mark.slow

TMPFS_SIZE = "3m"
# checkpoints of about 0.53, 0.78, 1.03 MB (TemplateModel 2048 wide, 256 KB more a check); the
# disk is filled to 64 KB free after the 2nd, so the 3rd fails even if the 2nd were deleted first
DISK_FULL_ARGS = ("--hidden", "2048", "--grow-kb", "256", "--leave-kb", "64")
_SCALE = {"b": 1, "k": 1024, "m": 1024**2, "g": 1024**3}  # by the unit's first letter
_AMOUNT = re.compile(r"(\d+(?:\.\d+)?)\s*(bytes?|[kmg]i?b|b)\b", re.IGNORECASE)


def _fault_report(shared: Callable, jobs: Any, tmpfs: Any, fault: str, *args: str) -> dict:
    def make(folder: Path) -> None:
        mount_point, out = folder / "disk", folder / "out"
        mount_point.mkdir()
        out.mkdir()
        jobs.run(out, fault, "--ckpt-dir", str(mount_point), *args,
                 wrap=lambda command: tmpfs.command(mount_point, TMPFS_SIZE, command))

    report = json.loads((shared(fault, make) / "out" / "report.json").read_text())
    assert report["error"] is not None, f"no save failed on the broken folder: {report}"
    return report  # type: ignore[no-any-return]


@pytest.fixture(scope="module")
def disk_full(shared: Callable, jobs: Any, private_tmpfs: Any) -> dict:
    return _fault_report(shared, jobs, private_tmpfs, "disk_full", *DISK_FULL_ARGS)


@pytest.fixture(scope="module")
def read_only(shared: Callable, jobs: Any, private_tmpfs: Any) -> dict:
    return _fault_report(shared, jobs, private_tmpfs, "read_only")


def _checkpoints(report: dict) -> list[dict]:
    return [f for f in report["files"] if f["name"].endswith(".ckpt")]


def _names_a_checkpoint_file(report: dict) -> bool:
    """The message names a final checkpoint path in the folder (not only a temporary file)."""
    folder = re.escape(report["folder"].rstrip("/"))
    return re.search(rf"{folder}/[^/'\"\s]+\.ckpt(?![\w.])", report["error"]["message"]) is not None


def _amounts(message: str) -> list[float]:
    """The byte quantities a message states ('135.2 KB', '2 MiB', '4096 bytes'), in bytes."""
    return [float(number) * _SCALE[unit[0].lower()] for number, unit in _AMOUNT.findall(message)]


def _near(amounts: list[float], wanted: int) -> bool:
    return any(wanted / 2 <= amount <= wanted * 2 for amount in amounts)


def _unchanged_and_loading(report: dict) -> None:
    assert report["before"], "nothing was saved before the fault"
    now = {f["name"]: f for f in report["files"]}
    for name, digest in report["before"].items():
        assert name in now, f"{name}, written before the fault, is gone"
        assert now[name]["sha256"] == digest, f"{name} changed after the failed save"
        assert now[name]["load_error"] is None, now[name]["load_error"]


def test_disk_full_keeps_a_loadable_checkpoint(disk_full: dict) -> None:
    """After a save fails for lack of space, a checkpoint in the folder still loads."""
    loading = [f["name"] for f in _checkpoints(disk_full) if f["load_error"] is None]
    assert loading, f"no checkpoint in the folder loads: {disk_full['files']}"


def test_disk_full_leaves_no_temporary_file(disk_full: dict) -> None:
    """A save that ran out of space leaves no partial or temporary file behind."""
    names = {f["name"] for f in disk_full["files"]}
    assert not [n for n in names if n.endswith(".tmp")], names
    assert names <= {"filler", *disk_full["before"]}, f"unexpected files: {names}"


def test_disk_full_raises_checkpoint_write_error_saying_what_is_free_and_needed(
    disk_full: dict,
) -> None:
    """The failed save raises CheckpointWriteError (an OSError) that names the checkpoint file
    and says how much space is free and about how much the checkpoint needs."""
    error = disk_full["error"]
    assert "CheckpointWriteError" in error["classes"] and "OSError" in error["classes"], error
    assert _names_a_checkpoint_file(disk_full), error["message"]
    message = error["message"].replace(disk_full["folder"], "")  # its words only
    assert re.search(r"\bfree\b", message, re.I) and re.search(r"\bneed", message, re.I), message
    amounts = _amounts(message)
    assert _near(amounts, disk_full["free_bytes"]), (
        f"no amount near the {disk_full['free_bytes']} bytes free in: {message}")
    assert _near(amounts, disk_full["checkpoint_size"]), (
        f"no amount near the {disk_full['checkpoint_size']} bytes needed in: {message}")


def test_disk_full_leaves_earlier_checkpoints_byte_for_byte(disk_full: dict) -> None:
    """The checkpoints written before the disk filled are unchanged byte for byte and load."""
    _unchanged_and_loading(disk_full)


def test_read_only_folder_fails_the_save_naming_the_checkpoint_file(read_only: dict) -> None:
    """A save into a folder remounted read-only fails with an OSError naming the checkpoint."""
    assert "OSError" in read_only["error"]["classes"], read_only["error"]
    assert _names_a_checkpoint_file(read_only), read_only["error"]["message"]


def test_read_only_folder_raises_checkpoint_write_error(read_only: dict) -> None:
    """The save into a read-only folder raises CheckpointWriteError."""
    assert "CheckpointWriteError" in read_only["error"]["classes"], read_only["error"]


def test_read_only_folder_keeps_the_previous_checkpoint_unchanged(read_only: dict) -> None:
    """The checkpoint saved before the folder turned read-only still loads, byte for byte."""
    _unchanged_and_loading(read_only)
    assert {f["name"] for f in read_only["files"]} == set(read_only["before"])
