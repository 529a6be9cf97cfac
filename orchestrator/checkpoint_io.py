"""Checkpoint files: written atomically, read with ``weights_only=True``, checked on load."""

from __future__ import annotations

import argparse
import collections
import contextlib
import os
import pathlib
import pickle
import pickletools
import shutil
import tempfile
import urllib.error
import urllib.request
import warnings
import zipfile
from collections.abc import Iterator
from pathlib import Path
from typing import Any, NoReturn

import torch
from pydantic import ValidationError

from orchestrator.checkpoint_verify import IntegrityCheck
from orchestrator.temp_files import create_beside
from orchestrator.write_errors import is_write_failure, write_error
from schemas.checkpoint import (
    CHECKPOINT_FORMAT_VERSION,
    CHECKPOINT_KIND,
    CheckpointManifest,
    body_problems,
)
from schemas.errors import CheckpointError, CheckpointNotFoundError

# a sharded checkpoint's folder: the body without the sharded sections (which it lists),
# and the shards
SHARDED_META, SHARDED_SHARDS, SHARDED_LIST = "meta.ckpt", "shards", "sharded_sections"

__all__ = ["SHARDED_LIST", "SHARDED_META", "SHARDED_SHARDS", "check_module_keys", "load_checkpoint",
           "load_module_checkpoint", "write_atomically"]


def write_atomically(checkpoint: dict[str, Any], path: str | os.PathLike[str]) -> None:
    """Write to a temporary file beside ``path``, fsync, then rename over ``path``.

    A crash at any moment leaves the old file or the new one, never a torn one.

    Raises:
        CheckpointWriteError: the file system refused the write (disk full, read-only, no
            permission, a file in the folder path); the message names the file, and nothing
            partial is left.
    """
    target = Path(path)
    tmp: str | None = None
    try:
        target.parent.mkdir(parents=True, exist_ok=True)
        fd, tmp = create_beside(target, prefix=f".{target.name}.", suffix=".tmp")
        with os.fdopen(fd, "wb") as handle:
            torch.save(checkpoint, handle)
            handle.flush()
            os.fsync(handle.fileno())
        os.replace(tmp, target)
    except BaseException as exc:
        if tmp is not None:
            Path(tmp).unlink(missing_ok=True)
        if is_write_failure(exc):
            raise write_error(target, exc, checkpoint) from exc
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


def load_checkpoint(path: str | os.PathLike[str], map_location: Any = "cpu") -> dict[str, Any]:
    """Read and check a checkpoint; never imports or calls anything named in the file.

    Raises:
        CheckpointError: the file is missing, torn, not a checkpoint, refused as unsafe,
            or of an incompatible format version, or a section of its body is missing or
            malformed. The message names the file.
    """
    with _local(path) as (file, name):
        return _checked(name, _read(file, map_location, name))


@contextlib.contextmanager
def _local(path: str | os.PathLike[str]) -> Iterator[tuple[Path, str]]:
    """The file to read and the name errors give: a URL (http, https: 0.8.5 read them too) is
    fetched into a temporary file first, and errors name the URL."""
    text = os.fspath(path)
    if not text.startswith(("http://", "https://")):
        yield Path(text), text
        return
    with tempfile.TemporaryDirectory(prefix="orchestrator-url-") as folder:
        file = Path(folder) / "checkpoint.ckpt"
        try:
            with urllib.request.urlopen(text, timeout=60) as response, open(file, "wb") as out:
                shutil.copyfileobj(response, out)
        except urllib.error.HTTPError as exc:
            kind = CheckpointNotFoundError if exc.code in (404, 410) else CheckpointError
            raise kind(
                f"checkpoint {text!r} could not be fetched (HTTP {exc.code} {exc.reason}); "
                "check the URL, or download the file and pass its path") from None
        except (urllib.error.URLError, OSError) as exc:
            raise CheckpointError(
                f"checkpoint {text!r} could not be fetched ({exc}); check the URL and the "
                "network, or download the file and pass its path") from None
        yield file, text



def load_module_checkpoint(path: str | os.PathLike[str], map_location: Any = None
                           ) -> dict[str, Any]:
    """Read a checkpoint to build a module from: one of ours (checked as ``load_checkpoint``
    checks it), or a file written by Lightning 0.8 (``state_dict`` and its hyperparameter keys;
    its ``AttributeDict`` and ``Namespace`` values are read as plain data, no code is run).

    Raises:
        CheckpointError: as ``load_checkpoint``; or the file has no ``state_dict``.
    """
    with _local(path) as (file, name), torch.serialization.safe_globals(_LIGHTNING_GLOBALS):
        checkpoint = _read(file, "cpu" if map_location is None else map_location, name)
    if isinstance(checkpoint, dict) and "manifest" in checkpoint:
        return _checked(name, checkpoint)
    if not isinstance(checkpoint, dict) or "state_dict" not in checkpoint:
        raise CheckpointError(
            f"{name!r} is a torch file but no checkpoint: it has neither an orchestrator "
            "manifest nor a 'state_dict'; save checkpoints with Trainer.save_checkpoint"
        )
    return checkpoint


# what Lightning 0.8 pickled into its checkpoints besides tensors and containers, read as the
# plain values they hold (its AttributeDict as a dict; a Namespace, a path as themselves)
_LIGHTNING_GLOBALS: list[Any] = [
    (collections.OrderedDict, "pytorch_lightning.utilities.parsing.AttributeDict"),
    argparse.Namespace, pathlib.PosixPath, pathlib.PurePosixPath, pathlib.WindowsPath,
    pathlib.PureWindowsPath,
    dict,  # 'hparams_type' when the hyperparameters were a dict
]


