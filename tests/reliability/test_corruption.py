"""Damaged checkpoint files: one flipped byte in each region of the zip, and truncated copies.

A checkpoint is a torch zip file. For every region of it (each member's local header, its
alignment padding, its data and its data descriptor; the central directory; the zip64 end
records; the end of central directory record) a few bytes are flipped, one at a time, and
``load_checkpoint`` must either refuse the file with a CheckpointError naming it or return
exactly the checkpoint that was saved: never a silently different one.
"""

from __future__ import annotations

import io
import re
import struct
import subprocess
import sys
import zipfile
from argparse import Namespace
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest

import orchestrator as pl
from orchestrator.checkpoint_io import load_checkpoint
from schemas.errors import CheckpointError
from tests.helpers import TEMPLATE_HPARAMS, TemplateModel

REPO = Path(__file__).resolve().parents[2]
KINDS = ("local header", "padding", "data", "data descriptor", "central directory",
         "zip64 end records", "end of central directory")


@dataclass(frozen=True)
class Region:
    """A byte range [start, end) of the file; ``member`` is set for a member's data."""

    kind: str
    label: str
    start: int
    end: int
    member: str | None = None

    def positions(self) -> list[int]:
        """A bounded sample: first and last byte, and one or (past 64 bytes) three between."""
        inner = 4 if self.end - self.start > 64 else 2
        span = self.end - 1 - self.start
        return sorted({self.start + span * k // inner for k in range(inner + 1)})


def _member_regions(blob: bytes, info: zipfile.ZipInfo, following: int) -> list[Region]:
    header = info.header_offset
    name_length, extra_length = struct.unpack_from("<HH", blob, header + 26)
    padding = header + 30 + name_length
    data = padding + extra_length
    end = data + info.compress_size
    name = info.filename
    return [Region("local header", f"local header of {name}", header, padding),
            Region("padding", f"padding of {name}", padding, data),
            Region("data", f"data of {name}", data, end, name),
            Region("data descriptor", f"data descriptor of {name}", end, following)]


def zip_regions(blob: bytes) -> list[Region]:
    """Every region of a zip file, in file order (empty ones left out)."""
    with zipfile.ZipFile(io.BytesIO(blob)) as archive:
        infos = sorted(archive.infolist(), key=lambda i: i.header_offset)
        directory = archive.start_dir  # type: ignore[attr-defined]
    regions = []
    for info, following in zip(infos, [i.header_offset for i in infos[1:]] + [directory]):
        regions += _member_regions(blob, info, following)
    end_record = blob.rfind(b"PK\x05\x06")
    zip64 = blob.rfind(b"PK\x06\x06", directory, end_record)
    records_end = zip64 if zip64 != -1 else end_record
    regions += [Region("central directory", "central directory", directory, records_end),
                Region("zip64 end records", "zip64 end record and locator", records_end,
                       end_record),
                Region("end of central directory", "end of central directory", end_record,
                       len(blob))]
    return [r for r in regions if r.end > r.start]


@pytest.fixture(scope="module")
def saved(tmp_path_factory: pytest.TempPathFactory) -> tuple[bytes, dict[str, Any]]:
    """A small checkpoint (with optimizer and scheduler states) and what it loads as."""
    pl.seed_everything(0)
    folder = tmp_path_factory.mktemp("flips")
    model = TemplateModel(Namespace(**{**TEMPLATE_HPARAMS, "hidden_dim": 4}))
    trainer = pl.Trainer(default_root_dir=str(folder), max_epochs=1, limit_train_batches=3,
                         limit_val_batches=1, progress_bar_refresh_rate=0, weights_summary=None,
                         logger=False, checkpoint_callback=False)
    trainer.fit(model)
    path = folder / "small.ckpt"
    trainer.save_checkpoint(path)
    return path.read_bytes(), load_checkpoint(path)


def _record_name(member: str) -> str:
    """'archive/data/3' -> 'data/3': the record's name inside the archive folder."""
    return member.split("/", 1)[1] if "/" in member else member


def _names_record(message: str, member: str) -> bool:
    return re.search(re.escape(_record_name(member)) + r"(?!\d)", message) is not None


def _flip_outcome(path: Path, blob: bytes, at: int, original: dict[str, Any],
                  same: Callable[[Any, Any], bool], region: Region) -> str | None:
    """None if the flip at ``at`` is refused properly or harmless; else what went wrong."""
    damaged = bytearray(blob)
    damaged[at] ^= 0xFF
    path.write_bytes(bytes(damaged))
    where = f"{region.label}, byte {at}"
    try:
        loaded = load_checkpoint(path)
    except CheckpointError as exc:
        if str(path) not in str(exc):
            return f"{where}: the error does not name the file: {exc}"
        words = str(exc).replace(str(path), "")
        if region.member is not None and not _names_record(words, region.member):
            return f"{where}: the error does not name the record {region.member!r}: {exc}"
        return None
    except Exception as exc:
        return f"{where}: {type(exc).__name__} instead of CheckpointError: {exc}"
    return None if same(loaded, original) else f"{where}: loaded a silently different checkpoint"


def _load_bytes(folder: Path, blob: bytes) -> dict[str, Any]:
    path = folder / "intact.ckpt"
    path.write_bytes(blob)
    return load_checkpoint(path)


@pytest.mark.parametrize("kind", KINDS)
def test_a_flipped_byte_is_refused_naming_the_file_and_record_or_is_harmless(
    tmp_path: Path, saved: tuple[bytes, dict[str, Any]], same: Callable[[Any, Any], bool],
    kind: str,
) -> None:
    """A byte flipped in any region of the file makes load_checkpoint raise CheckpointError
    naming the file (and the record, for a member's data) or return the checkpoint unchanged."""
    blob, original = saved
    assert same(_load_bytes(tmp_path, blob), original)  # the comparison is sound
    regions = [r for r in zip_regions(blob) if r.kind == kind]
    if kind == "zip64 end records" and not regions:
        pytest.skip("this torch writes no zip64 end records")
    assert regions, f"the checkpoint has no {kind}"
    path = tmp_path / "flipped.ckpt"
    problems = [problem for region in regions for at in region.positions()
                if (problem := _flip_outcome(path, blob, at, original, same, region))]
    assert not problems, f"{len(problems)} bad outcomes:\n" + "\n".join(problems[:20])


@pytest.mark.parametrize("length", ["0", "10", "half", "all but 1"])
def test_a_truncated_file_is_refused_as_truncated_naming_it(
    tmp_path: Path, saved: tuple[bytes, dict[str, Any]], length: str
) -> None:
    """A checkpoint cut short raises CheckpointError that names the file and says it is
    truncated or not a checkpoint."""
    blob = saved[0]
    keep = {"0": 0, "10": 10, "half": len(blob) // 2, "all but 1": len(blob) - 1}[length]
    path = tmp_path / "cut.ckpt"
    path.write_bytes(blob[:keep])
    with pytest.raises(CheckpointError) as caught:
        load_checkpoint(path)
    message = str(caught.value)
    assert str(path) in message, message
    words = message.replace(str(path), "")  # the test's folder name says 'truncated' too
    assert re.search(r"truncated|not a checkpoint", words), message


def _flipped_in(blob: bytes, target: str) -> bytes:
    """``blob`` with one byte flipped: the first of the end record, or the middle one of the
    data of the member named ``.../target``."""
    region = next(r for r in zip_regions(blob)
                  if r.label == target or (r.member or "").endswith("/" + target))
    damaged = bytearray(blob)
    damaged[(region.start + region.end) // 2 if region.member else region.start] ^= 0xFF
    return bytes(damaged)


@pytest.mark.slow
@pytest.mark.parametrize("target", ["end of central directory", "data.pkl"])
def test_inspect_on_a_flipped_file_fails_with_one_line_naming_it(
    tmp_path: Path, saved: tuple[bytes, dict[str, Any]], target: str
) -> None:
    """``python -m orchestrator inspect`` on a damaged checkpoint exits non-zero with a
    one-line error naming the file, and no traceback."""
    path = tmp_path / "damaged.ckpt"
    path.write_bytes(_flipped_in(saved[0], target))
    done = subprocess.run([sys.executable, "-m", "orchestrator", "inspect", str(path)],
                          cwd=REPO, capture_output=True, text=True, timeout=60)
    assert done.returncode != 0, done.stdout
    assert "Traceback" not in done.stderr, done.stderr[-3000:]
    lines = done.stderr.strip().splitlines()
    assert len(lines) == 1 and str(path) in lines[0], done.stderr[-3000:]
