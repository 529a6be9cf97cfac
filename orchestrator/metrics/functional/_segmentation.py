"""Overlap metrics of 0.8.5: the dice score and the intersection over union."""

from __future__ import annotations

import torch
from torchmetrics.functional.classification import multiclass_f1_score, multiclass_jaccard_index

from orchestrator.metrics.functional._inputs import (
    as_labels,
    check_reduction,
    num_classes_of,
    per_class,
    reduce,
)

__all__ = ["dice_score", "iou"]


def dice_score(pred: torch.Tensor, target: torch.Tensor, bg: bool = False,
               nan_score: float = 0.0, no_fg_score: float = 0.0,
               reduction: str = "elementwise_mean") -> torch.Tensor:
    """The dice score ``2 tp / (2 tp + fp + fn)`` of each class (its F1 score), reduced.

    Args:
        pred: scores ``[N, C, ...]``; the classes are ``C``, argmax'd over dim 1.
        target: labels ``[N, ...]``.
        bg: also score class 0, the background.
        nan_score: the score of a class whose denominator is 0 (it cannot be, once the class
            is in ``target``; kept for 0.8.5's signature).
        no_fg_score: the score of a class absent from ``target``.
        reduction: ``'elementwise_mean'``, ``'sum'`` or ``'none'`` (one value per class).

    Returns:
        A 0-dim tensor, or one value per scored class.

    Raises:
        ValueError: ``reduction`` is not one of the three names.

    Example:
        >>> pred = torch.tensor([[0.85, 0.05, 0.05, 0.05],
        ...                      [0.05, 0.85, 0.05, 0.05],
        ...                      [0.05, 0.05, 0.85, 0.05],
        ...                      [0.05, 0.05, 0.05, 0.85]])
        >>> dice_score(pred, torch.tensor([0, 1, 3, 2]))
        tensor(0.3333)
    """
    check_reduction(reduction)
    classes = pred.shape[1]
    labels, target = as_labels(pred, target)
    if int(target.max()) >= classes:
        raise ValueError(
            f"target holds the label {int(target.max())}, but pred has {classes} score columns "
            "at dim 1: pass pred as [N, C, ...] scores with a column for every target label")
    scores = per_class(multiclass_f1_score, labels, target, classes, zero_division=0).float()
    present = torch.bincount(target.flatten(), minlength=classes)[:classes] > 0
    scores = torch.where(present, scores, no_fg_score)
    return reduce(scores if bg else scores[1:], reduction)


def iou(pred: torch.Tensor, target: torch.Tensor, num_classes: int | None = None,
        remove_bg: bool = False, reduction: str = "elementwise_mean") -> torch.Tensor:
    """The intersection over union (Jaccard index) ``tp / (tp + fp + fn)`` of each class, reduced.

    Args:
        pred: labels, or scores with the classes at dim 1.
        target: labels.
        num_classes: the class count; ``None`` infers it from the largest label.
        remove_bg: drop class 0 (the background) from the result.
        reduction: ``'elementwise_mean'``, ``'sum'`` or ``'none'`` (one value per class).

    Returns:
        A 0-dim tensor, or one value per class; a class in neither input scores 0.

    Raises:
        ValueError: ``reduction`` is not one of the three names.

    Example:
        >>> iou(torch.tensor([0, 1, 1, 1]), torch.tensor([0, 0, 1, 1]))
        tensor(0.5833)
    """
    check_reduction(reduction)
    pred, target = as_labels(pred, target)
    classes = num_classes_of(pred, target, num_classes)
    scores = per_class(multiclass_jaccard_index, pred, target, classes, zero_division=0)
    return reduce(scores[1:] if remove_bg else scores, reduction)
