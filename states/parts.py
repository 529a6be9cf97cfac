"""Outputs of a data-parallel step: one per part of the batch, gathered or averaged."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

import torch

__all__ = ["average_parts", "gather_parts", "reduce_gathered"]


def gather_parts(parts: list[Any]) -> Any:
    """One output from the parts' outputs, as ``*_step_end`` receives it.

    Scalar tensors are stacked (one entry per part), other tensors concatenated along dim 0,
    dicts, lists and tuples gathered key by key; anything else is taken from the first part.
    """
    first = parts[0]
    if len(parts) == 1:
        return first
    if isinstance(first, torch.Tensor):
        device = first.device
        tensors = [p.to(device) for p in parts]
        return torch.stack(tensors) if first.dim() == 0 else torch.cat(tensors)
    if isinstance(first, Mapping):
        return {key: gather_parts([p[key] for p in parts]) for key in first}
    if isinstance(first, list | tuple):
        return type(first)(gather_parts(list(items)) for items in zip(*parts))
    return first


def average_parts(parts: list[Any]) -> Any:
    """What a step returns when ``*_step_end`` is not overridden: scalars averaged over the
    parts (so the loss is the mean of the parts' losses), other tensors concatenated."""
    first = parts[0]
    if len(parts) == 1:
        return first
    if isinstance(first, torch.Tensor) and first.numel() == 1:
        device = first.device
        return torch.stack([p.to(device).reshape(()) for p in parts]).mean()
    if isinstance(first, Mapping):
        return {key: average_parts([p[key] for p in parts]) for key in first}
    if isinstance(first, list | tuple) and not isinstance(first, torch.Tensor):
        return type(first)(average_parts(list(items)) for items in zip(*parts))
    return gather_parts(parts)


def reduce_gathered(output: Any, parts: int) -> Any:
    """A DP output gathered over ``parts`` devices (one entry per device along dim 0), reduced
    in place as Lightning 0.8 did: a tensor is averaged; in a dict (recursively) an entry with
    at most one row per device is averaged, scalars and per-sample tensors are kept."""
    if parts <= 1:
        return output
    if isinstance(output, torch.Tensor):
        return output.mean()
    for key, value in output.items():
        if isinstance(value, Mapping):
            output[key] = reduce_gathered(value, parts)
        elif isinstance(value, torch.Tensor) and value.dim() > 0 and value.size(0) <= parts:
            output[key] = value.mean()
    return output
