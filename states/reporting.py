"""Turn recorded metrics into logger rows and test results (the only place that syncs)."""

from __future__ import annotations

import re
from collections.abc import Mapping
from typing import Any

import torch

from backends.gpu import gpu_memory_used
from states.metrics import to_floats
from states.run import Run

__all__ = ["agree_on_step_metrics", "agree_on_stop", "agreed", "log_epoch_end", "log_step_row",
           "test_results"]

_LOADER_SUFFIX = re.compile(r"^(.*)/dataloader_idx_(\d+)$")


def log_step_row(run: Run, step_index: int) -> None:
    """Write the ``log`` values gathered since the last row, at ``step_index`` (the optimizer
    step the batch belongs to: the rows of an accumulation share its index, as in 0.8.5)."""
    row = run.state.metrics.take_step_log()
    if row:
        row = to_floats(agreed(run, row))  # a key logged on some ranks only stays local
        if run.config.log_gpu_memory is not None:
            row.update(gpu_memory_used(run.config.log_gpu_memory))
        _write_row(run, row, step_index)


def _write_row(run: Run, row: dict[str, float], step_index: int) -> None:
    """Log ``row`` at ``step_index`` with the epoch added, or, when it has a ``'step'`` key,
    at that step and as given (0.8.5: a module may choose the x-axis of its rows)."""
    if "step" in row:
        step_index = int(row.pop("step"))
    else:
        row["epoch"] = float(run.state.progress.epoch)
    run.state.metrics.logged_metrics.update(row)
    run.loggers.log_metrics(row, step_index)


def log_epoch_end(run: Run, output: Mapping[str, Any] | None) -> None:
    """Record an epoch-end output; write its ``log`` dict at the latest step's index.

    Every row is written at the index of the optimizer step it follows (``global_step - 1``),
    so a resumed run can purge what a killed run wrote after its checkpoint.
    """
    log = run.state.metrics.add_epoch_end(agreed(run, output) if output else output)
    if log:
        _write_row(run, to_floats(log), max(run.state.progress.global_step - 1, 0))


def agreed(run: Run, values: Mapping[str, Any]) -> dict[str, Any]:
    """``values`` with every scalar averaged over the processes (nested dicts too).

    The processes first agree on the keys, each with its kind (scalar or dict): a key only some
    of them have stays local, so a conditional log on one rank can neither pair up different
    metrics nor leave a collective waiting. The reductions then run in sorted key order.
    """
    if not run.backend.several_processes:
        return dict(values)
    mine = sorted((key, "dict" if isinstance(value, Mapping) else "scalar")
                  for key, value in values.items()
                  if isinstance(value, Mapping) or _is_scalar(value))
    every = run.backend.gather_object(mine)
    common = sorted(set(every[0]).intersection(*every[1:]))
    out = dict(values)
    for key, kind in common:
        value = values[key]
        if kind == "dict":
            out[key] = agreed(run, value)
        else:
            out[key] = run.backend.reduce(torch.as_tensor(value, dtype=torch.float32))
    return out


def agree_on_stop(run: Run) -> None:
    """With several processes, a stop requested on any of them is a stop for all."""
    backend, progress = run.backend, run.state.progress
    if backend.several_processes:
        flag = torch.tensor(float(progress.stop_requested))
        progress.stop_requested = bool(backend.reduce(flag, "max").item())


def agree_on_step_metrics(run: Run) -> None:
    """Under DDP, before callbacks decide: the latest training step's metrics (``loss`` and what
    ``log``, ``progress_bar`` and other keys of the step output gave) become their mean over the
    processes, so a checkpoint or early-stopping decision on a training metric is the same on
    every rank. Validation metrics are reduced when recorded."""
    if not run.backend.several_processes:
        return
    store = run.state.metrics
    local = {k: store.callback_metrics[k] for k in sorted(store.step_keys)
             if k in store.callback_metrics}
    for key, value in agreed(run, local).items():
        store.callback_metrics[key] = value
        if key in store.progress_bar_metrics:
            store.progress_bar_metrics[key] = value


def test_results(output: Mapping[str, Any] | None,
                 per_loader: list[list[Any]]) -> list[dict[str, float]]:
    """One dict of metrics per test loader.

    With ``test_epoch_end``: its metrics (top-level scalars, ``log`` and ``progress_bar``),
    a key ending in ``/dataloader_idx_N`` going to loader N only. Without it: the mean of
    each scalar the loader's ``test_step`` returned (top level and ``log``).
    """
    if output is None:
        return [_mean_of_steps(outputs) for outputs in per_loader]
    flat = _scalars(output)
    results: list[dict[str, float]] = [{} for _ in per_loader] or [{}]
    for key, value in flat.items():
        match = _LOADER_SUFFIX.match(key)
        targets = [int(match.group(2))] if match else range(len(results))
        for idx in targets:
            if idx < len(results):
                results[idx][key] = value
    return results


def _scalars(output: Mapping[str, Any]) -> dict[str, float]:
    found: dict[str, Any] = {}
    for key, value in output.items():
        if key in ("log", "progress_bar") and isinstance(value, Mapping):
            found.update(value)
        elif _is_scalar(value):
            found[key] = value
    return to_floats(found)


def _mean_of_steps(outputs: list[Any]) -> dict[str, float]:
    sums: dict[str, list[float]] = {}
    for output in outputs:
        if isinstance(output, Mapping):
            for key, value in _scalars(output).items():
                sums.setdefault(key, []).append(value)
    return {key: sum(values) / len(values) for key, values in sums.items()}


def _is_scalar(value: Any) -> bool:
    if isinstance(value, torch.Tensor):
        return value.numel() == 1
    return isinstance(value, int | float) and not isinstance(value, bool)
