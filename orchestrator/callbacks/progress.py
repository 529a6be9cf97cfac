"""ProgressBar: tqdm bars for training and validation, refreshed every few batches."""

from __future__ import annotations

import math
import sys
import time
from typing import Any

from tqdm import tqdm

from orchestrator.callbacks.base import Callback

__all__ = ["ProgressBar"]


class ProgressBar(Callback):
    """Shows the epoch's batches with ``trainer.progress_bar_dict`` as the postfix.

    The bar is redrawn every ``refresh_rate`` batches, but at most ``max_refresh_per_second``
    times a second (tqdm's own pace); metrics are read (a host sync) only when it is redrawn.

    Args:
        refresh_rate: batches between refreshes; 0 disables the bar.
        process_position: the bar's line, for several trainers on one machine.
        file: the stream to write to (default ``sys.stderr``).
    """

    def __init__(self, refresh_rate: int = 1, process_position: int = 0, file: Any = None,
                 max_refresh_per_second: float = 10.0) -> None:
        self.refresh_rate = refresh_rate
        self.process_position = process_position
        self.file = file
        self.min_interval = 1.0 / max_refresh_per_second
        self.main_bar: tqdm | None = None
        self._pending = 0
        self._last_draw = 0.0

    @property
    def enabled(self) -> bool:
        return self.refresh_rate > 0

    def _bar(self, desc: str, total: float, leave: bool) -> tqdm:
        return tqdm(desc=desc, total=None if math.isinf(total) else int(total), leave=leave,
                    position=2 * self.process_position, dynamic_ncols=True,
                    file=self.file or sys.stderr, smoothing=0, mininterval=self.min_interval)

    def on_epoch_start(self, trainer: Any, pl_module: Any) -> None:
        if not self.enabled or not trainer.is_global_zero:
            return
        self._close()
        self.main_bar = self._bar(f"Epoch {trainer.current_epoch}", trainer.num_training_batches,
                                  leave=True)
        self._pending = 0

    def on_batch_end(self, trainer: Any, pl_module: Any) -> None:
        if self.main_bar is None:
            return
        self._pending += 1
        if self._pending < self.refresh_rate:
            return
        now = time.monotonic()
        if now - self._last_draw < self.min_interval:
            return
        self._last_draw = now
        self.main_bar.set_postfix(trainer.progress_bar_dict, refresh=False)
        self.main_bar.update(self._pending)
        self._pending = 0

    def on_validation_end(self, trainer: Any, pl_module: Any) -> None:
        if self.main_bar is not None:
            self.main_bar.set_postfix(trainer.progress_bar_dict, refresh=True)

    def on_epoch_end(self, trainer: Any, pl_module: Any) -> None:
        if self.main_bar is not None:
            self.main_bar.set_postfix(trainer.progress_bar_dict, refresh=False)
            self.main_bar.update(self._pending)
            self._pending = 0

    def on_test_start(self, trainer: Any, pl_module: Any) -> None:
        if self.enabled and trainer.is_global_zero:
            self._close()
            self.main_bar = self._bar("Testing", sum(trainer.num_test_batches), leave=True)
            self._pending = 0

    def on_test_batch_end(self, trainer: Any, pl_module: Any) -> None:
        self.on_batch_end(trainer, pl_module)

    def teardown(self, trainer: Any, pl_module: Any, stage: str = "fit") -> None:
        if self.main_bar is not None and self._pending:
            self.main_bar.update(self._pending)
        self._close()

    def _close(self) -> None:
        if self.main_bar is not None:
            self.main_bar.close()
            self.main_bar = None
