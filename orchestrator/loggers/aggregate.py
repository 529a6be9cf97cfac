"""Rows logged at one step, merged into one (0.8.5's ``agg_and_log_metrics``).

The trainer logs one row per step itself; this serves code that calls
``logger.agg_and_log_metrics`` directly, several times for a step.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from typing import Any

__all__ = ["AggregateFuncs", "StepAggregator", "mean", "merge_dicts"]

Reduce = Callable[[Sequence[float]], float]
AggregateFuncs = Mapping[str, Any]  # key -> reduce, or a nested mapping for a nested dict


def mean(values: Sequence[float]) -> float:
    """The arithmetic mean, 0.8.5's default reduction."""
    return sum(values) / len(values)


def merge_dicts(dicts: Sequence[Mapping[str, Any]], agg_key_funcs: AggregateFuncs | None = None,
                default_func: Reduce = mean) -> dict[str, Any]:
    """One dict from several: each key's values reduced by its function in ``agg_key_funcs``
    (else ``default_func``); nested dicts are merged the same way, key by key."""
    funcs = agg_key_funcs or {}
    keys = sorted({key for d in dicts for key in d})
    merged: dict[str, Any] = {}
    for key in keys:
        values = [d[key] for d in dicts if key in d]
        if all(isinstance(v, Mapping) for v in values):
            nested = funcs.get(key)
            merged[key] = merge_dicts(values, nested if isinstance(nested, Mapping) else None,
                                      default_func)
        else:
            func = funcs.get(key, default_func)
            merged[key] = values[0] if len(values) == 1 else func(values)
    return merged


class StepAggregator:
    """Keeps the rows of the current step; a row of a new step releases the merged previous."""

    def __init__(self) -> None:
        self.key_funcs: dict[str, Any] = {}
        self.default_func: Reduce = mean
        self._step: int | None = None
        self._rows: list[Mapping[str, Any]] = []

    def add(self, metrics: Mapping[str, Any], step: int | None) -> tuple[int | None, dict] | None:
        """Keep ``metrics``; the merged row of the step before, when this one starts a new step."""
        if self._rows and step == self._step:
            self._rows.append(metrics)
            return None
        released = self.flush()
        self._step, self._rows = step, [metrics]
        return released

    def flush(self) -> tuple[int | None, dict] | None:
        """The merged row of the kept step (None when nothing is kept), forgetting it."""
        rows, self._rows = self._rows, []
        if not rows:
            return None
        return self._step, merge_dicts(rows, self.key_funcs, self.default_func)
