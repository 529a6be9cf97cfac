"""Outputs of a data-parallel step: one per part of the batch, gathered or averaged."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

import torch

__all__ = ["average_parts", "gather_parts"]


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
