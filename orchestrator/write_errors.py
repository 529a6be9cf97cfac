"""Why a checkpoint could not be written, in words that name the file and the fix."""

from __future__ import annotations

import errno
import os
import shutil
from collections.abc import Mapping
from pathlib import Path
from typing import Any

import torch

from schemas.errors import CheckpointWriteError

__all__ = ["folder_refusal", "is_write_failure", "write_error"]

# torch's zip writer reports a short write (a full disk) as a RuntimeError with these words
_TORCH_WRITE_FAILURES = ("inline_container", "file write failed", "unexpected pos")
_KEPT = ("Nothing partial was left, and the checkpoints written before were kept")


def is_write_failure(exc: BaseException) -> bool:
    """Whether ``exc`` is the file system refusing a write (not a bad checkpoint body)."""
    if isinstance(exc, OSError):
        return True
    return isinstance(exc, RuntimeError) and any(w in str(exc) for w in _TORCH_WRITE_FAILURES)


def write_error(target: Path, exc: BaseException, body: Any) -> CheckpointWriteError:
    """The error to raise for ``exc``, met writing ``body`` to ``target``."""
    folder = _existing_folder(target)
    free = shutil.disk_usage(folder).free if folder is not None else None
    needed = _tensor_bytes(body)
    number = exc.errno if isinstance(exc, OSError) else None
    if number == errno.ENOSPC or (free is not None and free < needed):
        reason = (f"the disk is full: {_size(free or 0)} free in {str(folder)!r}, and the "
                  f"checkpoint needs about {_size(needed)}")
        fix = "free some space, or save elsewhere (default_root_dir=, ModelCheckpoint(dirpath=))"
    elif number in _FIXES:
        reason, fix = folder_refusal(number, folder or target.parent), _FIXES[number]
    else:
        reason, fix = f"{type(exc).__name__}: {exc}", "check the disk and the folder"
    error = CheckpointWriteError(f"could not write the checkpoint {str(target)!r}: {reason}. "
                                 f"{_KEPT}; {fix}")
    error.errno = number or errno.EIO
    return error


_FIXES = {errno.EROFS: "save elsewhere",
          errno.EACCES: "give it write permission or save elsewhere",
          errno.EPERM: "give it write permission or save elsewhere",
          errno.ENOTDIR: "remove that file or save elsewhere",
          errno.EEXIST: "remove that file or save elsewhere"}


def folder_refusal(number: int | None, folder: Path) -> str:
    """Why the file system refused a write in ``folder``, by the error's number."""
    if number == errno.ENOSPC:
        return f"the disk of {str(folder)!r} is full"
    if number == errno.EROFS:
        return f"{str(folder)!r} is on a read-only file system"
    if number in (errno.EACCES, errno.EPERM):
        return f"{str(folder)!r} may not be written by this user"
    if number in (errno.ENOTDIR, errno.EEXIST):
        return "a part of its folder path is a file, not a folder"
    return f"{os.strerror(number) if number else 'an unknown error'} in {str(folder)!r}"


def _existing_folder(target: Path) -> Path | None:
    """The nearest folder above ``target`` that exists (its disk is the one written to)."""
    for folder in target.parents:
        if folder.is_dir():
            return folder
    return None


def _tensor_bytes(value: Any) -> int:
    """The bytes of the tensors ``value`` holds (each storage once): about a file's size."""
    seen: dict[int, int] = {}
    stack = [value]
    while stack:
        item = stack.pop()
        if isinstance(item, torch.Tensor):
            storage = item.untyped_storage()
            seen[storage.data_ptr() or id(storage)] = storage.nbytes()
        elif isinstance(item, Mapping):
            stack.extend(item.values())
        elif isinstance(item, list | tuple):
            stack.extend(item)
    return sum(seen.values())


def _size(count: float) -> str:
    for unit in ("bytes", "KB", "MB", "GB"):
        if count < 1000 or unit == "GB":
            return f"{count:.0f} {unit}" if unit == "bytes" else f"{count:.1f} {unit}"
        count /= 1000
    return f"{count:.1f} TB"
