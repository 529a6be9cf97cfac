"""The name tables of docs/porting.md are true: every name marked "same" or "different" resolves
in orchestrator at the path 0.8.5 had, and none marked "not offered" does."""

from __future__ import annotations

import importlib
import inspect
import re
import types
from pathlib import Path
from typing import Any

import pytest

import orchestrator
from tests.helpers import BoringModel, quiet_trainer

PAGE = Path(__file__).resolve().parent.parent / "docs" / "porting.md"
STATUSES = ("same", "different", "not offered")
_ROW = re.compile(r"^\|\s*`([^`]+)`\s*\|\s*([a-z ]+?)\s*\|")
_ARGUMENT = re.compile(r"^Trainer\((\w+)\)$")


def _rows() -> list[tuple[str, str]]:
    """(name, status) for each row between the page's ``names:start`` and ``names:end``."""
    text = PAGE.read_text()
    body = text.split("<!-- names:start -->")[1].split("<!-- names:end -->")[0]
    rows = []
    for line in body.splitlines():
        match = _ROW.match(line)
        if match:
            rows.append((match.group(1), match.group(2)))
    return rows


ROWS = _rows()


@pytest.fixture(scope="module")
def instances(tmp_path_factory: pytest.TempPathFactory) -> dict[type, Any]:
    """A Trainer and a module after a fit and a test, for attributes set on instances."""
    trainer = quiet_trainer(tmp_path_factory.mktemp("porting"), max_epochs=1, logger=False,
                            checkpoint_callback=False)
    model = BoringModel(batch_size=16, n=32)
    trainer.fit(model)
    trainer.test()
    return {orchestrator.Trainer: trainer, orchestrator.LightningModule: model}


def _has(obj: Any, name: str) -> bool:
    try:
        getattr(obj, name)
    except AttributeError:
        return False
    except Exception:  # a property that fails on this instance still exists
        return True
    return True


def _resolves(dotted: str, instances: dict[type, Any]) -> bool:
    """Whether ``orchestrator.<dotted>`` names something: an attribute, a submodule, or an
    attribute of an instance of the Trainer or the LightningModule."""
    argument = _ARGUMENT.match(dotted)
    if argument:
        return argument.group(1) in inspect.signature(orchestrator.Trainer).parameters
    obj: Any = orchestrator
    for part in dotted.split("."):
        if _has(obj, part):
            obj = getattr(obj, part)
        elif isinstance(obj, types.ModuleType) and hasattr(obj, "__path__"):
            try:
                obj = importlib.import_module(f"{obj.__name__}.{part}")
            except ModuleNotFoundError as exc:
                if exc.name != f"{obj.__name__}.{part}":
                    raise
                return False
        elif isinstance(obj, type) and any(_has(instance, part) for cls, instance
                                           in instances.items() if issubclass(obj, cls)):
            return True
        else:
            return False
    return True


def test_the_tables_are_regular() -> None:
    assert len(ROWS) > 500
    assert {status for _, status in ROWS} == set(STATUSES)
    names = [name for name, _ in ROWS]
    assert len(names) == len(set(names)), "a name appears twice"


@pytest.mark.parametrize(("name", "status"), ROWS, ids=[name for name, _ in ROWS])
def test_the_status_of_each_name_is_true(name: str, status: str,
                                         instances: dict[type, Any]) -> None:
    offered = _resolves(name, instances)
    if status == "not offered":
        assert not offered, f"{name} is offered now: mark it 'same' or 'different'"
    else:
        assert offered, f"{name} is marked {status!r}, but orchestrator.{name} does not resolve"
