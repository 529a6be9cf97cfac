"""A temporary file beside a target, to be renamed over it once complete."""

from __future__ import annotations

import os
import secrets
from pathlib import Path

__all__ = ["create_beside"]


def create_beside(target: Path, prefix: str, suffix: str = "") -> tuple[int, str]:
    """A new, empty file in ``target``'s folder, open for writing: its descriptor and path.

    Its mode is 0666 less the umask, as ``open()`` and ``torch.save`` give (``tempfile.mkstemp``
    gives 0600, which keeps a teammate on a shared disk from reading the renamed file).
    """
    while True:
        path = target.parent / f"{prefix}{secrets.token_hex(6)}{suffix}"
        try:
            return os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o666), str(path)
        except FileExistsError:
            continue
