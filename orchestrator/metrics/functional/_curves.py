"""Threshold curves of 0.8.5 (ROC, precision-recall) and the areas under them."""

from __future__ import annotations

from collections.abc import Sequence

import torch
from torchmetrics.functional.classification.precision_recall_curve import _binary_clf_curve
from torchmetrics.utilities.compute import auc as _tm_auc

__all__ = ["auc", "auroc", "average_precision", "multiclass_precision_recall_curve",
           "multiclass_roc", "precision_recall_curve", "roc"]

_Curve = tuple[torch.Tensor, torch.Tensor, torch.Tensor]
_Weights = Sequence[float] | torch.Tensor | None


def _counts(pred: torch.Tensor, target: torch.Tensor, sample_weight: _Weights,
            pos_label: int) -> _Curve:
    """(fps, tps, thresholds) at each distinct score, highest first, by torchmetrics' counter.

    The public ``binary_roc`` / ``binary_precision_recall_curve`` take no sample weights and no
    ``pos_label`` and squash scores outside [0, 1] by a sigmoid, so 0.8.5's thresholds would
    change; the counter beneath them does exactly what 0.8.5 did.
    """
    weights = None if sample_weight is None else torch.as_tensor(
        sample_weight, dtype=torch.float, device=pred.device)
    return _binary_clf_curve(pred, target, sample_weights=weights, pos_label=pos_label)


def roc(pred: torch.Tensor, target: torch.Tensor, sample_weight: _Weights = None,
        pos_label: int = 1) -> _Curve:
    """The receiver operating characteristic of a binary scorer.

    Args:
        pred: one score per sample (of a ``[N, C]`` input, column 0 is used).
        target: labels; ``pos_label`` is positive, every other value negative.
        sample_weight: one weight per sample.
        pos_label: the positive label.

    Returns:
        ``(fpr, tpr, thresholds)``, starting at (0, 0) with a threshold above every score.

    Raises:
        ValueError: ``target`` has no positive or no negative sample.

    Example:
        >>> fpr, tpr, thresholds = roc(torch.tensor([0, 1, 2, 3]), torch.tensor([0, 1, 2, 2]))
        >>> fpr, tpr, thresholds
        (tensor([0.0000, 0.3333, 0.6667, 0.6667, 1.0000]), tensor([0., 0., 0., 1., 1.]), \
tensor([4, 3, 2, 1, 0]))
    """
    fps, tps, thresholds = _counts(pred, target, sample_weight, pos_label)
    for name, count in (("negative", fps[-1]), ("positive", tps[-1])):
        if count <= 0:
            raise ValueError(
                f"roc needs a {name} sample, and target has none (pos_label={pos_label}, target "
                f"labels {torch.unique(target).tolist()}): pass a batch with both, or the right "
                "pos_label")
    fpr = torch.cat([fps.new_zeros(1), fps]) / fps[-1]
    tpr = torch.cat([tps.new_zeros(1), tps]) / tps[-1]
    return fpr, tpr, torch.cat([thresholds[:1] + 1, thresholds])


def precision_recall_curve(pred: torch.Tensor, target: torch.Tensor,
                           sample_weight: _Weights = None, pos_label: int = 1) -> _Curve:
    """Precision and recall at each threshold, up to the first that reaches full recall.

    Args:
        pred: one score per sample (of a ``[N, C]`` input, column 0 is used).
        target: labels; ``pos_label`` is positive, every other value negative.
        sample_weight: one weight per sample.
        pos_label: the positive label.

    Returns:
        ``(precision, recall, thresholds)``, thresholds increasing; precision and recall have
        one more entry, the point (recall 0, precision 1).

    Example:
        >>> precision, recall, thresholds = precision_recall_curve(
        ...     torch.tensor([0, 1, 2, 3]), torch.tensor([0, 1, 2, 2]))
        >>> precision, recall, thresholds
        (tensor([0.3333, 0.0000, 0.0000, 1.0000]), tensor([1., 0., 0., 0.]), tensor([1, 2, 3]))
    """
    fps, tps, thresholds = _counts(pred, target, sample_weight, pos_label)
    precision = tps / (tps + fps)
    recall = tps / tps[-1]
    kept = int(torch.nonzero(tps == tps[-1])[0]) + 1  # stop once recall is full
    return (torch.cat([precision[:kept].flip(0), precision.new_ones(1)]),
            torch.cat([recall[:kept].flip(0), recall.new_zeros(1)]),
            thresholds[:kept].flip(0))


