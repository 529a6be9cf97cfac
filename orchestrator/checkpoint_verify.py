"""Each record of a checkpoint checked against the CRC-32 its zip holds, while torch reads it.

``torch.save`` writes a zip whose every record (the pickle, each tensor's bytes) carries a
CRC-32; ``torch.load`` never checks them, so a flipped byte would resume silently. The check
reads the file in a thread beside ``torch.load`` (zlib releases the GIL), so a load costs
little more than torch's own.
"""

from __future__ import annotations

import os
import struct
import threading
import zipfile
import zlib
from dataclasses import dataclass
from pathlib import Path

__all__ = ["Damage", "IntegrityCheck", "verify"]

_LOCAL_HEADER = struct.Struct("<IHHHHHIIIHH")  # the 30 bytes before each record's name
_LOCAL_SIGNATURE = 0x04034B50
_ZIP_START = b"PK\x03\x04"
_PICKLE_START = b"\x80"  # torch's files before 1.6 are a bare pickle stream
_CHUNK = 1 << 22


class Damage(Exception):
    """What is wrong with a file, in words that follow its name (``'x.ckpt' is ...``);
    ``damaged``: it was a checkpoint (False: it never was one)."""

    def __init__(self, message: str, damaged: bool = True) -> None:
        super().__init__(message)
        self.damaged = damaged


@dataclass(frozen=True)
class _Record:
    name: str
    start: int  # where its bytes begin
    size: int
    crc: int


def _records(file: Path, size: int) -> list[_Record]:
    """Every record of the zip ``file``, with where its bytes lie (the local header's length
    can differ from the central directory's)."""
    try:
        with zipfile.ZipFile(file) as archive:
            infos = archive.infolist()
    except (zipfile.BadZipFile, OSError, ValueError, struct.error) as exc:
        if "not a zip file" in str(exc):
            raise Damage(f"truncated: its {size} bytes end before the zip directory a "
                         "checkpoint ends with (a partial copy or a cut write)") from None
        raise Damage(f"damaged: its zip directory cannot be read ({exc})") from None
    records = []
    with open(file, "rb") as handle:
        for info in infos:
            handle.seek(info.header_offset)
            header = handle.read(_LOCAL_HEADER.size)
            if len(header) < _LOCAL_HEADER.size \
                    or _LOCAL_HEADER.unpack(header)[0] != _LOCAL_SIGNATURE:
                raise Damage(f"damaged: the header of record {info.filename!r} is not where "
                             f"the zip directory puts it (byte {info.header_offset})")
            *_, name_length, extra_length = _LOCAL_HEADER.unpack(header)
            if handle.read(name_length).decode("utf-8", "replace") != info.filename:
                raise Damage(f"damaged: the header of record {info.filename!r} names another "
                             "record")
            start = info.header_offset + _LOCAL_HEADER.size + name_length + extra_length
            if start + info.compress_size > size:
                raise Damage(f"truncated: record {info.filename!r} runs past the end of its "
                             f"{size} bytes")
            records.append(_Record(info.filename, start, info.compress_size, info.CRC))
    return records


def _crc(descriptor: int, record: _Record) -> int:
    value, position, end = 0, record.start, record.start + record.size
    while position < end:
        block = os.pread(descriptor, min(_CHUNK, end - position), position)
        if not block:
            break
        value = zlib.crc32(block, value)
        position += len(block)
    return value


def verify(file: Path) -> None:
    """Raise Damage naming the first record whose bytes differ from their CRC-32."""
    size = file.stat().st_size
    with open(file, "rb") as handle:
        start = handle.read(len(_ZIP_START))
    if start != _ZIP_START:
        if start.startswith(_PICKLE_START):
            return  # a torch file before 1.6: it holds no checksums to check
        if not start:
            raise Damage("empty (0 bytes): not a checkpoint", damaged=False)
        raise Damage(f"not a checkpoint: a torch checkpoint is a zip file, and this one begins "
                     f"with {start!r}", damaged=False)
    records = _records(file, size)
    descriptor = os.open(file, os.O_RDONLY)
    try:
        for record in records:
            if _crc(descriptor, record) != record.crc:
                raise Damage(f"damaged: record {record.name!r} ({record.size} bytes from byte "
                             f"{record.start}) does not match the CRC-32 it was written with")
    finally:
        os.close(descriptor)


class IntegrityCheck:
    """``verify(file)`` running in a thread; ``damage()`` waits for it and gives its finding.

    A plain thread per check (not a pool): a pool's idle workers would not survive the fork of
    a DDP worker.
    """

    def __init__(self, file: Path) -> None:
        self._file = file
        self._found: Damage | None = None
        self._thread = threading.Thread(target=self._run, name="checkpoint-verify", daemon=True)
        self._thread.start()

    def _run(self) -> None:
        try:
            verify(self._file)
        except Damage as damage:
            self._found = damage
        except OSError as exc:
            self._found = Damage(f"unreadable ({exc.strerror or exc})")

    def damage(self) -> Damage | None:
        self._thread.join()
        return self._found
