"""The lifecycle where users look: at state changes the run's diagram (the one
``orchestrator graph`` draws, with counts and times) goes to its loggers, as a PNG and as its
Mermaid text (``LightningLoggerBase.log_lifecycle``).

Drawing (Graphviz's ``dot``: 0.1 to 0.2 s of CPU) runs on a background thread, in the order of
the changes. The first entry into each state is drawn, and a state entered again is drawn when
``REDRAW_AFTER_S`` have passed since the last picture, so a long run spends about 1% of a core
on pictures however often it validates. Entering ``teardown`` waits for the pictures before and
draws that one in place, before the loggers are finalized. Without ``dot`` only the text goes.
"""

from __future__ import annotations

import math
import queue
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

_STOP = None
REDRAW_AFTER_S = 10.0  # a state entered again is drawn at most this often


class LifecyclePictures:
    """Called at each state change of a run with loggers that take pictures; the step of a
    picture is the number of its change (counted over the Trainer's runs)."""

    def __init__(self, loggers: Any) -> None:
        self.loggers = loggers
        self.draws = shutil.which("dot") is not None
        self._changes = 0
        self._queue: queue.Queue[tuple[int, LifecycleRecord] | None] = queue.Queue()
        self._thread: threading.Thread | None = None
        self._warned = False
        self._drawn: set[str] = set()  # the states drawn at least once (this Trainer)
        self._last = -math.inf  # when the last picture was asked for (monotonic seconds)

    def __getstate__(self) -> dict[str, Any]:
        """Without the queue and thread (a copy in another process makes its own)."""
        state = dict(self.__dict__)
        state.update(_queue=None, _thread=None)
        return state

    def __setstate__(self, state: dict[str, Any]) -> None:
        self.__dict__.update(state, _queue=queue.Queue())

    def __call__(self, lifecycle: Lifecycle) -> None:
        record = lifecycle.record()
        if record.outcome != "running":  # the run's end: its loggers are finalized already
            return
        self._changes += 1
        change = (self._changes, record)
        now = time.monotonic()
        if record.state in self._drawn and now - self._last < REDRAW_AFTER_S \
                and record.state != "teardown":
            return  # drawn already, and recently
        self._drawn.add(record.state)
        self._last = now
        if record.state != "teardown":
            if self._thread is None:
                self._thread = threading.Thread(target=self._draw_queued, daemon=True,
                                                name="orchestrator-lifecycle-pictures")
                self._thread.start()
            self._queue.put(change)
            return
        self._finish()
        self._draw(change)

    def _finish(self) -> None:
        thread, self._thread = self._thread, None
        if thread is not None:
            self._queue.put(_STOP)
            thread.join()

    def _draw_queued(self) -> None:
        while (change := self._queue.get()) is not _STOP:
            self._draw(change)

    def _draw(self, change: tuple[int, LifecycleRecord]) -> None:
        step, record = change
        try:
            image = picture(record, "png") if self.draws else None
            self.loggers.log_lifecycle(image, to_mermaid(record), step)
        except Exception as exc:  # a picture must never stop the run
            if not self._warned:
                self._warned = True
                logger.warning("the lifecycle picture was not logged ({e}); training goes on",
                               e=exc)


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
