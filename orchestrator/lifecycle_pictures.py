"""The lifecycle where users look: at state changes the run's diagram (the one
``orchestrator graph`` draws, with counts and times) goes to its loggers, as a PNG and as its
Mermaid text (``LightningLoggerBase.log_lifecycle``).

Drawing (Graphviz's ``dot``: 0.1-0.2 s, in its own process) runs on a background thread, one
picture at a time: a change that comes while one is drawn waits, and a newer change replaces it
(each picture shows the whole path so far). How often, by the loggers' ``lifecycle``:

- ``None`` (the default): on a budget. Pictures take at most ``PICTURE_SHARE`` of the run's
  time so far: a change is drawn when the drawing time spent, plus what the last picture cost,
  stays within half of it, and ``teardown`` within all of it (the picture of the whole run
  comes first). A run of a few seconds draws nothing; a run of minutes, a picture every few
  epochs and its end.
- ``True``: a state not drawn yet at each entry; a state drawn before, once ``REDRAW_AFTER_S``
  have passed since the last request; and ``teardown``, always.

Entering ``teardown`` waits for the drawing under way and draws that one in place, before the
loggers are finalized. Without ``dot`` only the text goes.
"""

from __future__ import annotations

import math
import shutil
import threading
import time
from collections.abc import Callable
from typing import Any

from loguru import logger

from states.graph import picture, to_mermaid
from states.lifecycle import Lifecycle
from states.record import LifecycleRecord

__all__ = ["LifecyclePictures", "lifecycle_observer"]

REDRAW_AFTER_S = 10.0  # lifecycle=True: a state drawn before is drawn again at most this often
PICTURE_SHARE = 0.02  # lifecycle=None: the share of the run's time pictures may take
FIRST_COST_S = 0.2  # what a picture is expected to cost before one was drawn (seconds)


class LifecyclePictures:
    """Called at each state change of a run with loggers that take pictures; the step of a
    picture is the number of its change (counted over the Trainer's runs)."""

    def __init__(self, loggers: Any, every_change: bool = False) -> None:
        self.loggers = loggers
        self.every_change = every_change  # True: by state (REDRAW_AFTER_S); False: budgeted
        self.draws = shutil.which("dot") is not None
        self._changes = 0
        self._pending: tuple[int, LifecycleRecord] | None = None  # the latest change to draw
        self._wake = threading.Condition()
        self._thread: threading.Thread | None = None
        self._warned = False
        self._drawn: set[str] = set()  # the states drawn at least once (this Trainer)
        self._last = -math.inf  # when the last picture was asked for (monotonic seconds)
        self._started: float | None = None  # the first change seen (monotonic seconds)
        self._spent = 0.0  # seconds the pictures took, all together
        self._cost = FIRST_COST_S  # seconds the last picture took

    def __getstate__(self) -> dict[str, Any]:
        """Without the thread and its lock (a copy in another process makes its own)."""
        return {**self.__dict__, "_wake": None, "_thread": None, "_pending": None}

    def __setstate__(self, state: dict[str, Any]) -> None:
        self.__dict__.update(state, _wake=threading.Condition())

    def __call__(self, lifecycle: Lifecycle) -> None:
        if lifecycle.outcome != "running":  # the run's end: its loggers are finalized already
            return
        self._changes += 1
        now = time.monotonic()
        if self._started is None:
            self._started = now
        state = lifecycle.state
        if state == "teardown":  # wait for the drawing under way; this one shows all
            self._finish()
            if self._wanted(state, now):
                self._draw((self._changes, lifecycle.record()))
            return
        if not self._wanted(state, now):
            return
        self._last = now
        with self._wake:  # a change not yet started is replaced by the newer one
            self._pending = (self._changes, lifecycle.record())
            if self._thread is None:
                self._thread = threading.Thread(target=self._draw_pending, daemon=True,
                                                name="orchestrator-lifecycle-pictures")
                self._thread.start()
            self._wake.notify()

    def _wanted(self, state: str, now: float) -> bool:
        """Whether the change into ``state`` at ``now`` gets a picture."""
        if self.every_change:
            return state == "teardown" or state not in self._drawn or \
                now - self._last >= REDRAW_AFTER_S
        assert self._started is not None
        share = PICTURE_SHARE if state == "teardown" else PICTURE_SHARE / 2
        return self._spent + self._cost <= share * (now - self._started)

    def _finish(self) -> None:
        with self._wake:
            thread, self._thread, self._pending = self._thread, None, None
            self._wake.notify()
        if thread is not None:
            thread.join()

    def _draw_pending(self) -> None:
        me = threading.current_thread()
        while True:
            with self._wake:
                while self._pending is None and self._thread is me:
                    self._wake.wait()
                if self._thread is not me:
                    return
                change, self._pending = self._pending, None
            self._draw(change)

    def _draw(self, change: tuple[int, LifecycleRecord] | None) -> None:
        if change is None:
            return
        step, record = change
        self._drawn.add(record.state)
        began = time.monotonic()
        try:
            image = picture(record, "png") if self.draws else None
            self.loggers.log_lifecycle(image, to_mermaid(record), step)
        except Exception as exc:  # a picture must never stop the run
            if not self._warned:
                self._warned = True
                logger.warning("the lifecycle picture was not logged ({e}); training goes on",
                               e=exc)
        finally:
            self._cost = time.monotonic() - began
            self._spent += self._cost


Observer = Callable[[Lifecycle], None]


def lifecycle_observer(*observers: Observer | None) -> Observer | None:
    """One ``Lifecycle.on_change`` calling each observer given (None: none)."""
    given = [observer for observer in observers if observer is not None]
    if len(given) <= 1:
        return given[0] if given else None

    def every(lifecycle: Lifecycle) -> None:
        for observer in given:
            observer(lifecycle)

    return every