def _read(file: Path, map_location: Any, name: str) -> Any:
    """``torch.load`` with ``weights_only``, while a thread checks every record's CRC-32: a
    damaged record is reported as such, before whatever torch made of it. A sharded
    checkpoint (a folder: ``meta.ckpt`` and the ranks' ``shards``) is read whole."""
    if file.is_dir() and (file / SHARDED_META).is_file():
        from backends.shards import read_full_shards  # torch.distributed.checkpoint: on use

        body = _read(file / SHARDED_META, map_location, name)
        sections = read_full_shards(file / SHARDED_SHARDS, name)
        for key in body.pop(SHARDED_LIST, []):
            body[key] = sections.get(key, {})  # an empty section: DCP wrote nothing of it
        return body
    if not file.is_file():
        raise CheckpointNotFoundError(
            f"checkpoint {name!r} does not exist (or is not a file)")
    check = IntegrityCheck(file)
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore", UserWarning)  # torch's advice is in our refusal
            loaded = torch.load(file, map_location=map_location, weights_only=True)
    except Exception as exc:  # torch raises many kinds on a torn or foreign file
        _raise_damage(check, name)
        _raise_unreadable(file, name, exc)
    _raise_damage(check, name)
    return loaded


def _raise_damage(check: IntegrityCheck, name: str) -> None:
    damage = check.damage()
    if damage is None:
        return
    advice = "load an earlier checkpoint, or a copy of this one" if damage.damaged \
        else "pass a file written by Trainer.save_checkpoint"
    raise CheckpointError(f"{name!r} is {damage}. Nothing from it was used; {advice}")


def _raise_unreadable(file: Path, name: str, exc: Exception) -> NoReturn:
    if isinstance(exc, pickle.UnpicklingError):
        code = _foreign_globals(file)
        if code:
            raise CheckpointError(
                f"refused to load {name!r}: loading it would import or call code "
                f"({', '.join(code[:5])}), which a checkpoint never needs. Nothing from it "
                "was run; load only checkpoints written by Trainer.save_checkpoint"
            ) from None
        raise CheckpointError(
            f"{name!r} is not a readable checkpoint: it is torn or not checkpoint data "
            f"({_unpickler_reason(exc)}). Nothing from it was run"
        ) from None
    raise CheckpointError(
        f"{name!r} is not a readable checkpoint: it is torn (a partial write) or not "
        f"a torch file ({type(exc).__name__}: {_shortened(str(exc))})"
    ) from None


def _shortened(text: str, most: int = 160) -> str:
    """``text`` cut at a word boundary, marked as cut."""
    line = " ".join(text.split())
    return line if len(line) <= most else line[:most].rsplit(" ", 1)[0] + " ..."


def _checked(name: str, checkpoint: Any) -> dict[str, Any]:
    manifest = _check_manifest(name, checkpoint)
    problems = body_problems(checkpoint, manifest.weights_only)
    if problems:
        raise CheckpointError(
            f"{name!r} is not a usable checkpoint: " + "; ".join(problems)
            + ". It was not written by this version's Trainer.save_checkpoint, or was damaged"
        )
    return checkpoint  # type: ignore[no-any-return]


_SAFE_PREFIXES = ("torch.", "collections.OrderedDict", "builtins.set")


def _pickle_bytes(file: Path) -> bytes:
    if zipfile.is_zipfile(file):
        with zipfile.ZipFile(file) as archive:
            members = [n for n in archive.namelist() if n.endswith("data.pkl")]
            return archive.read(members[0]) if members else b""
    return file.read_bytes()


def _foreign_globals(file: Path) -> list[str]:
    """Names of importable objects the pickle refers to, found without unpickling it."""
    found: list[str] = []
    strings: list[str] = []
    try:
        for opcode, arg, _ in pickletools.genops(_pickle_bytes(file)):
            if isinstance(arg, str):
                strings.append(arg)
            if opcode.name == "GLOBAL":
                found.append(str(arg).replace(" ", "."))
            elif opcode.name == "STACK_GLOBAL" and len(strings) >= 2:
                found.append(".".join(strings[-2:]))
    except Exception:  # a torn or foreign stream: report what was found before it broke
        pass
    return [name for name in dict.fromkeys(found) if not name.startswith(_SAFE_PREFIXES)]


def _unpickler_reason(exc: Exception) -> str:
    lines = [line.strip() for line in str(exc).splitlines() if line.strip()]
    detail = [line for line in lines if not line.startswith(("Weights only", "Please file",
                                                             "Check the documentation"))]
    return detail[-1] if detail else type(exc).__name__


def _check_manifest(name: str, checkpoint: Any) -> CheckpointManifest:
    if not isinstance(checkpoint, dict) or "manifest" not in checkpoint:
        raise CheckpointError(
            f"{name!r} is a torch file but not an orchestrator checkpoint (it has no "
            "'manifest'); save checkpoints with Trainer.save_checkpoint"
        )
    try:
        manifest = CheckpointManifest.model_validate(checkpoint["manifest"])
    except ValidationError as exc:
        raise CheckpointError(
            f"{name!r} has a malformed manifest: {exc.errors()[0]['msg']} at "
            f"{exc.errors()[0]['loc']}"
        ) from None
    if manifest.format_version != CHECKPOINT_FORMAT_VERSION:
        raise CheckpointError(
            f"{name!r} uses checkpoint format {manifest.format_version} (written by "
            f"orchestrator {manifest.library_version}); this version reads format "
            f"{CHECKPOINT_FORMAT_VERSION} ({CHECKPOINT_KIND}). Load it with the version that "
            "wrote it"
        )
    return manifest


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
