"""Hook dispatch: callbacks first, then the module, skipping hooks nobody overrides."""

from __future__ import annotations

from collections.abc import Callable, Sequence
from typing import Any, TypeVar

__all__ = ["HookDispatcher", "default_hook", "overrides"]

F = TypeVar("F", bound=Callable[..., Any])


def default_hook(fn: F) -> F:
    """Mark a base-class hook as the do-nothing default, so dispatch can skip it."""
    fn._default_hook = True  # type: ignore[attr-defined]
    return fn


def overrides(obj: object, name: str) -> bool:
    """Whether ``obj`` has a hook ``name`` that is not a marked default."""
    fn = getattr(type(obj), name, None)
    if fn is None:
        fn = getattr(obj, name, None)
    return fn is not None and not getattr(fn, "_default_hook", False)


_Bound = tuple[tuple[Callable[..., Any], ...], Callable[..., Any] | None]


class HookDispatcher:
    """Calls one hook on every callback that overrides it, then on the module.

    The bound methods are looked up once per hook name, so a per-batch call costs a loop
    over the callbacks that really implement it.
    """

    def __init__(self, trainer: Any, module: Any, callbacks: Sequence[Any]) -> None:
        self.trainer = trainer
        self.module = module
        self.callbacks = list(callbacks)
        self._bound: dict[str, _Bound] = {}

    def _resolve(self, name: str) -> _Bound:
        found = self._bound.get(name)
        if found is None:
            cbs = tuple(getattr(cb, name) for cb in self.callbacks if overrides(cb, name))
            mod = getattr(self.module, name) if overrides(self.module, name) else None
            found = self._bound[name] = (cbs, mod)
        return found

    def call(self, name: str, *args: Any) -> Any:
        """Run ``callback.name(trainer, module)`` for each callback, then ``module.name(*args)``."""
        cbs, mod = self._resolve(name)
        for fn in cbs:
            fn(self.trainer, self.module)
        return mod(*args) if mod is not None else None

    def caller(self, name: str) -> Callable[..., Any] | None:
        """``call`` bound to ``name``, or None when no callback or the module overrides it."""
        cbs, mod = self._resolve(name)
        if not cbs and mod is None:
            return None
        trainer, module = self.trainer, self.module

        def call(*args: Any) -> Any:
            for fn in cbs:
                fn(trainer, module)
            return mod(*args) if mod is not None else None

        return call

    def callbacks_only(self, name: str) -> None:
        """Run a callback-only hook (e.g. ``on_sanity_check_start``)."""
        for fn in self._resolve(name)[0]:
            fn(self.trainer, self.module)

    def module_overrides(self, name: str) -> bool:
        """Whether the module implements ``name`` itself."""
        return self._resolve(name)[1] is not None
