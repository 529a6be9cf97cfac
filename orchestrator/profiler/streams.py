"""Where a profiler's report goes: the log, a file by name, or any writable or callable."""

from __future__ import annotations

import functools
import os
from collections.abc import Callable, Sequence
from typing import Protocol

from loguru import logger

__all__ = ["OutputStream", "Writable", "as_streams", "log_report", "to_file", "write_report"]


class Writable(Protocol):
    """Anything with ``write(text)``: an open text file, ``sys.stdout``, a ``StringIO``."""

    def write(self, text: str, /) -> object: ...


OutputStream = Writable | Callable[[str], object]


def log_report(report: str) -> None:
    """Write ``report`` to the project's log (loguru) at INFO; the default stream.

    Example:
        >>> log_report("Profiler Report ...")
    """
    logger.info("\n{report}", report=report)


def _write_file(path: str, report: str) -> None:
    with open(path, "w", encoding="utf-8") as file:
        file.write(report)


def to_file(path: str | os.PathLike[str]) -> Callable[[str], None]:
    """A stream that writes each report to ``path``, replacing what it held, and closes it.

    Example:
        >>> to_file("profile.txt")("Profiler Report ...")
    """
    return functools.partial(_write_file, os.fspath(path))


def as_streams(streams: OutputStream | Sequence[OutputStream] | None) -> tuple[OutputStream, ...]:
    """Normalise ``output_streams``: None is the log, one stream or a sequence of them.

    Raises:
        TypeError: a stream neither has ``write`` nor is callable (a path given as a string,
            for instance).
    """
    if streams is None:
        return (log_report,)
    found = tuple(streams) if isinstance(streams, list | tuple) else (streams,)
    for stream in found:
        if not (hasattr(stream, "write") or callable(stream)):
            raise TypeError(
                f"output_streams got {stream!r} (a {type(stream).__name__}): a stream is an "
                "object with write(text) or a callable taking the report; to write to a file "
                "by name, pass output_filename= to SimpleProfiler or AdvancedProfiler")
    return found


def write_report(streams: Sequence[OutputStream], report: str) -> None:
    """Send ``report`` to every stream, flushing those that can be flushed."""
    for stream in streams:
        write = getattr(stream, "write", None)
        if write is None:
            stream(report)  # type: ignore[operator]
            continue
        write(report)
        flush = getattr(stream, "flush", None)
        if flush is not None:
            flush()
