"""The folders a fit will write, checked before it trains: a full epoch must not be lost to a
folder that turns out to be a file, read-only, or on a full disk."""

from __future__ import annotations

import os
from pathlib import Path
from typing import Any

from orchestrator.temp_files import create_beside
from orchestrator.write_errors import folder_refusal
from schemas.errors import ConfigError

__all__ = ["check_output_dirs"]

_PROBE_BYTES = 4096  # a write that needs a block of its own: a full disk refuses it


def check_output_dirs(trainer: Any) -> None:
    """Raise ConfigError naming the argument whose folder cannot be written (no folder is
    created: each is probed at its nearest existing parent)."""
    for argument, folder in _output_dirs(trainer):
        problem = _problem(Path(folder))
        if problem is not None:
            raise ConfigError(f"{argument}={str(folder)!r} cannot be written: {problem}. "
                              "Nothing was trained yet; pass a folder that can be written")


def _output_dirs(trainer: Any) -> list[tuple[str, str]]:
    config, found = trainer.config, []
    found.append(("Trainer(default_root_dir)", str(trainer.default_root_dir)))
    if config.weights_save_path is not None:
        found.append(("Trainer(weights_save_path)", str(config.weights_save_path)))
    callback = trainer.checkpoint_callback
    if callback is not None and getattr(callback, "dirpath", None) is not None:
        found.append((f"{type(callback).__name__}(dirpath)", str(callback.dirpath)))
    for each in getattr(trainer.logger, "loggers", None) or [trainer.logger]:
        save_dir = getattr(each, "save_dir", None) if each is not None else None
        if isinstance(save_dir, str | os.PathLike):
            found.append((f"{type(each).__name__}(save_dir)", os.fspath(save_dir)))
    return found


def _problem(folder: Path) -> str | None:
    """What keeps ``folder`` (or the folders it will be made in) from being written."""
    existing = folder
    while not existing.exists():
        if existing.parent == existing:
            return None
        existing = existing.parent
    if not existing.is_dir():
        where = "it is" if existing == folder else f"{str(existing)!r} in its path is"
        return f"{where} a file, not a folder"
    return _probe(existing)


def _probe(folder: Path) -> str | None:
    try:
        fd, path = create_beside(folder / "probe", prefix=".orchestrator-probe-")
    except OSError as exc:
        return folder_refusal(exc.errno, folder)
    try:
        os.write(fd, b"\0" * _PROBE_BYTES)
        os.fsync(fd)
    except OSError as exc:
        return folder_refusal(exc.errno, folder)
    finally:
        os.close(fd)
        os.unlink(path)
    return None
