"""Checkpoint files: written atomically, read with ``weights_only=True``, checked on load."""

from __future__ import annotations

import os
import pickle
import tempfile
import zipfile
from pathlib import Path
from typing import Any

import torch
from pydantic import ValidationError

from schemas.checkpoint import CHECKPOINT_FORMAT_VERSION, CHECKPOINT_KIND, CheckpointManifest
from schemas.errors import CheckpointError

__all__ = ["check_module_keys", "load_checkpoint", "write_atomically"]


def write_atomically(checkpoint: dict[str, Any], path: str | os.PathLike[str]) -> None:
    """Write to a temporary file beside ``path``, fsync, then rename over ``path``.

    A crash at any moment leaves the old file or the new one, never a torn one.
    """
    target = Path(path)
    target.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp = tempfile.mkstemp(prefix=f".{target.name}.", suffix=".tmp", dir=target.parent)
    try:
        with os.fdopen(fd, "wb") as handle:
            torch.save(checkpoint, handle)
            handle.flush()
            os.fsync(handle.fileno())
        os.replace(tmp, target)
    except BaseException:
        Path(tmp).unlink(missing_ok=True)
        raise
    _fsync_dir(target.parent)


def _fsync_dir(directory: Path) -> None:
    try:
        fd = os.open(directory, os.O_RDONLY)
    except OSError:
        return
    try:
        os.fsync(fd)
    finally:
        os.close(fd)


def load_checkpoint(path: str | os.PathLike[str]) -> dict[str, Any]:
    """Read and check a checkpoint; never imports or calls anything named in the file.

    Raises:
        CheckpointError: the file is missing, torn, not a checkpoint, refused as unsafe,
            or of an incompatible format version. The message names the file.
    """
    file = Path(path)
    if not file.is_file():
        raise CheckpointError(f"checkpoint {str(file)!r} does not exist (or is not a file)")
    try:
        checkpoint = torch.load(file, map_location="cpu", weights_only=True)
    except pickle.UnpicklingError as exc:
        reason = str(exc).split("\n")[0]
        raise CheckpointError(
            f"refused to load {str(file)!r}: it is not plain checkpoint data, and loading it "
            f"would import or call code ({reason}). Nothing from it was run."
        ) from None
    except (RuntimeError, EOFError, zipfile.BadZipFile, OSError, ValueError) as exc:
        raise CheckpointError(
            f"{str(file)!r} is not a readable checkpoint: it is torn (a partial write) or not "
            f"a torch file ({type(exc).__name__}: {str(exc)[:120]})"
        ) from None
    _check_manifest(file, checkpoint)
    return checkpoint


def _check_manifest(file: Path, checkpoint: Any) -> None:
    if not isinstance(checkpoint, dict) or "manifest" not in checkpoint:
        raise CheckpointError(
            f"{str(file)!r} is a torch file but not an orchestrator checkpoint (it has no "
            "'manifest'); save checkpoints with Trainer.save_checkpoint"
        )
    try:
        manifest = CheckpointManifest.model_validate(checkpoint["manifest"])
    except ValidationError as exc:
        raise CheckpointError(
            f"{str(file)!r} has a malformed manifest: {exc.errors()[0]['msg']} at "
            f"{exc.errors()[0]['loc']}"
        ) from None
    if manifest.format_version != CHECKPOINT_FORMAT_VERSION:
        raise CheckpointError(
            f"{str(file)!r} uses checkpoint format {manifest.format_version} (written by "
            f"orchestrator {manifest.library_version}); this version reads format "
            f"{CHECKPOINT_FORMAT_VERSION} ({CHECKPOINT_KIND}). Load it with the version that "
            "wrote it"
        )


def check_module_keys(file: str, module: torch.nn.Module, state_dict: dict[str, Any]) -> None:
    """Raise CheckpointError naming missing, unexpected and mis-shaped parameters."""
    own = module.state_dict()
    missing = sorted(set(own) - set(state_dict))
    unexpected = sorted(set(state_dict) - set(own))
    shapes = sorted(
        f"{k} (checkpoint {tuple(state_dict[k].shape)}, model {tuple(own[k].shape)})"
        for k in set(own) & set(state_dict)
        if hasattr(state_dict[k], "shape") and state_dict[k].shape != own[k].shape
    )
    if missing or unexpected or shapes:
        parts = []
        if missing:
            parts.append("missing from the checkpoint: " + ", ".join(missing[:10]))
        if unexpected:
            parts.append("not in the model: " + ", ".join(unexpected[:10]))
        if shapes:
            parts.append("of another shape: " + ", ".join(shapes[:10]))
        raise CheckpointError(
            f"{file!r} was made for another model than {type(module).__name__}; parameters "
            + "; ".join(parts)
        )
