"""The threshold-curve metric classes of 0.8.5 (ROC, precision-recall, AUROC, AP)."""

from __future__ import annotations

from typing import Any

import torch

import orchestrator.metrics.functional as F
from orchestrator.metrics._base import TensorMetric
from orchestrator.metrics.functional._curves import _Curve, _Weights

__all__ = ["AUROC", "ROC", "AveragePrecision", "MulticlassPrecisionRecall", "MulticlassROC",
           "PrecisionRecall"]


class _Binary(TensorMetric):
    """A binary threshold metric with ``pos_label``; each output tensor is reduced."""

    _name = ""  # the 0.8.5 metric name of each subclass

    def __init__(self, pos_label: int = 1, reduce_group: Any = None,
                 reduce_op: Any = None) -> None:
        super().__init__(self._name, reduce_group, reduce_op)
        self.pos_label = pos_label


class ROC(_Binary):
    """:func:`~orchestrator.metrics.functional.roc` of each batch, as the metric's dtype.

    Args:
        pos_label: the positive label.
        reduce_group: the process group to reduce over; ``None`` is every process.
        reduce_op: a ``torch.distributed.ReduceOp`` or its name; ``None`` sums.

    Example:
        >>> fpr, tpr, thresholds = ROC()(torch.tensor([0.1, 0.4, 0.35, 0.8]),
        ...                              torch.tensor([0, 0, 1, 1]))
        >>> tpr
        tensor([0.0000, 0.5000, 0.5000, 1.0000, 1.0000])
    """

    _name = "roc"

    def forward(self, pred: torch.Tensor, target: torch.Tensor,
                sample_weight: _Weights = None) -> _Curve:
        """``(fpr, tpr, thresholds)`` of this batch."""
        return F.roc(pred, target, sample_weight, self.pos_label)


class PrecisionRecall(_Binary):
    """:func:`~orchestrator.metrics.functional.precision_recall_curve` of each batch.

    Args:
        pos_label: the positive label.
        reduce_group: the process group to reduce over; ``None`` is every process.
        reduce_op: a ``torch.distributed.ReduceOp`` or its name; ``None`` sums.

    Example:
        >>> precision, recall, thresholds = PrecisionRecall()(torch.tensor([0, 1, 2, 3]),
        ...                                                   torch.tensor([0, 1, 2, 2]))
        >>> thresholds
        tensor([1., 2., 3.])
    """

    _name = "precision_recall_curve"

    def forward(self, pred: torch.Tensor, target: torch.Tensor,
                sample_weight: _Weights = None) -> _Curve:
        """``(precision, recall, thresholds)`` of this batch."""
        return F.precision_recall_curve(pred, target, sample_weight, self.pos_label)


class AUROC(_Binary):
    """:func:`~orchestrator.metrics.functional.auroc` of each batch.

    Args:
        pos_label: the positive label.
        reduce_group: the process group to reduce over; ``None`` is every process.
        reduce_op: a ``torch.distributed.ReduceOp`` or its name; ``None`` sums.

    Example:
        >>> AUROC()(torch.tensor([0.1, 0.4, 0.35, 0.8]), torch.tensor([0, 0, 1, 1]))
        tensor(0.7500)
    """

    _name = "auroc"

    def forward(self, pred: torch.Tensor, target: torch.Tensor,
                sample_weight: _Weights = None) -> torch.Tensor:
        """The area under the ROC of this batch."""
        return F.auroc(pred, target, sample_weight, self.pos_label)


class AveragePrecision(_Binary):
    """:func:`~orchestrator.metrics.functional.average_precision` of each batch.

    Args:
        pos_label: the positive label.
        reduce_group: the process group to reduce over; ``None`` is every process.
        reduce_op: a ``torch.distributed.ReduceOp`` or its name; ``None`` sums.

    Example:
        >>> AveragePrecision()(torch.tensor([0.1, 0.4, 0.35, 0.8]), torch.tensor([0, 0, 1, 1]))
        tensor(0.8333)
    """

    _name = "AP"

    def forward(self, pred: torch.Tensor, target: torch.Tensor,
                sample_weight: _Weights = None) -> torch.Tensor:
        """The average precision of this batch."""
        return F.average_precision(pred, target, sample_weight, self.pos_label)


class _Multiclass(TensorMetric):
    """A one-vs-rest curve per class, with ``num_classes``; each output tensor is reduced."""

    _name = ""  # the 0.8.5 metric name of each subclass

    def __init__(self, num_classes: int | None = None, reduce_group: Any = None,
                 reduce_op: Any = None) -> None:
        super().__init__(self._name, reduce_group, reduce_op)
        self.num_classes = num_classes


class MulticlassROC(_Multiclass):
    """:func:`~orchestrator.metrics.functional.multiclass_roc` of each batch.

    Args:
        num_classes: the class count; ``None`` takes the largest target label plus one.
        reduce_group: the process group to reduce over; ``None`` is every process.
        reduce_op: a ``torch.distributed.ReduceOp`` or its name; ``None`` sums.

    Example:
        >>> pred = torch.tensor([[0.8, 0.2], [0.3, 0.7], [0.6, 0.4]])
        >>> len(MulticlassROC()(pred, torch.tensor([0, 1, 1])))
        2
    """

    _name = "multiclass_roc"

    def forward(self, pred: torch.Tensor, target: torch.Tensor,
                sample_weight: _Weights = None) -> tuple[_Curve, ...]:
        """One ``(fpr, tpr, thresholds)`` per class for this batch."""
        return F.multiclass_roc(pred, target, sample_weight, self.num_classes)


class MulticlassPrecisionRecall(_Multiclass):
    """:func:`~orchestrator.metrics.functional.multiclass_precision_recall_curve` of each batch.

    Args:
        num_classes: the class count; ``None`` takes the largest target label plus one.
        reduce_group: the process group to reduce over; ``None`` is every process.
        reduce_op: a ``torch.distributed.ReduceOp`` or its name; ``None`` sums.

    Example:
        >>> pred = torch.tensor([[0.8, 0.2], [0.3, 0.7], [0.6, 0.4]])
        >>> len(MulticlassPrecisionRecall()(pred, torch.tensor([0, 1, 1])))
        2
    """

    _name = "multiclass_precision_recall_curve"

    def forward(self, pred: torch.Tensor, target: torch.Tensor,
                sample_weight: _Weights = None) -> tuple[_Curve, ...]:
        """One ``(precision, recall, thresholds)`` per class for this batch."""
        return F.multiclass_precision_recall_curve(pred, target, sample_weight,
                                                   self.num_classes)
