"""The hook table is the one list of hooks: the defaults and the dispatcher agree with it."""

from __future__ import annotations

import inspect
from typing import Any

import pytest

import orchestrator as pl
from states.hook_table import HOOKS, Hook, row_of
from states.hooks import HookDispatcher
from tests.helpers import BoringModel, quiet_trainer


def _defaults(cls: type) -> set[str]:
    return {name for name, fn in inspect.getmembers(cls, callable)
            if getattr(fn, "_default_hook", False)}


def test_the_module_defaults_are_the_rows_the_module_receives() -> None:
    assert _defaults(pl.LightningModule) == {str(r.hook) for r in HOOKS if r.to_module}


def test_the_callback_defaults_are_the_rows_callbacks_receive() -> None:
    assert _defaults(pl.Callback) == {str(r.hook) for r in HOOKS if r.to_callbacks}


def _binds(fn: Any, args: tuple[str, ...]) -> bool:
    required = [a for a in args if not a.endswith("?")]
    signature = inspect.signature(fn)
    try:
        signature.bind(None, *required)
        signature.bind(None, *[a.rstrip("?") for a in args])
    except TypeError:
        return False
    return True


@pytest.mark.parametrize("row", [r for r in HOOKS if r.to_module], ids=lambda r: str(r.hook))
def test_a_module_default_takes_the_arguments_its_row_names(row: Any) -> None:
    assert _binds(getattr(pl.LightningModule, row.hook), row.module_args)


@pytest.mark.parametrize("row", [r for r in HOOKS if r.to_callbacks], ids=lambda r: str(r.hook))
def test_a_callback_default_takes_the_arguments_its_row_names(row: Any) -> None:
    assert _binds(getattr(pl.Callback, row.hook), row.callback_args)


def test_every_member_has_one_row_in_call_order() -> None:
    assert [row.hook for row in HOOKS] == [row_of(hook).hook for hook in [r.hook for r in HOOKS]]
    assert {row.hook for row in HOOKS} == set(Hook)


def test_the_dispatcher_takes_only_hook_members() -> None:
    dispatcher = HookDispatcher(object(), BoringModel(), [])
    with pytest.raises(TypeError, match="Hook member"):
        dispatcher.call("on_epoch_end")  # type: ignore[arg-type]
    dispatcher.call(Hook.ON_EPOCH_END)
    with pytest.raises(TypeError, match="Hook member"):
        dispatcher.call("on_epoch_end")  # type: ignore[arg-type] # also once resolved


def test_a_callbacks_only_hook_never_reaches_the_module(tmp_path: Any) -> None:
    called: list[str] = []

    class Module(BoringModel):
        def on_validation_start(self, *args: Any) -> None:  # a callback hook, on a module
            called.append("module")

    class Seen(pl.Callback):
        def on_validation_start(self, trainer: Any, pl_module: Any) -> None:
            called.append("callback")

    quiet_trainer(tmp_path, max_epochs=1, logger=False, checkpoint_callback=False,
                  callbacks=[Seen()]).fit(Module())
    assert called == ["callback"]


def test_the_module_receives_its_arguments_and_callbacks_the_trainer_and_module(
        tmp_path: Any) -> None:
    seen: list[Any] = []

    class Module(BoringModel):
        def on_batch_start(self, batch: Any) -> None:
            seen.append(("module", type(batch).__name__))

    class Seen(pl.Callback):
        def on_batch_start(self, trainer: Any, pl_module: Any) -> None:
            seen.append(("callback", type(trainer).__name__, type(pl_module).__name__))

    quiet_trainer(tmp_path, max_epochs=1, logger=False, checkpoint_callback=False,
                  callbacks=[Seen()]).fit(Module(n=16))
    assert seen == [("callback", "Trainer", "Module"), ("module", "list")]
