"""Every package's ``__all__`` is honest; ``import orchestrator as pl`` gives the seed's names."""

from __future__ import annotations

import importlib
import pkgutil

import pytest

PACKAGES = ("orchestrator", "states", "backends", "schemas")


def _modules() -> list[str]:
    names = []
    for package in PACKAGES:
        names.append(package)
        module = importlib.import_module(package)
        names += [f"{package}.{info.name}" for info in pkgutil.walk_packages(module.__path__)
                  if info.name not in ("__main__",)]
    return names


@pytest.mark.parametrize("name", _modules())
def test_every_name_in_all_exists(name: str) -> None:
    module = importlib.import_module(name)
    exported = getattr(module, "__all__", None)
    if name.split(".")[0] != name and exported is None:
        pytest.skip(f"{name} exports nothing")
    assert exported is not None, f"{name} has no __all__"
    missing = [item for item in exported if not hasattr(module, item)]
    assert not missing, f"{name}.__all__ names what it does not define: {missing}"


def test_seed_era_names() -> None:
    import orchestrator as pl

    assert {"LightningModule", "Trainer", "seed_everything", "callbacks", "loggers"} <= set(
        pl.__all__)
    assert {"Callback", "EarlyStopping", "ModelCheckpoint"} <= set(pl.callbacks.__all__)
    assert "TensorBoardLogger" in pl.loggers.__all__


def test_every_exception_is_public_and_the_same_class_everywhere() -> None:
    import orchestrator as pl
    import schemas
    from orchestrator import exceptions
    from schemas import errors

    assert set(errors.__all__) <= set(schemas.__all__)
    assert set(errors.__all__) == set(exceptions.__all__)
    for name in errors.__all__:
        assert getattr(exceptions, name) is getattr(errors, name) is getattr(pl, name)
        assert name in pl.__all__
