"""Run a Lightning 0.8 program unchanged: ``pytorch_lightning`` (and every submodule of it)
resolves to ``orchestrator`` (the same module objects).

Usage: ``python -m tests.programs085.lightning_alias PROGRAM.py [ARGS...]``
"""

from __future__ import annotations

import importlib
import importlib.abc
import importlib.machinery
import runpy
import sys
from types import ModuleType

ALIAS, REAL = "pytorch_lightning", "orchestrator"


class _Alias(importlib.abc.MetaPathFinder, importlib.abc.Loader):
    """Finds ``pytorch_lightning[.x.y]`` as ``orchestrator[.x.y]``."""

    def find_spec(self, fullname: str, path: object, target: object = None
                  ) -> importlib.machinery.ModuleSpec | None:
        if fullname != ALIAS and not fullname.startswith(ALIAS + "."):
            return None
        return importlib.machinery.ModuleSpec(fullname, self)

    def create_module(self, spec: importlib.machinery.ModuleSpec) -> ModuleType:
        return importlib.import_module(REAL + spec.name[len(ALIAS):])

    def exec_module(self, module: ModuleType) -> None:  # already executed as orchestrator.*
        pass


def install() -> None:
    """Make ``import pytorch_lightning...`` give orchestrator's modules."""
    if not any(isinstance(finder, _Alias) for finder in sys.meta_path):
        sys.meta_path.insert(0, _Alias())


if __name__ == "__main__":
    install()
    program, sys.argv = sys.argv[1], sys.argv[1:]
    runpy.run_path(program, run_name="__main__")
