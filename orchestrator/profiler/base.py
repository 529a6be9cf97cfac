"""BaseProfiler: the interface every profiler implements, and its context and iterable helpers."""

from __future__ import annotations

from abc import ABC, abstractmethod
from collections.abc import Iterable, Iterator, Sequence
from contextlib import AbstractContextManager
from typing import TypeVar

from orchestrator.profiler.streams import OutputStream, as_streams, write_report

__all__ = ["BaseProfiler"]

T = TypeVar("T")


class _Profiled(AbstractContextManager[str]):
    """Times one occurrence of an action: start on enter, stop on exit (even on an error)."""

    __slots__ = ("_name", "_profiler")

    def __init__(self, profiler: BaseProfiler, action_name: str) -> None:
        self._profiler = profiler
        self._name = action_name

    def __enter__(self) -> str:
        self._profiler.start(self._name)
        return self._name

    def __exit__(self, *exc_info: object) -> None:
        self._profiler.stop(self._name)


class BaseProfiler(ABC):
    """Subclass this to write a profiler: implement ``start``, ``stop`` and ``summary``.

    Args:
        output_streams: where ``describe()`` sends the report: one stream or a sequence of
            them, each an object with ``write(text)`` (an open file) or a callable taking the
            text. None (the default) is the log; an empty sequence sends it nowhere.

    Raises:
        TypeError: a stream is neither writable nor callable.

    Example:
        >>> class Counting(BaseProfiler):
        ...     def __init__(self):
        ...         super().__init__()
        ...         self.starts = 0
        ...     def start(self, action_name): self.starts += 1
        ...     def stop(self, action_name): pass
        ...     def summary(self): return f"{self.starts} starts"
        >>> profiler = Counting()
        >>> with profiler.profile("step"):
        ...     pass
        >>> profiler.summary()
        '1 starts'
    """

    def __init__(self, output_streams: OutputStream | Sequence[OutputStream] | None = None,
                 ) -> None:
        self.write_streams = as_streams(output_streams)

    @abstractmethod
    def start(self, action_name: str) -> None:
        """Begin recording an occurrence of ``action_name``."""

    @abstractmethod
    def stop(self, action_name: str) -> None:
        """End the running occurrence of ``action_name`` and record it."""

    def cancel(self, action_name: str) -> None:
        """End the running occurrence of ``action_name`` without counting it.

        ``profile_iterable`` calls it for the ``next()`` that finds the iterable exhausted, which
        is no item. The default records it anyway (``stop``); profilers that can drop an
        occurrence override it.
        """
        self.stop(action_name)

    @abstractmethod
    def summary(self) -> str:
        """The report of everything recorded, as text."""

    def profile(self, action_name: str) -> AbstractContextManager[str | None]:
        """A context manager timing its block as one occurrence of ``action_name``.

        Example:
            >>> with profiler.profile("load data") as name:
            ...     data = load()
        """
        return _Profiled(self, action_name)

    def profile_iterable(self, iterable: Iterable[T], action_name: str) -> Iterator[T]:
        """Yield the items of ``iterable``, timing each ``next()`` as one occurrence.

        Example:
            >>> for batch in profiler.profile_iterable(loader, "get_train_batch"):
            ...     train(batch)
        """
        iterator = iter(iterable)
        while True:
            self.start(action_name)
            try:
                item = next(iterator)
            except StopIteration:
                self.cancel(action_name)
                return
            except BaseException:
                self.stop(action_name)
                raise
            self.stop(action_name)
            yield item

    def describe(self) -> None:
        """Write ``summary()`` to every output stream (called at the end of a run)."""
        write_report(self.write_streams, self.summary())
