"""Progress bars: ProgressBarBase counts the batches, ProgressBar draws them with tqdm."""

from __future__ import annotations

import math
import sys
import time
from typing import Any

from tqdm import tqdm

from orchestrator.callbacks.base import Callback
from schemas.errors import ConfigError

__all__ = ["ProgressBar", "ProgressBarBase"]


class ProgressBarBase(Callback):
    """The base of progress bars: counts the batches done and knows the totals to draw.

    A subclass implements ``enable()`` and ``disable()`` and calls ``super()`` in the hooks
    it overrides, so that the counts stay right. Pass it in ``Trainer(callbacks=[...])``.

    Example:
        >>> class PercentBar(ProgressBarBase):
        ...     shown = True
        ...     def enable(self): self.shown = True
        ...     def disable(self): self.shown = False
        ...     def on_batch_end(self, trainer, pl_module):
        ...         super().on_batch_end(trainer, pl_module)
        ...         if self.shown:
        ...             print(f"{100 * self.train_batch_idx / self.total_train_batches:.0f}%")
    """

    def __init__(self) -> None:
        self._trainer: Any = None
        self._train_batch_idx = 0
        self._val_batch_idx = 0
        self._test_batch_idx = 0

    @property
    def trainer(self) -> Any:
        """The Trainer this bar was given to (set when the Trainer is built)."""
        return self._trainer

    @property
    def train_batch_idx(self) -> int:
        """Training batches done in the current epoch."""
        return self._train_batch_idx

    @property
    def val_batch_idx(self) -> int:
        """Validation batches done in the current validation (or sanity check)."""
        return self._val_batch_idx

    @property
    def test_batch_idx(self) -> int:
        """Test batches done in the current test."""
        return self._test_batch_idx

    @property
    def total_train_batches(self) -> int | float:
        """Training batches in an epoch: ``inf`` for an unsized loader, 0 before a fit."""
        trainer = self.trainer
        return 1 if trainer.fast_dev_run else _count(trainer.num_training_batches)

    @property
    def total_val_batches(self) -> int | float:
        """Batches of one validation over every loader, 0 in an epoch without validation
        (``check_val_every_n_epoch``) or a run without validation data."""
        trainer = self.trainer
        if not trainer.validates_at_epoch_end:
            return 0
        return _count(sum(trainer.num_val_batches))

    @property
    def total_test_batches(self) -> int | float:
        """Batches of the test over every loader (0 before a test)."""
        return _count(sum(self.trainer.num_test_batches))

    def disable(self) -> None:
        """Stop drawing; called on every process but rank zero as a run starts."""
        raise NotImplementedError(f"{type(self).__name__} must implement disable() and enable()")

    def enable(self) -> None:
        """Draw again after ``disable()``."""
        raise NotImplementedError(f"{type(self).__name__} must implement enable() and disable()")

    def on_init_end(self, trainer: Any) -> None:
        self._trainer = trainer

    def on_sanity_check_start(self, trainer: Any, pl_module: Any) -> None:
        self._follow_rank(trainer)
        self._val_batch_idx = 0

    def on_train_start(self, trainer: Any, pl_module: Any) -> None:
        self._follow_rank(trainer)
        self._train_batch_idx = trainer.batch_idx  # a resumed run starts mid-epoch

    def on_epoch_start(self, trainer: Any, pl_module: Any) -> None:
        self._train_batch_idx = 0

    def on_batch_end(self, trainer: Any, pl_module: Any) -> None:
        self._train_batch_idx += 1

    def on_validation_start(self, trainer: Any, pl_module: Any) -> None:
        self._val_batch_idx = 0

    def on_validation_batch_end(self, trainer: Any, pl_module: Any) -> None:
        self._val_batch_idx += 1

    def on_test_start(self, trainer: Any, pl_module: Any) -> None:
        self._follow_rank(trainer)
        self._test_batch_idx = 0

    def on_test_batch_end(self, trainer: Any, pl_module: Any) -> None:
        self._test_batch_idx += 1

    def _follow_rank(self, trainer: Any) -> None:
        if not trainer.is_global_zero:
            self.disable()


