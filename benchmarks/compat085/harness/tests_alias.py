"""Make every ``pytorch_lightning[.X.Y]`` import resolve to ``orchestrator[.X.Y]``.

A meta-path finder at the front of ``sys.meta_path``: the aliased name gets the very module
object of the orchestrator name (``sys.modules['pytorch_lightning.X'] is
sys.modules['orchestrator.X']``), so mock.patch, isinstance and monkeypatch see one module.
"""

import importlib
import importlib.abc
import importlib.util
import sys

SRC = "pytorch_lightning"
DST = "orchestrator"


class _AliasLoader(importlib.abc.Loader):
    def __init__(self, target: str):
        self.target = target
        self._spec = None

    def create_module(self, spec):
        module = importlib.import_module(self.target)
        self._spec = module.__spec__
        return module

    def exec_module(self, module):
        # the import system overwrote __spec__ with the alias's spec: give the module its own back
        if self._spec is not None:
            module.__spec__ = self._spec


class AliasFinder(importlib.abc.MetaPathFinder):
    def find_spec(self, fullname, path=None, target=None):
        if fullname != SRC and not fullname.startswith(SRC + "."):
            return None
        real = DST + fullname[len(SRC):]
        if real in sys.modules:
            real_spec = sys.modules[real].__spec__
        else:
            try:
                real_spec = importlib.util.find_spec(real)
            except (ImportError, ValueError):
                return None
        if real_spec is None:
            return None
        is_pkg = real_spec.submodule_search_locations is not None
        return importlib.util.spec_from_loader(fullname, _AliasLoader(real), is_package=is_pkg)


def install() -> None:
    if any(isinstance(f, AliasFinder) for f in sys.meta_path):
        return
    for name in [n for n in sys.modules if n == SRC or n.startswith(SRC + ".")]:
        del sys.modules[name]  # a real pytorch_lightning imported before us must not linger
    sys.meta_path.insert(0, AliasFinder())
    import pytorch_lightning  # noqa: F401 - resolves to orchestrator

    # alias the orchestrator modules already imported, so sys.modules has both names
    for name, module in list(sys.modules.items()):
        if name == DST or name.startswith(DST + "."):
            sys.modules.setdefault(SRC + name[len(DST):], module)