def auc(x: torch.Tensor, y: torch.Tensor, reorder: bool = True) -> torch.Tensor:
    """The area under the curve ``y(x)`` by the trapezoidal rule.

    Args:
        x: x-coordinates.
        y: y-coordinates.
        reorder: sort the points by ``x`` first (stably); without it ``x`` must be monotonic.

    Raises:
        ValueError: ``reorder`` is off and ``x`` is neither increasing nor decreasing.

    Example:
        >>> auc(torch.tensor([0, 1, 2, 3]), torch.tensor([0, 1, 2, 2]))
        tensor(4.)
    """
    return _tm_auc(x, y, reorder=reorder)


def auroc(pred: torch.Tensor, target: torch.Tensor, sample_weight: _Weights = None,
          pos_label: int = 1) -> torch.Tensor:
    """The area under :func:`roc`.

    Example:
        >>> auroc(torch.tensor([0.1, 0.4, 0.35, 0.8]), torch.tensor([0, 0, 1, 1]))
        tensor(0.7500)
    """
    fpr, tpr, _ = roc(pred, target, sample_weight, pos_label)
    return auc(fpr, tpr, reorder=True)


def average_precision(pred: torch.Tensor, target: torch.Tensor, sample_weight: _Weights = None,
                      pos_label: int = 1) -> torch.Tensor:
    """The area under :func:`precision_recall_curve` as a step function: sum of precision x Δrecall.

    Example:
        >>> average_precision(torch.tensor([0.1, 0.4, 0.35, 0.8]), torch.tensor([0, 0, 1, 1]))
        tensor(0.8333)
    """
    precision, recall, _ = precision_recall_curve(pred, target, sample_weight, pos_label)
    return -torch.sum((recall[1:] - recall[:-1]) * precision[:-1])


def _classes(pred: torch.Tensor, target: torch.Tensor, num_classes: int | None) -> int:
    """The curves to draw: ``num_classes``, else the largest target label plus one."""
    classes = int(target.max()) + 1 if num_classes is None else num_classes
    if pred.ndim != 2 or pred.shape[1] < classes:
        raise ValueError(
            f"pred has shape {tuple(pred.shape)}, and {classes} classes need scores [N, C] with "
            f"C >= {classes}: pass one score column per class")
    return classes


def multiclass_roc(pred: torch.Tensor, target: torch.Tensor, sample_weight: _Weights = None,
                   num_classes: int | None = None) -> tuple[_Curve, ...]:
    """:func:`roc` of each class against the rest, class ``c`` scored by ``pred[:, c]``.

    Args:
        pred: scores ``[N, C]``.
        target: labels ``[N]``.
        sample_weight: one weight per sample.
        num_classes: the class count; ``None`` takes the largest target label plus one.

    Returns:
        One ``(fpr, tpr, thresholds)`` per class.

    Example:
        >>> pred = torch.tensor([[0.8, 0.2], [0.3, 0.7], [0.6, 0.4]])
        >>> [curve[1] for curve in multiclass_roc(pred, torch.tensor([0, 1, 1]))]
        [tensor([0., 1., 1., 1.]), tensor([0.0000, 0.5000, 1.0000, 1.0000])]
    """
    return tuple(roc(pred[:, c], target, sample_weight, pos_label=c)
                 for c in range(_classes(pred, target, num_classes)))


def multiclass_precision_recall_curve(pred: torch.Tensor, target: torch.Tensor,
                                      sample_weight: _Weights = None,
                                      num_classes: int | None = None) -> tuple[_Curve, ...]:
    """:func:`precision_recall_curve` of each class against the rest, scored by ``pred[:, c]``.

    Args:
        pred: scores ``[N, C]``.
        target: labels ``[N]``.
        sample_weight: one weight per sample.
        num_classes: the class count; ``None`` takes the largest target label plus one.

    Returns:
        One ``(precision, recall, thresholds)`` per class.

    Example:
        >>> pred = torch.tensor([[0.8, 0.2], [0.3, 0.7], [0.6, 0.4]])
        >>> [curve[0] for curve in multiclass_precision_recall_curve(pred, torch.tensor([0, 1, 1]))]
        [tensor([1., 1.]), tensor([1., 1., 1.])]
    """
    return tuple(precision_recall_curve(pred[:, c], target, sample_weight, pos_label=c)
                 for c in range(_classes(pred, target, num_classes)))
