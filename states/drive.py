"""The drive loop: run the current state's runner, fire the trigger it returns, until teardown."""

from __future__ import annotations

from typing import Final

from loguru import logger

from states.conditions import bind_conditions
from states.hook_table import Hook
from states.lifecycle import Outcome
from states.run import Run
from states.runners import RUNNERS

__all__ = ["drive"]


def drive(run: Run, start: str = "init") -> Outcome:
    """Walk the run's lifecycle from ``start`` to ``teardown``; teardown always runs.

    A KeyboardInterrupt ends the run as ``interrupted`` (it is not re-raised, as in
    Lightning); any other exception ends it as ``failed`` and is re-raised after teardown.
    """
    lifecycle = run.lifecycle
    lifecycle.begin(bind_conditions(run), run.mode, start)
    try:
        profiler = run.hooks.profiler
        while lifecycle.state != "teardown":
            if profiler is None:
                lifecycle.fire(RUNNERS[lifecycle.state](run))
                continue
            with profiler.profile(lifecycle.state):  # each state's work, by its name
                trigger = RUNNERS[lifecycle.state](run)
            lifecycle.fire(trigger)
    except KeyboardInterrupt:
        logger.warning("KeyboardInterrupt in state {state}: tearing down", state=lifecycle.state)
        run.hooks.call(Hook.ON_KEYBOARD_INTERRUPT)
        _teardown(run, "interrupted", "KeyboardInterrupt")
        return "interrupted"
    except BaseException as exc:
        _teardown(run, "failed", f"{type(exc).__name__}: {exc}")
        raise
    outcome: Outcome = "stopped_early" if run.state.progress.stop_requested else "completed"
    _teardown(run, outcome, None)
    return outcome


# a run's outcome in the words 0.8.5 passes to LightningLoggerBase.finalize
_LOGGER_STATUS: Final[dict[Outcome, str]] = {
    "completed": "success", "stopped_early": "success", "failed": "failed",
    "interrupted": "aborted",
}


def _teardown(run: Run, outcome: Outcome, error: str | None) -> None:
    lifecycle = run.lifecycle
    if lifecycle.state != "teardown":
        lifecycle.fire("fail")
    try:
        if lifecycle.visits("train_epoch") and outcome != "failed":
            run.hooks.call(Hook.ON_TRAIN_END)
        if run.mode == "fit":
            run.hooks.call(Hook.ON_FIT_END)
    finally:
        try:
            run.hooks.call(Hook.TEARDOWN, run.mode)
            run.loggers.finalize(_LOGGER_STATUS[outcome])
        except Exception:  # never hide the run's own error behind a teardown error
            if outcome != "failed":
                raise
            logger.exception("teardown failed after the run failed")
        lifecycle.finish(outcome, error)
