"""Graceful interrupts: SIGINT or SIGTERM finish the current batch, save, and end the run."""

from __future__ import annotations

import signal
import threading
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from types import FrameType
from typing import Any

from loguru import logger

from schemas.errors import RunInterrupted

__all__ = ["GracefulInterrupt"]


class GracefulInterrupt:
    """Turns the first SIGINT/SIGTERM into a request the batch loop honours at a boundary.

    At the next batch boundary (of training, or of a validation check, which the resumed run
    reruns from its start) the trainer writes a resumable checkpoint, and the run ends as
    ``interrupted``. A second SIGINT stops at once (KeyboardInterrupt), without a checkpoint.
    """

    def __init__(self, save: Callable[[], str]) -> None:
        self.requested = False
        self.signal_name = ""
        self._save = save

    def _handle(self, signum: int, frame: FrameType | None) -> None:
        if self.requested and signum == signal.SIGINT:
            raise KeyboardInterrupt
        self.requested = True
        self.signal_name = signal.Signals(signum).name
        logger.warning("{sig} received: finishing the current batch, then saving a checkpoint "
                       "(press Ctrl-C again to stop at once)", sig=self.signal_name)

    @contextmanager
    def installed(self) -> Iterator[None]:
        """Install the handlers for the duration of a run (main thread only)."""
        if threading.current_thread() is not threading.main_thread():
            yield
            return
        previous: dict[signal.Signals, Any] = {}
        for signum in (signal.SIGINT, signal.SIGTERM):
            previous[signum] = signal.signal(signum, self._handle)
        try:
            yield
        finally:
            for signum, handler in previous.items():
                signal.signal(signum, handler)

    def save_and_raise(self) -> None:
        """Write the checkpoint and end the run (called by the batch loops at a boundary)."""
        path = self._save()
        logger.warning(
            "run interrupted by {sig}; resumable checkpoint saved to {path}. Resume with "
            "Trainer(resume_from_checkpoint={path!r}) or trainer.fit(model, ckpt_path={path!r})",
            sig=self.signal_name, path=path,
        )
        raise RunInterrupted(path)

    def end_before_training(self) -> None:
        """End the run without a checkpoint (called by the sanity check: nothing was trained,
        and running the same command again starts the same run)."""
        logger.warning("run interrupted by {sig} during the sanity check, before any training; "
                       "no checkpoint was saved (nothing to resume: start the run again)",
                       sig=self.signal_name)
        raise RunInterrupted(None)
