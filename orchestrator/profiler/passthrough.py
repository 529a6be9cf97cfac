"""PassThroughProfiler: the default profiler, which records nothing and costs next to nothing."""

from __future__ import annotations

from collections.abc import Iterable, Iterator
from contextlib import AbstractContextManager
from typing import ClassVar, TypeVar

from orchestrator.profiler.base import BaseProfiler

__all__ = ["PassThroughProfiler"]

T = TypeVar("T")


class _NoOp(AbstractContextManager[None]):
    """A stateless context that does nothing; one instance serves every ``profile()`` call."""

    __slots__ = ()

    def __enter__(self) -> None:
        return None

    def __exit__(self, *exc_info: object) -> None:
        return None


class PassThroughProfiler(BaseProfiler):
    """A profiler whose every method does nothing; the Trainer's default.

    ``profile()`` returns one shared no-op context (which yields None, not the action's name)
    and ``profile_iterable()`` returns a plain iterator, so profiling calls left in a hot loop
    cost a method call and nothing more.

    Example:
        >>> profiler = PassThroughProfiler()
        >>> with profiler.profile("model_forward"):
        ...     pass
        >>> profiler.summary()
        ''
    """

    _NOOP: ClassVar[_NoOp] = _NoOp()

    def __init__(self) -> None:
        super().__init__(output_streams=())

    def start(self, action_name: str) -> None:
        """Do nothing."""

    def stop(self, action_name: str) -> None:
        """Do nothing."""

    def cancel(self, action_name: str) -> None:
        """Do nothing."""

    def profile(self, action_name: str) -> AbstractContextManager[None]:
        """The shared no-op context."""
        return self._NOOP

    def profile_iterable(self, iterable: Iterable[T], action_name: str) -> Iterator[T]:
        """A plain iterator over ``iterable``."""
        return iter(iterable)

    def summary(self) -> str:
        """Nothing was recorded: the empty string."""
        return ""

    def describe(self) -> None:
        """Write nothing."""
