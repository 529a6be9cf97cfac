"""The run's metrics: what callbacks, the progress bar and the loggers see.

Step outputs are kept as tensors (no host synchronisation); conversion to Python floats
happens only when a logger writes or the progress bar refreshes. Work is done when the metrics
are read (a log row, a callback, the progress bar, a checkpoint), not per step:

- the latest loss is held as it came (the training step holds it until the next step's forward
  anyway) and detached when read; the running loss (the mean of the last 20 losses, which the
  progress bar shows) is kept, a detach per step, only when ``running_loss=True``;
- the rest of a step's output (``log``, ``progress_bar``, other keys) is held by reference; a
  step whose output has the same keys as the one before replaces it, as its values would.
"""

from __future__ import annotations

from collections import deque
from collections.abc import Mapping
from typing import Any

import torch

__all__ = ["MetricStore", "to_floats"]

_SPECIAL = ("loss", "progress_bar", "log", "hiddens")


def to_floats(metrics: Mapping[str, Any]) -> dict[str, float]:
    """Python numbers from scalar tensors (a host sync: call only at log/refresh time)."""
    return {k: (v.item() if isinstance(v, torch.Tensor) else float(v)) for k, v in metrics.items()}


class MetricStore:
    """callback_metrics, progress-bar metrics and the pending log row of a run."""

    def __init__(self, running_loss: bool = True) -> None:
        self._callback: dict[str, Any] = {}
        self._progress_bar: dict[str, Any] = {}
        self._step_log: dict[str, Any] = {}
        self._step_keys: set[str] = {"loss"}  # callback_metrics keys set by training steps
        self._unread: Mapping[str, Any] | None = None  # the latest output with more than a loss
        self._latest_loss: torch.Tensor | None = None  # the latest loss, not yet detached
        self.logged_metrics: dict[str, Any] = {}
        self.running_losses: deque[torch.Tensor] | None = deque(maxlen=20) \
            if running_loss else None

    # what readers see: every step output recorded so far merged in
    @property
    def callback_metrics(self) -> dict[str, Any]:
        self.settle()
        return self._callback

    @property
    def progress_bar_metrics(self) -> dict[str, Any]:
        self.settle()
        return self._progress_bar

    @property
    def step_log(self) -> dict[str, Any]:
        """The log values gathered since the last log row."""
        self.settle()
        return self._step_log

    @property
    def step_keys(self) -> set[str]:
        self.settle()
        return self._step_keys

    def add_training_step(self, output: Mapping[str, Any]) -> None:
        """Record one validated training step output (the hot path: see the module's doc)."""
        loss = output["loss"]
        running = self.running_losses
        if running is not None:
            running.append(loss.detach())
        self._latest_loss = loss
        if len(output) > 1:
            unread = self._unread
            if unread is not None and not _same_keys(unread, output):
                self._merge(unread, unread["loss"].detach())
            self._unread = output

    def settle(self) -> None:
        """Merge what the latest steps gave into the metrics, and let go of their tensors."""
        latest = self._latest_loss
        if latest is None:
            return
        self._latest_loss = None
        running = self.running_losses
        loss = self._callback["loss"] = running[-1] if running else latest.detach()
        unread = self._unread
        if unread is not None:
            self._unread = None
            self._merge(unread, loss if unread["loss"] is latest else unread["loss"].detach())

    def _merge(self, output: Mapping[str, Any], loss: torch.Tensor) -> None:
        """Record ``output``'s metrics; ``loss`` is its loss, detached."""
        raw_loss, callback = output["loss"], self._callback
        for key, value in output.items():
            if key not in _SPECIAL:
                callback[key] = _detached(value)
                self._step_keys.add(key)
        pbar = output.get("progress_bar")
        if pbar:
            self._record(self._progress_bar, pbar, raw_loss, loss)
            self._step_keys.update(pbar)
        log = output.get("log")
        if log:
            self._record(self._step_log, log, raw_loss, loss)
            self._step_keys.update(log)

    def add_epoch_end(self, output: Mapping[str, Any] | None) -> dict[str, Any]:
        """Record an epoch-end output; returns its ``log`` dict for the loggers."""
        if not output:
            return {}
        self.settle()
        for key, value in output.items():
            if key not in ("progress_bar", "log"):
                self._callback[key] = _detached(value)
        self._record(self._progress_bar, output.get("progress_bar") or {})
        log = output.get("log") or {}
        self._record({}, log)
        return dict(log)

    def _record(self, target: dict[str, Any], values: Mapping[str, Any],
                raw_loss: Any = None, loss: Any = None) -> None:
        callback = self._callback
        for key, value in values.items():
            # the loss logged as itself (the usual case) reuses its detached copy
            value = loss if value is raw_loss and raw_loss is not None else _detached(value)
            target[key] = value
            callback[key] = value

    def take_step_log(self) -> dict[str, Any]:
        """The log values gathered since the last log row, emptied."""
        self.settle()
        row, self._step_log = self._step_log, {}
        return row

    def running_loss(self) -> torch.Tensor | None:
        """Mean of the last 20 training losses, as a tensor (without ``running_loss=True``:
        the latest loss)."""
        if self.running_losses is None:
            return self.callback_metrics.get("loss")
        if not self.running_losses:
            return None
        return torch.stack(list(self.running_losses)).mean()

    def state_dict(self) -> dict[str, Any]:
        """Every metric as the run holds it (tensors stay tensors), for a checkpoint."""
        self.settle()
        return {"callback_metrics": dict(self._callback),
                "progress_bar_metrics": dict(self._progress_bar),
                "logged_metrics": dict(self.logged_metrics),
                "running_losses": _stacked(list(self.running_losses or ())),
                "step_log": dict(self._step_log)}

    def load_state_dict(self, state: Mapping[str, Any]) -> None:
        self._unread = self._latest_loss = None
        self._callback = dict(state["callback_metrics"])
        self._progress_bar = dict(state["progress_bar_metrics"])
        self.logged_metrics = dict(state["logged_metrics"])
        if self.running_losses is not None:
            losses = state["running_losses"]
            self.running_losses = deque(
                losses.unbind() if isinstance(losses, torch.Tensor) else losses, maxlen=20)
        self._step_log = dict(state["step_log"])


def _same_keys(before: Mapping[str, Any], after: Mapping[str, Any]) -> bool:
    """Whether ``after`` sets every metric ``before`` set (so it supersedes it unread)."""
    if before.keys() != after.keys():
        return False
    for key in ("log", "progress_bar"):
        old = before.get(key)
        if old and old.keys() != after[key].keys():
            return False
    return True


def _stacked(losses: list[torch.Tensor]) -> torch.Tensor | list[torch.Tensor]:
    """The recent losses as one tensor (one pickled object instead of twenty) when they stack."""
    if losses and all(t.shape == losses[0].shape and t.dtype == losses[0].dtype
                      and t.device == losses[0].device for t in losses):
        return torch.stack(losses)
    return losses


def _detached(value: Any) -> Any:
    return value.detach() if isinstance(value, torch.Tensor) else value
