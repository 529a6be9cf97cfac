"""The learning-rate range test: its results, the suggested rate, the plot, and the pieces a
trial fit runs with (the optimizer with a rising rate, the callback that records the loss)."""

from __future__ import annotations

import math
import warnings
from collections.abc import Callable
from typing import Any, Literal

import numpy as np
import torch

from orchestrator.callbacks import Callback
from schemas.errors import MisconfigurationError
from states.optim import parse_optimizers

__all__ = ["LRFinder", "LRRecorder"]

Mode = Literal["linear", "exponential"]


class LRFinder:
    """What ``Trainer.lr_find`` found: ``results['lr']`` and ``results['loss']`` (the smoothed
    training loss at each optimizer step), ``suggestion()`` and ``plot()``.

    Example:
        >>> finder = trainer.lr_find(model)
        >>> model.lr = finder.suggestion()
        >>> finder.plot(suggest=True).savefig("lr.png")   # needs matplotlib
    """

    def __init__(self, mode: str, lr_min: float, lr_max: float, num_training: int) -> None:
        if mode not in ("linear", "exponential"):
            raise MisconfigurationError(
                f"lr_find(mode={mode!r}): the learning rate rises 'linear' or 'exponential'")
        if not 0 < lr_min < lr_max:
            raise MisconfigurationError(
                f"lr_find(min_lr={lr_min!r}, max_lr={lr_max!r}): need 0 < min_lr < max_lr")
        if num_training < 1:
            raise MisconfigurationError(
                f"lr_find(num_training={num_training!r}): the number of steps must be >= 1")
        self.mode, self.lr_min, self.lr_max, self.num_training = mode, lr_min, lr_max, num_training
        self.results: dict[str, list[float]] = {"lr": [], "loss": []}
        self._optimal_idx: int | None = None

    def lr_at(self, step: int) -> float:
        """The learning rate of optimizer step ``step`` (``lr_min`` at 0, ``lr_max`` at the
        last step)."""
        position = step / (self.num_training - 1) if self.num_training > 1 else 0.0
        if self.mode == "linear":
            return self.lr_min + position * (self.lr_max - self.lr_min)
        return self.lr_min * (self.lr_max / self.lr_min) ** position

    def optimizers_from(self, configure: Callable[[], Any]) -> Callable[[], Any]:
        """A ``configure_optimizers`` giving ``configure()``'s single optimizer, started at
        ``lr_min`` and stepped by a scheduler to ``lr_max`` (the module's own schedulers are
        left out)."""

        def configure_optimizers() -> Any:
            optimizers, _ = parse_optimizers(configure())
            if len(optimizers) != 1:
                raise MisconfigurationError(
                    f"lr_find works with one optimizer; configure_optimizers returned "
                    f"{len(optimizers)}. Run it on a module with one, or find each rate apart")
            optimizer = optimizers[0]
            for group in optimizer.param_groups:  # initial_lr too: a scheduler may have set it
                group["lr"] = group["initial_lr"] = self.lr_min
            scheduler = torch.optim.lr_scheduler.LambdaLR(
                optimizer, lambda step: self.lr_at(step) / self.lr_min)
            return [optimizer], [{"scheduler": scheduler, "interval": "step"}]

        return configure_optimizers

    def suggestion(self, skip_begin: int = 10, skip_end: int = 1) -> float | None:
        """The rate where the smoothed loss falls fastest, leaving out the first
        ``skip_begin`` and last ``skip_end`` points; None (with a warning) when fewer than two
        finite points remain."""
        lrs, losses = self.results["lr"], self.results["loss"]
        stop = len(losses) - skip_end
        kept = [i for i in range(skip_begin, stop) if math.isfinite(losses[i])]
        if len(kept) < 2:
            warnings.warn(
                f"lr_find recorded {len(losses)} point(s); with skip_begin={skip_begin} and "
                f"skip_end={skip_end} fewer than two remain to suggest a rate from. Run more "
                "steps (num_training) or lower skip_begin", UserWarning, stacklevel=2)
            self._optimal_idx = None
            return None
        steepest = int(np.gradient(np.array([losses[i] for i in kept])).argmin())
        self._optimal_idx = kept[steepest]
        return lrs[self._optimal_idx]

    def plot(self, suggest: bool = False, show: bool = False) -> Any:
        """A matplotlib figure of the loss against the rate (log scale when exponential);
        ``suggest`` marks the suggested rate, ``show`` shows the figure.

        Raises:
            ImportError: matplotlib is not installed.
        """
        try:
            import matplotlib.pyplot as plt
        except ImportError as exc:
            raise ImportError(
                "LRFinder.plot() needs matplotlib, which is not installed: pip install "
                "matplotlib (the results are in lr_finder.results without it)") from exc
        figure, axes = plt.subplots()
        axes.plot(self.results["lr"], self.results["loss"])
        if self.mode == "exponential":
            axes.set_xscale("log")
        axes.set_xlabel("Learning rate")
        axes.set_ylabel("Loss")
        if suggest and self.suggestion() is not None and self._optimal_idx is not None:
            index = self._optimal_idx
            axes.plot(self.results["lr"][index], self.results["loss"][index],
                      markersize=10, marker="o", color="red")
        if show:
            plt.show()
        return figure


class LRRecorder(Callback):
    """Records the rate and the smoothed loss of each optimizer step of a range test, and
    stops the fit once the loss exceeds ``early_stop_threshold`` times the best so far (None:
    never) or is no longer finite.

    The smoothed loss is an exponential moving average (``beta``) corrected for its start.
    """

    def __init__(self, early_stop_threshold: float | None = 4.0, beta: float = 0.98) -> None:
        self.early_stop_threshold, self.beta = early_stop_threshold, beta
        self.lrs: list[float] = []
        self.losses: list[float] = []
        self._average = 0.0
        self._best = math.inf
        self._lr = math.nan
        self._step = -1
        self._batch_losses: list[float] = []  # the batches of the step being accumulated

    def on_train_start(self, trainer: Any, pl_module: Any) -> None:
        self._step = trainer.global_step

    def on_batch_start(self, trainer: Any, pl_module: Any) -> None:
        self._lr = trainer.optimizers[0].param_groups[0]["lr"]

    def on_batch_end(self, trainer: Any, pl_module: Any) -> None:
        loss = trainer.callback_metrics.get("loss")
        if loss is None:
            return  # no step output yet (a skipped batch)
        self._batch_losses.append(float(loss))
        if trainer.global_step == self._step:
            return  # the step's gradients are still being accumulated
        self._step = trainer.global_step
        mean = sum(self._batch_losses) / len(self._batch_losses)
        self._batch_losses.clear()
        self._average = self.beta * self._average + (1 - self.beta) * mean
        smoothed = self._average / (1 - self.beta ** (len(self.losses) + 1))
        self.lrs.append(self._lr)
        self.losses.append(smoothed)
        threshold = self.early_stop_threshold
        if not math.isfinite(smoothed) or (
                threshold is not None and len(self.losses) > 1
                and smoothed > threshold * self._best):
            trainer.should_stop = True
        self._best = min(self._best, smoothed)
