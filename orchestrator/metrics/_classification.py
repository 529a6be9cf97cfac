"""The classification metric classes of 0.8.5, each a ``TensorMetric`` over its function."""

from __future__ import annotations

from typing import Any

import torch

import orchestrator.metrics.functional as F
from orchestrator.metrics._base import TensorMetric
from orchestrator.metrics.functional._inputs import check_reduction

__all__ = ["F1", "Accuracy", "ConfusionMatrix", "DiceCoefficient", "FBeta", "IoU", "Precision",
           "Recall"]


class _ClassScore(TensorMetric):
    """A per-class score with ``num_classes`` and ``reduction``, reduced across processes."""

    _name = ""  # the 0.8.5 metric name of each subclass

    def __init__(self, num_classes: int | None = None, reduction: str = "elementwise_mean",
                 reduce_group: Any = None, reduce_op: Any = None) -> None:
        super().__init__(self._name, reduce_group, reduce_op)
        self.num_classes = num_classes
        self.reduction = check_reduction(reduction)


class Accuracy(_ClassScore):
    """:func:`~orchestrator.metrics.functional.accuracy` of each batch.

    Args:
        num_classes: the class count; ``None`` infers it from the largest label.
        reduction: ``'elementwise_mean'``, ``'sum'`` (both the overall accuracy) or ``'none'``.
        reduce_group: the process group to reduce over; ``None`` is every process.
        reduce_op: a ``torch.distributed.ReduceOp`` or its name; ``None`` sums.

    Raises:
        ValueError: ``reduction`` or ``reduce_op`` is not a known name.

    Example:
        >>> Accuracy()(torch.tensor([0, 1, 2, 3]), torch.tensor([0, 1, 2, 2]))
        tensor(0.7500)
    """

    _name = "accuracy"

    def forward(self, pred: torch.Tensor, target: torch.Tensor) -> torch.Tensor:
        """The score of this batch (labels, or scores with the classes at dim 1)."""
        return F.accuracy(pred, target, self.num_classes, self.reduction)


class Precision(_ClassScore):
    """:func:`~orchestrator.metrics.functional.precision` of each batch; args as :class:`Accuracy`.

    Example:
        >>> Precision(num_classes=4)(torch.tensor([0, 1, 2, 3]), torch.tensor([0, 1, 2, 2]))
        tensor(0.7500)
    """

    _name = "precision"

    def forward(self, pred: torch.Tensor, target: torch.Tensor) -> torch.Tensor:
        """The score of this batch (labels, or scores with the classes at dim 1)."""
        return F.precision(pred, target, self.num_classes, self.reduction)


class Recall(_ClassScore):
    """:func:`~orchestrator.metrics.functional.recall` of each batch; args as :class:`Accuracy`.

    Example:
        >>> Recall()(torch.tensor([0, 1, 2, 3]), torch.tensor([0, 1, 2, 2]))
        tensor(0.6250)
    """

    _name = "recall"

    def forward(self, pred: torch.Tensor, target: torch.Tensor) -> torch.Tensor:
        """The score of this batch (labels, or scores with the classes at dim 1)."""
        return F.recall(pred, target, self.num_classes, self.reduction)


class F1(_ClassScore):
    """:func:`~orchestrator.metrics.functional.f1_score` of each batch; args as :class:`Accuracy`.

    Example:
        >>> F1()(torch.tensor([0, 1, 2, 3]), torch.tensor([0, 1, 2, 2]))
        tensor(0.6667)
    """

    _name = "f1"

    def forward(self, pred: torch.Tensor, target: torch.Tensor) -> torch.Tensor:
        """The score of this batch (labels, or scores with the classes at dim 1)."""
        return F.f1_score(pred, target, self.num_classes, self.reduction)


class FBeta(_ClassScore):
    """:func:`~orchestrator.metrics.functional.fbeta_score` of each batch.

    Args:
        beta: the weight of recall; 0 gives the precision, 1 the F1 score.
        num_classes: the class count; ``None`` infers it from the largest label.
        reduction: ``'elementwise_mean'`` (the macro average), ``'sum'`` or ``'none'``.
        reduce_group: the process group to reduce over; ``None`` is every process.
        reduce_op: a ``torch.distributed.ReduceOp`` or its name; ``None`` sums.

    Raises:
        ValueError: ``reduction`` or ``reduce_op`` is not a known name.

    Example:
        >>> FBeta(0.25)(torch.tensor([0, 1, 2, 3]), torch.tensor([0, 1, 2, 2]))
        tensor(0.7361)
    """

    _name = "fbeta"

    def __init__(self, beta: float, num_classes: int | None = None,
                 reduction: str = "elementwise_mean", reduce_group: Any = None,
                 reduce_op: Any = None) -> None:
        super().__init__(num_classes, reduction, reduce_group, reduce_op)
        self.beta = beta

    def forward(self, pred: torch.Tensor, target: torch.Tensor) -> torch.Tensor:
        """The score of this batch (labels, or scores with the classes at dim 1)."""
        return F.fbeta_score(pred, target, self.beta, self.num_classes, self.reduction)


