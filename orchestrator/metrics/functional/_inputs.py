"""Lightning 0.8.5's input rules for metrics: labels or scores, the class count, the reduction."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any, Literal, cast

import torch
from torchmetrics.utilities import reduce as _tm_reduce
from torchmetrics.utilities.data import to_categorical

__all__ = ["REDUCTIONS", "Reduction", "as_labels", "check_reduction", "num_classes_of",
           "per_class", "reduce"]

Reduction = Literal["elementwise_mean", "sum", "none"]
REDUCTIONS: tuple[str, ...] = ("elementwise_mean", "sum", "none")


def check_reduction(reduction: str) -> Reduction:
    """Return ``reduction`` if it is one of 0.8.5's names, else raise a ValueError that lists them.

    Example:
        >>> check_reduction("sum")
        'sum'
    """
    if reduction not in REDUCTIONS:
        raise ValueError(
            f"reduction={reduction!r} is not a reduction this metric knows: pass "
            "'elementwise_mean' (the mean, the default), 'sum', or 'none' (one value per class "
            "or element)")
    return cast(Reduction, reduction)


def reduce(values: torch.Tensor, reduction: str) -> torch.Tensor:
    """Reduce ``values`` by 0.8.5's ``reduction`` name (torchmetrics' ``reduce`` after a check).

    Example:
        >>> reduce(torch.tensor([1.0, 3.0]), "elementwise_mean")
        tensor(2.)
    """
    return _tm_reduce(values, check_reduction(reduction))


def as_labels(pred: torch.Tensor, target: torch.Tensor,
              argmax_dim: int = 1) -> tuple[torch.Tensor, torch.Tensor]:
    """Return ``(pred, target)`` as integer labels; scores (one more dim) are argmax'd.

    Example:
        >>> as_labels(torch.tensor([[0.9, 0.1], [0.2, 0.8]]), torch.tensor([0, 0]))
        (tensor([0, 1]), tensor([0, 0]))
    """
    if pred.ndim == target.ndim + 1:
        pred = to_categorical(pred, argmax_dim=argmax_dim)
    elif pred.ndim != target.ndim:
        raise ValueError(
            f"pred has shape {tuple(pred.shape)} and target {tuple(target.shape)}: pass pred as "
            f"labels of target's shape, or as scores with one more dimension (classes at dim "
            f"{argmax_dim})")
    return pred.long(), target.long()


def num_classes_of(pred: torch.Tensor, target: torch.Tensor, num_classes: int | None) -> int:
    """The class count: ``num_classes`` if given, else the largest label in either plus one.

    Example:
        >>> num_classes_of(torch.tensor([0, 3]), torch.tensor([1, 2]), None)
        4
    """
    needed = int(torch.maximum(pred.max(), target.max())) + 1
    if num_classes is None:
        return needed
    if num_classes < needed:
        raise ValueError(
            f"num_classes={num_classes}, but pred or target holds the label {needed - 1}: pass "
            f"num_classes={needed} or more, or num_classes=None to infer it")
    return num_classes


def per_class(metric: Callable[..., torch.Tensor], pred: torch.Tensor, target: torch.Tensor,
              num_classes: int, **kwargs: Any) -> torch.Tensor:
    """Call a torchmetrics ``multiclass_*`` function with ``average='none'``, for any class count.

    torchmetrics asks for at least two classes; one class is counted as two and cut back, which
    changes nothing since every count is per class.

    Example:
        >>> from torchmetrics.functional.classification import multiclass_recall
        >>> per_class(multiclass_recall, torch.tensor([0, 0]), torch.tensor([0, 0]), 1)
        tensor([1.])
    """
    values = metric(pred, target, num_classes=max(num_classes, 2), average="none", **kwargs)
    return values[:num_classes]
