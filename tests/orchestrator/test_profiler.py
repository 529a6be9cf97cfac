"""The profilers: SimpleProfiler's timings and report, AdvancedProfiler's stats, PassThrough."""

from __future__ import annotations

import io
import time
from collections.abc import Iterator
from pathlib import Path

import pytest
from loguru import logger

import orchestrator.profiler as profiler_package
from orchestrator.profiler import (
    AdvancedProfiler,
    BaseProfiler,
    PassThroughProfiler,
    SimpleProfiler,
)

SLEEP = 0.02
LOW, HIGH = 0.015, 0.5  # the machine is noisy: bounds on one SLEEP, loose above


class Recorder(BaseProfiler):
    """A real subclass that records the calls the base class makes."""

    def __init__(self, **kwargs: object) -> None:
        super().__init__(**kwargs)  # type: ignore[arg-type]
        self.calls: list[str] = []

    def start(self, action_name: str) -> None:
        self.calls.append(f"start {action_name}")

    def stop(self, action_name: str) -> None:
        self.calls.append(f"stop {action_name}")

    def summary(self) -> str:
        return f"report: {len(self.calls)} calls"


def _slow_items(n: int) -> Iterator[int]:
    for i in range(n):
        time.sleep(0.01)
        yield i


def _busy_function() -> int:
    return sum(range(20_000))


def _other_function() -> list[int]:
    return sorted(range(5_000))


def test_package_exports_the_four_profilers() -> None:
    assert set(profiler_package.__all__) == {
        "BaseProfiler", "SimpleProfiler", "AdvancedProfiler", "PassThroughProfiler"}


def test_simple_records_each_sleep() -> None:
    profiler = SimpleProfiler()
    for _ in range(3):
        with profiler.profile("sleep") as name:
            assert name == "sleep"
            time.sleep(SLEEP)
    durations = profiler.recorded_durations["sleep"]
    assert len(durations) == 3
    assert all(LOW <= d <= HIGH for d in durations), durations
    assert profiler.current_actions == {}


def test_simple_nested_different_actions() -> None:
    profiler = SimpleProfiler()
    with profiler.profile("outer"):
        time.sleep(0.01)
        with profiler.profile("inner"):
            time.sleep(SLEEP)
    (outer,), (inner,) = profiler.recorded_durations["outer"], profiler.recorded_durations["inner"]
    assert LOW <= inner <= HIGH
    assert outer >= inner + 0.008


def test_simple_start_twice_names_the_action() -> None:
    profiler = SimpleProfiler()
    profiler.start("fetch")
    with pytest.raises(ValueError, match=r"start\('fetch'\): the action is already running"):
        profiler.start("fetch")
    profiler.stop("fetch")  # the failed start left the running one intact
    assert len(profiler.recorded_durations["fetch"]) == 1


def test_simple_stop_unstarted_names_the_action_and_what_runs() -> None:
    profiler = SimpleProfiler()
    profiler.start("outer")
    with pytest.raises(ValueError, match=r"stop\('inner'\): the action was never started "
                                         r"\(running: 'outer'\)"):
        profiler.stop("inner")
    assert "inner" not in profiler.recorded_durations


def test_profile_stops_when_the_block_raises() -> None:
    profiler = SimpleProfiler()
    with pytest.raises(RuntimeError, match="boom"), profiler.profile("step"):
        raise RuntimeError("boom")
    assert len(profiler.recorded_durations["step"]) == 1
    assert profiler.current_actions == {}


def test_profile_iterable_counts_one_occurrence_per_item() -> None:
    profiler = SimpleProfiler()
    items = list(profiler.profile_iterable(_slow_items(4), "get_train_batch"))
    assert items == [0, 1, 2, 3]
    durations = profiler.recorded_durations["get_train_batch"]
    assert len(durations) == 4
    assert all(0.008 <= d <= HIGH for d in durations), durations
    assert profiler.current_actions == {}


def test_profile_iterable_left_early_leaves_nothing_running() -> None:
    profiler = SimpleProfiler()
    for item in profiler.profile_iterable(range(10), "fetch"):
        if item == 2:
            break
    assert len(profiler.recorded_durations["fetch"]) == 3
    assert profiler.current_actions == {}


def test_base_profiler_start_stop_sequence() -> None:
    profiler = Recorder(output_streams=[])
    with profiler.profile("a"):
        profiler.calls.append("body")
    assert list(profiler.profile_iterable(["x"], "it")) == ["x"]
    # the default cancel() stops the call that found the iterable exhausted
    assert profiler.calls == ["start a", "body", "stop a", "start it", "stop it",
                              "start it", "stop it"]


