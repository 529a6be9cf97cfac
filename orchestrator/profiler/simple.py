"""SimpleProfiler: the duration of each occurrence of each action, reported as a table."""

from __future__ import annotations

import os
import time
from collections import defaultdict

from orchestrator.profiler.base import BaseProfiler
from orchestrator.profiler.streams import to_file

__all__ = ["SimpleProfiler"]

_HEADER = ("Action", "Calls", "Mean duration (s)", "Total time (s)", "Percent (%)")


def _table(rows: list[tuple[str, ...]]) -> str:
    """Left-aligned columns separated by `` | ``, a dashed line under the header."""
    widths = [max(len(row[i]) for row in rows) for i in range(len(rows[0]))]
    lines = [" | ".join(cell.ljust(w) for cell, w in zip(row, widths)).rstrip() for row in rows]
    lines.insert(1, "-" * len(" | ".join("-" * w for w in widths)))
    return "\n".join(lines)


class SimpleProfiler(BaseProfiler):
    """Records how long each occurrence of each action takes, with a monotonic clock.

    The report has one row per action, the slowest (by total time) first: the number of
    calls, the mean and total duration in seconds (5 significant digits), and the total as a
    percentage of the time since the profiler was created.

    Args:
        output_filename: write the report to this file (replacing its contents) on
            ``describe()``; None (the default) writes it to the log.

    Raises:
        ValueError: from ``start``, for an action that is already running; from ``stop``,
            for one that is not.

    Example:
        >>> profiler = SimpleProfiler()
        >>> with profiler.profile("model_forward"):
        ...     model(batch)
        >>> len(profiler.recorded_durations["model_forward"])
        1
    """

    def __init__(self, output_filename: str | os.PathLike[str] | None = None) -> None:
        self.output_filename = output_filename
        self.current_actions: dict[str, float] = {}
        self.recorded_durations: defaultdict[str, list[float]] = defaultdict(list)
        self._created = time.perf_counter()
        super().__init__(None if output_filename is None else to_file(output_filename))

    def start(self, action_name: str) -> None:
        """Begin timing ``action_name``."""
        if action_name in self.current_actions:
            raise ValueError(
                f"SimpleProfiler.start({action_name!r}): the action is already running; stop "
                "it first (nested actions need different names)")
        self.current_actions[action_name] = time.perf_counter()

    def stop(self, action_name: str) -> None:
        """Stop timing ``action_name`` and record the duration."""
        end = time.perf_counter()
        started = self._pop(action_name, "stop")
        self.recorded_durations[action_name].append(end - started)

    def cancel(self, action_name: str) -> None:
        """Stop timing ``action_name`` and drop the occurrence."""
        self._pop(action_name, "cancel")

    def _pop(self, action_name: str, method: str) -> float:
        try:
            return self.current_actions.pop(action_name)
        except KeyError:
            running = ", ".join(map(repr, self.current_actions)) or "none"
            raise ValueError(
                f"SimpleProfiler.{method}({action_name!r}): the action was never started "
                f"(running: {running}); call start({action_name!r}) first, or time the block "
                f"with profile({action_name!r})") from None

    def summary(self) -> str:
        """The "Profiler Report" table of every action recorded so far."""
        elapsed = max(time.perf_counter() - self._created, 1e-12)
        totals = {name: sum(durations) for name, durations in self.recorded_durations.items()
                  if durations}
        rows: list[tuple[str, ...]] = [_HEADER]
        for name in sorted(totals, key=lambda n: (-totals[n], n)):
            calls = len(self.recorded_durations[name])
            total = totals[name]
            rows.append((name, str(calls), f"{total / calls:.5g}", f"{total:.5g}",
                         f"{100 * total / elapsed:.1f}"))
        return f"Profiler Report\n\n{_table(rows)}\n"
