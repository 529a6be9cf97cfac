"""The run's metrics: what callbacks, the progress bar and the loggers see.

Step outputs are kept as tensors (no host synchronisation); conversion to Python floats
happens only when a logger writes or the progress bar refreshes.
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

    def __init__(self) -> None:
        self.callback_metrics: dict[str, Any] = {}
        self.progress_bar_metrics: dict[str, Any] = {}
        self.logged_metrics: dict[str, Any] = {}
        self.running_losses: deque[torch.Tensor] = deque(maxlen=20)
        self.step_log: dict[str, Any] = {}
        self.step_keys: set[str] = {"loss"}  # callback_metrics keys set by training steps

    def add_training_step(self, output: Mapping[str, Any]) -> None:
        """Record one validated training step output (tensors, detached)."""
        loss = output["loss"].detach()
        self.running_losses.append(loss)
        callback = self.callback_metrics
        callback["loss"] = loss
        if len(output) > 1:
            raw_loss = output["loss"]
            for key, value in output.items():
                if key not in _SPECIAL:
                    callback[key] = _detached(value)
                    self.step_keys.add(key)
            pbar = output.get("progress_bar")
            if pbar:
                self._merge(self.progress_bar_metrics, pbar, raw_loss, loss)
                self.step_keys.update(pbar)
            log = output.get("log")
            if log:
                self._merge(self.step_log, log, raw_loss, loss)
                self.step_keys.update(log)

    def add_epoch_end(self, output: Mapping[str, Any] | None) -> dict[str, Any]:
        """Record an epoch-end output; returns its ``log`` dict for the loggers."""
        if not output:
            return {}
        for key, value in output.items():
            if key not in ("progress_bar", "log"):
                self.callback_metrics[key] = _detached(value)
        self._merge(self.progress_bar_metrics, output.get("progress_bar") or {})
        log = output.get("log") or {}
        self._merge({}, log)
        return dict(log)

    def _merge(self, target: dict[str, Any], values: Mapping[str, Any],
               raw_loss: Any = None, loss: Any = None) -> None:
        callback = self.callback_metrics
        for key, value in values.items():
            # the loss logged as itself (the usual case) reuses its detached copy
            value = loss if value is raw_loss and raw_loss is not None else _detached(value)
            target[key] = value
            callback[key] = value

    def take_step_log(self) -> dict[str, Any]:
        """The log values gathered since the last log row, emptied."""
        row, self.step_log = self.step_log, {}
        return row

    def state_dict(self) -> dict[str, Any]:
        """Every metric as the run holds it (tensors stay tensors), for a checkpoint."""
        return {"callback_metrics": dict(self.callback_metrics),
                "progress_bar_metrics": dict(self.progress_bar_metrics),
                "logged_metrics": dict(self.logged_metrics),
                "running_losses": _stacked(list(self.running_losses)),
                "step_log": dict(self.step_log)}

    def load_state_dict(self, state: Mapping[str, Any]) -> None:
        self.callback_metrics = dict(state["callback_metrics"])
        self.progress_bar_metrics = dict(state["progress_bar_metrics"])
        self.logged_metrics = dict(state["logged_metrics"])
        losses = state["running_losses"]
        self.running_losses = deque(
            losses.unbind() if isinstance(losses, torch.Tensor) else losses, maxlen=20)
        self.step_log = dict(state["step_log"])

    def running_loss(self) -> torch.Tensor | None:
        """Mean of the last 20 training losses, as a tensor."""
        if not self.running_losses:
            return None
        return torch.stack(list(self.running_losses)).mean()


def _stacked(losses: list[torch.Tensor]) -> torch.Tensor | list[torch.Tensor]:
    """The recent losses as one tensor (one pickled object instead of twenty) when they stack."""
    if losses and all(t.shape == losses[0].shape and t.dtype == losses[0].dtype
                      and t.device == losses[0].device for t in losses):
        return torch.stack(losses)
    return losses


def _detached(value: Any) -> Any:
    return value.detach() if isinstance(value, torch.Tensor) else value