class ConfusionMatrix(TensorMetric):
    """:func:`~orchestrator.metrics.functional.confusion_matrix` of each batch.

    Args:
        normalize: divide each row (a true class) by its sum.
        reduce_group: the process group to reduce over; ``None`` is every process.
        reduce_op: a ``torch.distributed.ReduceOp`` or its name; ``None`` sums.

    Example:
        >>> ConfusionMatrix()(torch.tensor([0, 1, 2, 2]), torch.tensor([0, 1, 2, 2]))
        tensor([[1., 0., 0.],
                [0., 1., 0.],
                [0., 0., 2.]])
    """

    def __init__(self, normalize: bool = False, reduce_group: Any = None,
                 reduce_op: Any = None) -> None:
        super().__init__("confusion_matrix", reduce_group, reduce_op)
        self.normalize = normalize

    def forward(self, pred: torch.Tensor, target: torch.Tensor) -> torch.Tensor:
        """The confusion matrix of this batch (rows are targets, columns predictions)."""
        return F.confusion_matrix(pred, target, self.normalize)


class DiceCoefficient(TensorMetric):
    """:func:`~orchestrator.metrics.functional.dice_score` of each batch.

    Args:
        include_background: also score class 0.
        nan_score: the score of a class whose denominator is 0.
        no_fg_score: the score of a class absent from the target.
        reduction: ``'elementwise_mean'``, ``'sum'`` or ``'none'`` (one value per class).
        reduce_group: the process group to reduce over; ``None`` is every process.
        reduce_op: a ``torch.distributed.ReduceOp`` or its name; ``None`` sums.

    Raises:
        ValueError: ``reduction`` or ``reduce_op`` is not a known name.

    Example:
        >>> pred = torch.tensor([[0.85, 0.05, 0.05, 0.05],
        ...                      [0.05, 0.85, 0.05, 0.05],
        ...                      [0.05, 0.05, 0.85, 0.05],
        ...                      [0.05, 0.05, 0.05, 0.85]])
        >>> DiceCoefficient()(pred, torch.tensor([0, 1, 3, 2]))
        tensor(0.3333)
    """

    def __init__(self, include_background: bool = False, nan_score: float = 0.0,
                 no_fg_score: float = 0.0, reduction: str = "elementwise_mean",
                 reduce_group: Any = None, reduce_op: Any = None) -> None:
        super().__init__("dice", reduce_group, reduce_op)
        self.include_background = include_background
        self.nan_score = nan_score
        self.no_fg_score = no_fg_score
        self.reduction = check_reduction(reduction)

    def forward(self, pred: torch.Tensor, target: torch.Tensor) -> torch.Tensor:
        """The dice score of this batch (``pred`` scores ``[N, C, ...]``, ``target`` labels)."""
        return F.dice_score(pred, target, self.include_background, self.nan_score,
                            self.no_fg_score, self.reduction)


class IoU(TensorMetric):
    """:func:`~orchestrator.metrics.functional.iou` of each batch, summed across processes.

    Args:
        remove_bg: drop class 0 (the background) from the result.
        reduction: ``'elementwise_mean'``, ``'sum'`` or ``'none'`` (one value per class).

    Raises:
        ValueError: ``reduction`` is not one of the three names.

    Example:
        >>> IoU()(torch.tensor([0, 1, 1, 1]), torch.tensor([0, 0, 1, 1]))
        tensor(0.5833)
    """

    def __init__(self, remove_bg: bool = False, reduction: str = "elementwise_mean") -> None:
        super().__init__("iou")
        self.remove_bg = remove_bg
        self.reduction = check_reduction(reduction)

    def forward(self, y_pred: torch.Tensor, y_true: torch.Tensor,
                sample_weight: torch.Tensor | None = None) -> torch.Tensor:
        """The IoU of this batch; ``sample_weight`` is accepted and unused, as in 0.8.5."""
        return F.iou(y_pred, y_true, remove_bg=self.remove_bg, reduction=self.reduction)
