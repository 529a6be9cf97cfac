"""AdvancedProfiler: a cProfile profile per action, reported as pstats tables."""

from __future__ import annotations

import cProfile
import io
import os
import pstats

from orchestrator.profiler.base import BaseProfiler
from orchestrator.profiler.streams import to_file

__all__ = ["AdvancedProfiler"]


def _check_restriction(value: int | float) -> None:
    """``line_count_restriction`` is a count of lines (int >= 0) or a fraction (0.0 to 1.0)."""
    if isinstance(value, bool) or not isinstance(value, int | float) or value < 0 or (
            isinstance(value, float) and value > 1.0):
        raise ValueError(
            f"AdvancedProfiler(line_count_restriction={value!r}): expected a number of lines "
            "(an int >= 0) or a fraction of them (a float from 0.0 to 1.0; 1.0 keeps all)")


class AdvancedProfiler(BaseProfiler):
    """Runs Python's ``cProfile`` during each action: which functions took the time.

    Each action has its own ``cProfile.Profile``, enabled while the action runs. When actions
    nest, the outer one is paused while the inner one runs, so a call is counted in the
    innermost action only. The report is verbose: for each action, "Profile stats for:
    <action>" and its pstats table (directories stripped, sorted by cumulative time).

    Args:
        output_filename: write the report to this file (replacing its contents) on
            ``describe()``; None (the default) writes it to the log.
        line_count_restriction: the functions shown per action: an int is a count of lines,
            a float from 0.0 to 1.0 a fraction of them (1.0, the default, shows all).

    Raises:
        ValueError: ``line_count_restriction`` is not a count or a fraction; ``start`` of an
            action that is running, or ``stop`` of one that is not.

    Example:
        >>> profiler = AdvancedProfiler(line_count_restriction=10)
        >>> with profiler.profile("model_forward"):
        ...     model(batch)
        >>> "Profile stats for: model_forward" in profiler.summary()
        True
    """

    def __init__(self, output_filename: str | os.PathLike[str] | None = None,
                 line_count_restriction: int | float = 1.0) -> None:
        _check_restriction(line_count_restriction)
        self.output_filename = output_filename
        self.line_count_restriction = line_count_restriction
        self.profiled_actions: dict[str, cProfile.Profile] = {}
        self._running: list[str] = []  # innermost last; only it is enabled
        super().__init__(None if output_filename is None else to_file(output_filename))

    def start(self, action_name: str) -> None:
        """Enable the profile of ``action_name``, pausing the action it nests in."""
        if action_name in self._running:
            raise ValueError(
                f"AdvancedProfiler.start({action_name!r}): the action is already running; "
                "stop it first (nested actions need different names)")
        if self._running:
            self.profiled_actions[self._running[-1]].disable()
        profile = self.profiled_actions.get(action_name)
        if profile is None:
            profile = self.profiled_actions[action_name] = cProfile.Profile()
        self._running.append(action_name)
        profile.enable()

    def stop(self, action_name: str) -> None:
        """Disable the profile of ``action_name``, resuming the action it nested in."""
        if action_name not in self._running:
            known = action_name in self.profiled_actions
            state = "is not running" if known else "was never started"
            raise ValueError(
                f"AdvancedProfiler.stop({action_name!r}): the action {state}; call "
                f"start({action_name!r}) first, or time the block with profile({action_name!r})")
        if self._running[-1] != action_name:  # a paused outer action: already disabled
            self._running.remove(action_name)
            return
        self.profiled_actions[self._running.pop()].disable()
        if self._running:
            self.profiled_actions[self._running[-1]].enable()

    def summary(self) -> str:
        """The "Profiler Report": each action's pstats table."""
        parts = ["Profiler Report\n"]
        for action_name, profile in self.profiled_actions.items():
            parts.append(f"Profile stats for: {action_name}\n{self._stats(profile)}")
        if self._running:  # reading a profile's stats disables it
            self.profiled_actions[self._running[-1]].enable()
        return "\n".join(parts)

    def _stats(self, profile: cProfile.Profile) -> str:
        text = io.StringIO()
        try:
            stats = pstats.Stats(profile, stream=text)
        except TypeError:  # pstats refuses a profile that recorded no call
            return "no calls recorded\n"
        stats.strip_dirs().sort_stats("cumulative").print_stats(self.line_count_restriction)
        return text.getvalue()
