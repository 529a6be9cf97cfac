"""The drive loop: run the current state's runner, fire the trigger it returns, until teardown."""

from __future__ import annotations

from loguru import logger

from states.context import RunContext
from states.lifecycle import Lifecycle, Outcome
from states.runners import RUNNERS

__all__ = ["drive"]


def drive(lifecycle: Lifecycle, ctx: RunContext, start: str = "init") -> Outcome:
    """Walk the lifecycle from ``start`` to ``teardown``; teardown always runs.

    A KeyboardInterrupt ends the run as ``interrupted`` (it is not re-raised, as in
    Lightning); any other exception ends it as ``failed`` and is re-raised after teardown.
    """
    lifecycle.begin(ctx, ctx.mode, start)
    try:
        while lifecycle.state != "teardown":
            lifecycle.fire(RUNNERS[lifecycle.state](ctx))
    except KeyboardInterrupt:
        logger.warning("KeyboardInterrupt in state {state}: tearing down", state=lifecycle.state)
        ctx.hooks.callbacks_only("on_keyboard_interrupt")
        _teardown(lifecycle, ctx, "interrupted", "KeyboardInterrupt")
        return "interrupted"
    except BaseException as exc:
        _teardown(lifecycle, ctx, "failed", f"{type(exc).__name__}: {exc}")
        raise
    outcome: Outcome = "stopped_early" if ctx.progress.stop_requested else "completed"
    _teardown(lifecycle, ctx, outcome, None)
    return outcome


def _teardown(lifecycle: Lifecycle, ctx: RunContext, outcome: Outcome, error: str | None) -> None:
    if lifecycle.state != "teardown":
        lifecycle.fire("fail")
    try:
        if ctx.training_started and outcome != "failed":
            ctx.hooks.call("on_train_end")
        if ctx.fitting():
            ctx.hooks.callbacks_only("on_fit_end")
    finally:
        try:
            ctx.hooks.callbacks_only("teardown")
            ctx.loggers.finalize(outcome)
        except Exception:  # never hide the run's own error behind a teardown error
            if outcome != "failed":
                raise
            logger.exception("teardown failed after the run failed")
        lifecycle.finish(outcome, error)
