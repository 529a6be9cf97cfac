"""Hook dispatch by the hook table: callbacks first, then the module, skipping default hooks."""

from __future__ import annotations

from collections.abc import Callable, Sequence
from typing import Any, TypeVar

from states.hook_table import Hook, row_of

__all__ = ["HookDispatcher", "default_hook", "overrides"]

F = TypeVar("F", bound=Callable[..., Any])


def default_hook(fn: F) -> F:
    """Mark a base-class hook as the do-nothing default, so dispatch can skip it (a test keeps
    the marked defaults of ``LightningModule`` and ``Callback`` equal to the hook table)."""
    fn._default_hook = True  # type: ignore[attr-defined]
    return fn


def overrides(obj: object, hook: Hook) -> bool:
    """Whether ``obj`` has the hook ``hook`` other than its marked default."""
    fn = getattr(type(obj), hook, None)
    if fn is None:
        fn = getattr(obj, hook, None)
    return fn is not None and not getattr(fn, "_default_hook", False)


_Bound = tuple[tuple[Callable[..., Any], ...], Callable[..., Any] | None]


class HookDispatcher:
    """Calls a hook on the receivers its row names: every callback that overrides it (with
    ``(trainer, pl_module)``), then the module (with the hook's arguments).

    The bound methods are looked up once per hook, so a per-batch call costs a loop over the
    callbacks that really implement it. Only ``Hook`` members are accepted.
    """

    def __init__(self, trainer: object, module: object, callbacks: Sequence[object]) -> None:
        self.trainer = trainer
        self.module = module
        self.callbacks = list(callbacks)
        self._bound: dict[Hook, _Bound] = {}

    def _resolve(self, hook: Hook) -> _Bound:
        if type(hook) is not Hook:
            raise TypeError(f"hooks are dispatched by Hook member, got {hook!r}")
        found = self._bound.get(hook)
        if found is None:
            row = row_of(hook)
            cbs = tuple(getattr(cb, hook) for cb in self.callbacks
                        if overrides(cb, hook)) if row.to_callbacks else ()
            mod = getattr(self.module, hook) \
                if row.to_module and overrides(self.module, hook) else None
            found = self._bound[hook] = (cbs, mod)
        return found

    def call(self, hook: Hook, *args: Any) -> Any:
        """Run the callbacks' ``hook(trainer, module)``, then ``module.hook(*args)``; returns
        what the module returned (None when it does not override the hook)."""
        cbs, mod = self._resolve(hook)
        for fn in cbs:
            fn(self.trainer, self.module)
        return mod(*args) if mod is not None else None

    def caller(self, hook: Hook) -> Callable[..., Any] | None:
        """``call`` bound to ``hook`` (for per-batch hooks), or None when nobody overrides it."""
        cbs, mod = self._resolve(hook)
        if not cbs and mod is None:
            return None
        if not cbs:
            return mod
        trainer, module = self.trainer, self.module

        def call(*args: Any) -> Any:
            for fn in cbs:
                fn(trainer, module)
            return mod(*args) if mod is not None else None

        return call

    def module_hook(self, hook: Hook) -> Callable[..., Any] | None:
        """The module's own ``hook`` (a bound method), or None when it keeps the default."""
        return self._resolve(hook)[1]