class ProgressBar(ProgressBarBase):
    """The default progress bar: tqdm bars for the sanity check, training, validation, test.

    ``main_progress_bar`` ("Epoch N") counts the epoch's training and validation batches,
    with ``trainer.progress_bar_dict`` (running loss, ``v_num``, ``progress_bar`` metrics) as
    its postfix; ``val_progress_bar`` ("Validating", a line below) shows each validation and
    the sanity check; ``test_progress_bar`` ("Testing") a test, without training metrics.
    Override ``init_sanity_tqdm``, ``init_train_tqdm``, ``init_validation_tqdm`` or
    ``init_test_tqdm`` to change a bar. Bars count every batch and are redrawn every
    ``refresh_rate`` batches, at most ``max_refresh_per_second`` times a second; the metrics
    are read (a host sync) only at a redraw of the main bar, after each epoch and validation.

    Args:
        refresh_rate: batches between redraws; 0 draws nothing.
        process_position: offset of the bars, in pairs of lines, for several trainers in
            one terminal.
        file: the stream to draw to (default ``sys.stderr`` when a bar is made).
        max_refresh_per_second: the most redraws a second, of all bars together.

    Raises:
        ConfigError: ``refresh_rate`` or ``process_position`` is negative, or
            ``max_refresh_per_second`` is not above 0.

    Example:
        >>> class ValidationBar(ProgressBar):
        ...     def init_validation_tqdm(self):
        ...         bar = super().init_validation_tqdm()
        ...         bar.set_description("running validation ...")
        ...         return bar
        >>> trainer = Trainer(callbacks=[ValidationBar(refresh_rate=10)])
    """

    def __init__(self, refresh_rate: int = 1, process_position: int = 0, file: Any = None,
                 max_refresh_per_second: float = 10.0) -> None:
        for name, value in (("refresh_rate", refresh_rate),
                            ("process_position", process_position)):
            if value < 0:
                raise ConfigError(f"ProgressBar({name}={value!r}): use an int >= 0")
        if not max_refresh_per_second > 0:
            raise ConfigError(f"ProgressBar(max_refresh_per_second={max_refresh_per_second!r}):"
                              " use a number above 0 (0 bars: refresh_rate=0)")
        super().__init__()
        self._refresh_rate = refresh_rate
        self._every: float = refresh_rate or math.inf  # batches between redraws
        self._process_position = process_position
        self._enabled = True
        self.file = file
        self.min_interval = 1.0 / max_refresh_per_second
        self.main_progress_bar: tqdm | None = None
        self.val_progress_bar: tqdm | None = None
        self.test_progress_bar: tqdm | None = None
        self._last_draw = time.monotonic()

    def __getstate__(self) -> dict[str, Any]:
        state = self.__dict__.copy()  # tqdm bars hold locks and streams: not picklable
        state.update(main_progress_bar=None, val_progress_bar=None, test_progress_bar=None)
        return state

    @property
    def refresh_rate(self) -> int:
        return self._refresh_rate

    @property
    def process_position(self) -> int:
        return self._process_position

    @property
    def is_enabled(self) -> bool:
        return self._enabled and self._refresh_rate > 0

    @property
    def is_disabled(self) -> bool:
        return not self.is_enabled

    @property
    def main_bar(self) -> tqdm | None:
        """The main bar while it is open; None once it is closed (the seed's name)."""
        bar = self.main_progress_bar
        return None if bar is None or bar.disable else bar

    def disable(self) -> None:
        self._enabled = False

    def enable(self) -> None:
        self._enabled = True

    # the bars; override these to change them
    def init_sanity_tqdm(self) -> tqdm:
        """The bar of the sanity check (the validation batches before training)."""
        return self._tqdm("Validation sanity check", line=0, leave=False)

    def init_train_tqdm(self) -> tqdm:
        """The main bar: training and validation batches of each epoch."""
        return self._tqdm("Training", line=0, leave=True, initial=self.train_batch_idx,
                          smoothing=0)

    def init_validation_tqdm(self) -> tqdm:
        """The bar of one validation, below the main bar."""
        return self._tqdm("Validating", line=1, leave=False)

    def init_test_tqdm(self) -> tqdm:
        """The bar of a test."""
        return self._tqdm("Testing", line=0, leave=True)

    def _tqdm(self, desc: str, line: int, leave: bool, **options: Any) -> tqdm:
        return tqdm(desc=desc, position=2 * self.process_position + line,
                    disable=self.is_disabled, leave=leave, dynamic_ncols=True,
                    file=self.file or sys.stderr, mininterval=self.min_interval, **options)

    # sanity check and training
    def on_sanity_check_start(self, trainer: Any, pl_module: Any) -> None:
        super().on_sanity_check_start(trainer, pl_module)
        self.val_progress_bar = _with_total(self.init_sanity_tqdm(), _sanity_total(trainer))
        self.main_progress_bar = tqdm(disable=True)  # stands in: the check moves no main bar

    def on_sanity_check_end(self, trainer: Any, pl_module: Any) -> None:
        super().on_sanity_check_end(trainer, pl_module)
        _close(self.main_progress_bar)
        _close(self.val_progress_bar)

    def on_train_start(self, trainer: Any, pl_module: Any) -> None:
        super().on_train_start(trainer, pl_module)
        self.main_progress_bar = self.init_train_tqdm()
        if self.train_batch_idx:  # resumed mid-epoch: no on_epoch_start for this epoch
            self._start_epoch(trainer)

    def on_epoch_start(self, trainer: Any, pl_module: Any) -> None:
        super().on_epoch_start(trainer, pl_module)
        self._start_epoch(trainer)

    def _start_epoch(self, trainer: Any) -> None:
        bar = self.main_progress_bar
        if bar is None:
            return
        bar.set_description(f"Epoch {trainer.current_epoch + 1}", refresh=False)  # as 0.8.5
        if not bar.disable:
            done, bar.initial = self._main_done(trainer), 0  # reset() draws from 0
            bar.reset(_tqdm_total(self._main_total(trainer)))
            if done:  # resumed mid-epoch: go on from there, the rate counted from there
                bar.n = bar.initial = done
                bar.refresh()

    def _main_done(self, trainer: Any) -> int:
        """Batches of the epoch done before this run: training and validation checks."""
        checks, val = trainer.progress.val_checks_in_epoch, self.total_val_batches
        return self.train_batch_idx + (int(checks * val) if checks and val != math.inf else 0)

    def _main_total(self, trainer: Any) -> int | float:
        """Training batches of the epoch plus those of its validations."""
        train, val = self.total_train_batches, self.total_val_batches
        if val and train != math.inf:
            val *= _checks_per_epoch(train, trainer.val_check_batch)
        return train + val

    def on_batch_end(self, trainer: Any, pl_module: Any) -> None:
        # the hot path: a count, an attribute write and a clock read per batch; the metrics
        # are read only when the bar is redrawn
        self._train_batch_idx += 1  # ProgressBarBase's count, without a call per batch
        bar = self.main_progress_bar
        if bar is None:
            return
        bar.n += 1
        if self._train_batch_idx % self._every:
            return
        now = time.monotonic()
        if now - self._last_draw >= self.min_interval and not bar.disable and self._enabled:
            self._last_draw = now
            bar.set_postfix(trainer.progress_bar_dict, refresh=False)
            bar.refresh()

    def on_epoch_end(self, trainer: Any, pl_module: Any) -> None:
        super().on_epoch_end(trainer, pl_module)
        self._draw_metrics(trainer)

    def on_train_end(self, trainer: Any, pl_module: Any) -> None:
        super().on_train_end(trainer, pl_module)
        _close(self.main_progress_bar)

    # validation
    def on_validation_start(self, trainer: Any, pl_module: Any) -> None:
        super().on_validation_start(trainer, pl_module)
        self.val_progress_bar = _with_total(self.init_validation_tqdm(), self.total_val_batches)

    def on_validation_batch_end(self, trainer: Any, pl_module: Any) -> None:
        super().on_validation_batch_end(trainer, pl_module)
        if self.is_enabled:
            self._advance(self.val_batch_idx, self.val_progress_bar, self.main_progress_bar)

    def on_validation_end(self, trainer: Any, pl_module: Any) -> None:
        super().on_validation_end(trainer, pl_module)
        self._draw_metrics(trainer)
        _close(self.val_progress_bar)

    # test
    def on_test_start(self, trainer: Any, pl_module: Any) -> None:
        super().on_test_start(trainer, pl_module)
        self.test_progress_bar = _with_total(self.init_test_tqdm(), self.total_test_batches)

    def on_test_batch_end(self, trainer: Any, pl_module: Any) -> None:
        super().on_test_batch_end(trainer, pl_module)
        if self.is_enabled:
            self._advance(self.test_batch_idx, self.test_progress_bar)

    def on_test_end(self, trainer: Any, pl_module: Any) -> None:
        super().on_test_end(trainer, pl_module)
        _close(self.test_progress_bar)

    def teardown(self, trainer: Any, pl_module: Any, stage: str = "fit") -> None:
        # also after a failure, when the end hooks were not called; the bars keep their counts
        for bar in (self.main_progress_bar, self.val_progress_bar, self.test_progress_bar):
            _close(bar)

    # drawing
    def _advance(self, done: int, *bars: tqdm | None) -> None:
        """Count a batch on each open bar; redraw them every ``refresh_rate`` batches."""
        shown = [bar for bar in bars if bar is not None and not bar.disable]
        for bar in shown:
            bar.n += 1
        if shown and done % self._every == 0 and self._due():
            for bar in shown:
                bar.refresh()

    def _draw_metrics(self, trainer: Any) -> None:
        """Redraw the main bar with the metrics, whatever the pace (once an epoch or check)."""
        bar = self.main_progress_bar
        if bar is not None and not bar.disable and self.is_enabled:
            bar.set_postfix(trainer.progress_bar_dict, refresh=False)
            bar.refresh()

    def _due(self) -> bool:
        """Whether a redraw keeps within ``max_refresh_per_second`` (it counts as done)."""
        now = time.monotonic()
        if now - self._last_draw < self.min_interval:
            return False
        self._last_draw = now
        return True


def _count(value: float) -> int | float:
    """A batch count as an int, or ``inf`` for an unsized loader."""
    return value if value == math.inf else int(value)


def _tqdm_total(value: float) -> int | None:
    """A total for tqdm, which takes None for an unknown length."""
    return None if value == math.inf else int(value)


def _with_total(bar: tqdm, total: float) -> tqdm:
    """``bar`` (made by an ``init_*_tqdm``, as 0.8.5's take no total) drawn with ``total``."""
    bar.total = _tqdm_total(total)
    bar.refresh()
    return bar


def _sanity_total(trainer: Any) -> int | float:
    """Batches of the sanity check: ``num_sanity_val_steps`` of each validation loader."""
    steps = trainer.num_sanity_val_steps
    return sum(n if steps < 0 else min(n, steps) for n in trainer.num_val_batches)


def _checks_per_epoch(train: float, every: float) -> int:
    """Validations in an epoch of ``train`` batches: after every ``every`` batches but the
    last, and one at the end."""
    if every == math.inf or every <= 0 or train <= 0:
        return 1
    return int((train - 1) // every) + 1


def _close(bar: tqdm | None) -> None:
    if bar is not None:
        bar.close()