def test_describe_writes_to_files_and_callables() -> None:
    text, received = io.StringIO(), []
    profiler = Recorder(output_streams=[text, received.append])
    profiler.describe()
    assert text.getvalue() == "report: 0 calls"
    assert received == ["report: 0 calls"]


def test_describe_goes_to_the_log_by_default() -> None:
    messages: list[str] = []
    handler = logger.add(messages.append, format="{message}")
    try:
        profiler = SimpleProfiler()
        with profiler.profile("logged_action"):
            pass
        profiler.describe()
    finally:
        logger.remove(handler)
    assert any("Profiler Report" in m and "logged_action" in m for m in messages), messages


def test_a_path_is_not_a_stream() -> None:
    with pytest.raises(TypeError, match=r"output_streams got 'report.txt' \(a str\).*"
                                        r"output_filename="):
        Recorder(output_streams="report.txt")


def test_simple_summary_table() -> None:
    profiler = SimpleProfiler()
    profiler.recorded_durations["fast"] = [0.1, 0.2, 0.3]
    profiler.recorded_durations["slow"] = [1.234567891]
    lines = profiler.summary().splitlines()
    assert lines[0] == "Profiler Report"
    header = [cell.strip() for cell in lines[2].split("|")]
    assert header == ["Action", "Calls", "Mean duration (s)", "Total time (s)", "Percent (%)"]
    assert set(lines[3]) == {"-"} and len(lines[3]) >= len(lines[2])
    slow, fast = ([cell.strip() for cell in line.split("|")] for line in lines[4:6])
    assert slow[:4] == ["slow", "1", "1.2346", "1.2346"]  # slowest total first, 5 digits
    assert fast[:4] == ["fast", "3", "0.2", "0.6"]
    assert len(lines) == 6


def test_simple_describe_to_a_file(tmp_path: Path) -> None:
    path = tmp_path / "profile.txt"
    profiler = SimpleProfiler(output_filename=path)
    with profiler.profile("written"):
        time.sleep(0.01)
    profiler.describe()
    profiler.describe()  # each report replaces the last: the totals are cumulative
    text = path.read_text()
    assert text.count("Profiler Report") == 1
    assert "written" in text and "Mean duration (s)" in text


def test_advanced_summary_names_the_profiled_function(tmp_path: Path) -> None:
    profiler = AdvancedProfiler(output_filename=tmp_path / "advanced.txt")
    with profiler.profile("work"):
        _busy_function()
    summary = profiler.summary()
    assert "Profile stats for: work" in summary
    assert "_busy_function" in summary and "cumulative" in summary
    profiler.describe()
    assert "_busy_function" in (tmp_path / "advanced.txt").read_text()


def test_advanced_nested_actions_count_calls_in_the_innermost() -> None:
    profiler = AdvancedProfiler()
    with profiler.profile("outer"):
        with profiler.profile("inner"):
            _other_function()
        _busy_function()  # after the inner action: still recorded in the outer one
    outer, inner = profiler.summary().split("Profile stats for: inner")
    assert "_busy_function" in outer and "_other_function" not in outer
    assert "_other_function" in inner and "_busy_function" not in inner


def test_advanced_stop_errors_name_the_action() -> None:
    profiler = AdvancedProfiler()
    with pytest.raises(ValueError, match=r"stop\('missing'\): the action was never started"):
        profiler.stop("missing")
    with profiler.profile("done"):
        pass
    with pytest.raises(ValueError, match=r"stop\('done'\): the action is not running"):
        profiler.stop("done")


def test_advanced_line_count_restriction() -> None:
    profiler = AdvancedProfiler(line_count_restriction=1)
    with profiler.profile("work"):
        _busy_function()
    assert "due to restriction <1>" in profiler.summary()
    with pytest.raises(ValueError, match=r"line_count_restriction=1.5\): expected a number"):
        AdvancedProfiler(line_count_restriction=1.5)


def test_passthrough_does_nothing() -> None:
    profiler = PassThroughProfiler()
    first, second = profiler.profile("a"), profiler.profile("b")
    assert first is second  # one shared context, nothing built per call
    with first as entered:
        assert entered is None
    profiler.stop("never started")  # no bookkeeping, so no error
    assert list(profiler.profile_iterable(range(3), "fetch")) == [0, 1, 2]
    assert profiler.summary() == ""
    assert profiler.write_streams == ()
    profiler.describe()
