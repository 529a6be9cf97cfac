"""The run folder loggers write under: ``save_dir/name/version_N`` (0.8.5's layout)."""

from __future__ import annotations

import os
import re
from typing import Any

__all__ = ["VersionedFolder"]


class VersionedFolder:
    """``save_dir``, ``name`` (None or '' for none) and ``version`` (an int: ``version_N``; a
    string: the folder's name; None: the next free ``version_N``, chosen on first use)."""

    def __init__(self, save_dir: str | os.PathLike[str], name: str | None,
                 version: int | str | None) -> None:
        self._save_dir = os.fspath(save_dir)
        self._name = name or ""
        self._version = version

    @property
    def save_dir(self) -> str:
        return self._save_dir

    @property
    def name(self) -> str:
        return self._name

    @property
    def version(self) -> int | str:
        if self._version is None:
            self._version = self._next_version()
        return self._version

    @property
    def root_dir(self) -> str:
        return os.path.join(self.save_dir, self.name) if self.name else self.save_dir

    @property
    def log_dir(self) -> str:
        """Where this run's files are written."""
        version = self.version
        folder = version if isinstance(version, str) else f"version_{version}"
        return os.path.join(self.root_dir, folder)

    def continues(self, state: dict[str, Any]) -> bool:
        """Take the folder of the run ``state`` names (a resumed fit, a DDP worker's run),
        when it has this name and no other version was chosen; whether it did."""
        if state["name"] != self.name or self._version not in (None, state["version"]):
            return False
        self._version = state["version"]
        return True

    def _next_version(self) -> int:
        if not os.path.isdir(self.root_dir):
            return 0
        found = [int(m.group(1)) for d in os.listdir(self.root_dir)
                 if (m := re.fullmatch(r"version_(\d+)", d))]
        return max(found) + 1 if found else 0
