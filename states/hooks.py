"""Hook dispatch by the hook table: callbacks first, then the module, skipping default hooks."""

from __future__ import annotations

import functools
import inspect
from collections.abc import Callable, Sequence
from contextlib import AbstractContextManager
from typing import Any, Protocol, TypeVar

from states.hook_table import Hook, HookRow, row_of

__all__ = ["HookDispatcher", "Profiler", "default_hook", "overrides", "timed"]

F = TypeVar("F", bound=Callable[..., Any])


class Profiler(Protocol):
    """What dispatch needs of a profiler (``orchestrator.profiler.BaseProfiler``)."""

    def profile(self, action_name: str) -> AbstractContextManager[Any]: ...


def default_hook(fn: F) -> F:
    """Mark a base-class hook as the do-nothing default, so dispatch can skip it (a test keeps
    the marked defaults of ``LightningModule`` and ``Callback`` equal to the hook table)."""
    fn._default_hook = True  # type: ignore[attr-defined]
    return fn


def overrides(obj: object, hook: Hook) -> bool:
    """Whether ``obj`` has the hook ``hook`` other than its marked default. An attribute set on
    the instance counts (0.8 code assigns methods, or None to remove one)."""
    fn = getattr(obj, hook, None)
    return fn is not None and not getattr(fn, "_default_hook", False)


# the callbacks' calls (each takes the hook's arguments), and the module's bound method (or None)
_Bound = tuple[tuple[Callable[..., Any], ...], Callable[..., Any] | None]


class HookDispatcher:
    """Calls a hook on the receivers its row names: every callback that overrides it, then
    the module (with the hook's arguments).

    A callback gets what its row names, ``(trainer, pl_module)`` plus any of the hook's own
    arguments (``stage`` for ``setup`` and ``teardown``), matched to its method's signature:
    a 0.8.5 ``teardown(self, trainer, stage)`` gets the stage, a ``on_fit_start(self,
    trainer)`` only the trainer. The calls are prepared once per hook, so a per-batch call
    costs a loop over the callbacks that really implement it. Only ``Hook`` members are
    accepted.
    """

    def __init__(self, trainer: object, module: object, callbacks: Sequence[object],
                 profiler: Profiler | None = None) -> None:
        self.trainer = trainer
        self.module = module
        self.callbacks = list(callbacks)
        self.profiler = profiler  # when given, every hook call is timed under its name
        self._bound: dict[Hook, _Bound] = {}

    def _resolve(self, hook: Hook) -> _Bound:
        if type(hook) is not Hook:
            raise TypeError(f"hooks are dispatched by Hook member, got {hook!r}")
        found = self._bound.get(hook)
        if found is None:
            row = row_of(hook)
            cbs = tuple(self._callback_call(getattr(cb, hook), row) for cb in self.callbacks
                        if overrides(cb, hook)) if row.to_callbacks else ()
            mod = getattr(self.module, hook) \
                if row.to_module and overrides(self.module, hook) else None
            if self.profiler is not None:
                cbs = tuple(timed(self.profiler, f"{hook}", fn) for fn in cbs)
                mod = timed(self.profiler, f"{hook}", mod) if mod is not None else None
            found = self._bound[hook] = (cbs, mod)
        return found

    def _callback_call(self, fn: Callable[..., Any], row: HookRow) -> Callable[..., Any]:
        """``fn`` as a function of the hook's arguments, given what its signature asks for."""
        known = {"trainer": self.trainer, "pl_module": self.module}
        extra = [name for name in row.callback_args if name not in known]
        wanted = _wanted(fn, row.callback_args)
        if not extra:  # the usual (trainer, pl_module): bound once, called without arguments
            bound = functools.partial(fn, *[known[name] for name in wanted])
            return lambda *args: bound()
        positions = [row.module_args.index(name) for name in extra]

        def call(*args: Any) -> Any:
            values = {**known, **{name: args[i] for name, i in zip(extra, positions)}}
            return fn(*[values[name] for name in wanted])

        return call

    def call(self, hook: Hook, *args: Any) -> Any:
        """Run the callbacks' ``hook``, then ``module.hook(*args)``; returns what the module
        returned (None when it does not override the hook)."""
        cbs, mod = self._resolve(hook)
        for fn in cbs:
            fn(*args)
        return mod(*args) if mod is not None else None

    def caller(self, hook: Hook) -> Callable[..., Any] | None:
        """``call`` bound to ``hook`` (for per-batch hooks), or None when nobody overrides it."""
        cbs, mod = self._resolve(hook)
        if not cbs and mod is None:
            return None
        if not cbs:
            return mod

        def call(*args: Any) -> Any:
            for fn in cbs:
                fn(*args)
            return mod(*args) if mod is not None else None

        return call

    def module_hook(self, hook: Hook) -> Callable[..., Any] | None:
        """The module's own ``hook`` (a bound method), or None when it keeps the default."""
        return self._resolve(hook)[1]


def timed(profiler: Profiler, action: str, fn: Callable[..., Any]) -> Callable[..., Any]:
    """``fn``, each call timed by ``profiler`` as one occurrence of ``action``."""
    @functools.wraps(fn)
    def timed(*args: Any) -> Any:
        with profiler.profile(action):
            return fn(*args)

    return timed


def _wanted(fn: Callable[..., Any], names: tuple[str, ...]) -> list[str]:
    """Which of the row's ``names`` to pass ``fn``, in its order: its parameters by name when
    they are all among them, else as many of them as it requires, in the row's order."""
    try:
        parameters = list(inspect.signature(fn).parameters.values())
    except (TypeError, ValueError):
        return list(names)
    if any(p.kind is p.VAR_POSITIONAL for p in parameters):
        return list(names)
    positional = [p for p in parameters if p.kind in (p.POSITIONAL_ONLY, p.POSITIONAL_OR_KEYWORD)]
    if all(p.name in names for p in positional):
        return [p.name for p in positional]
    return list(names)[:sum(p.default is p.empty for p in positional)]
