"""0.8.5's counting metrics: stat scores, accuracy, precision, recall, F-beta, confusion matrix."""

from __future__ import annotations

import warnings

import torch
from torchmetrics.functional.classification import (
    binary_stat_scores,
    multiclass_accuracy,
    multiclass_confusion_matrix,
    multiclass_fbeta_score,
    multiclass_precision,
    multiclass_recall,
    multiclass_stat_scores,
)
from torchmetrics.utilities.data import to_categorical as _tm_to_categorical
from torchmetrics.utilities.data import to_onehot as _tm_to_onehot

from orchestrator.metrics.functional._inputs import (
    as_labels,
    check_reduction,
    num_classes_of,
    per_class,
    reduce,
)

__all__ = ["accuracy", "confusion_matrix", "f1_score", "fbeta_score", "precision",
           "precision_recall", "recall", "stat_scores", "stat_scores_multiple_classes",
           "to_categorical", "to_onehot"]

_Scores = tuple[torch.Tensor, torch.Tensor, torch.Tensor, torch.Tensor, torch.Tensor]


def to_onehot(tensor: torch.Tensor, num_classes: int | None = None) -> torch.Tensor:
    """Turn labels of shape ``[N, d1, ...]`` into one-hot ``[N, C, d1, ...]`` of the same dtype.

    Example:
        >>> to_onehot(torch.tensor([1, 2, 0]))
        tensor([[0, 1, 0],
                [0, 0, 1],
                [1, 0, 0]])
    """
    return _tm_to_onehot(tensor, num_classes)


def to_categorical(tensor: torch.Tensor, argmax_dim: int = 1) -> torch.Tensor:
    """Turn scores into labels by an argmax over ``argmax_dim``.

    Example:
        >>> to_categorical(torch.tensor([[0.2, 0.8], [0.7, 0.3]]))
        tensor([1, 0])
    """
    return _tm_to_categorical(tensor, argmax_dim=argmax_dim)


def stat_scores(pred: torch.Tensor, target: torch.Tensor, class_index: int,
                argmax_dim: int = 1) -> _Scores:
    """Count true/false positives/negatives and the support of one class.

    Args:
        pred: labels, or scores with the classes at ``argmax_dim``.
        target: labels.
        class_index: the class to count.
        argmax_dim: where the classes of score inputs are.

    Returns:
        ``(tp, fp, tn, fn, support)``, each a 0-dim integer tensor.

    Example:
        >>> stat_scores(torch.tensor([1, 2, 3]), torch.tensor([0, 2, 3]), class_index=2)
        (tensor(1), tensor(0), tensor(2), tensor(0), tensor(1))
    """
    pred, target = as_labels(pred, target, argmax_dim)
    counts = binary_stat_scores((pred == class_index).long(), (target == class_index).long())
    tp, fp, tn, fn, support = counts.unbind()
    return tp, fp, tn, fn, support


def stat_scores_multiple_classes(pred: torch.Tensor, target: torch.Tensor,
                                 num_classes: int | None = None, argmax_dim: int = 1) -> _Scores:
    """:func:`stat_scores` for every class at once.

    Args:
        pred: labels, or scores with the classes at ``argmax_dim``.
        target: labels.
        num_classes: the class count; ``None`` infers it from the largest label.
        argmax_dim: where the classes of score inputs are.

    Returns:
        ``(tps, fps, tns, fns, supports)``, each a float vector with one entry per class.

    Example:
        >>> tps, fps, tns, fns, sups = stat_scores_multiple_classes(
        ...     torch.tensor([1, 2, 3]), torch.tensor([0, 2, 3]))
        >>> tps, sups
        (tensor([0., 0., 1., 1.]), tensor([1., 0., 1., 1.]))
    """
    pred, target = as_labels(pred, target, argmax_dim)
    classes = num_classes_of(pred, target, num_classes)
    counts = per_class(multiclass_stat_scores, pred, target, classes).float()
    tps, fps, tns, fns, supports = counts.unbind(dim=1)
    return tps, fps, tns, fns, supports


def accuracy(pred: torch.Tensor, target: torch.Tensor, num_classes: int | None = None,
             reduction: str = "elementwise_mean") -> torch.Tensor:
    """The share of labels predicted right, overall or per class.

    Args:
        pred: labels, or scores with the classes at dim 1.
        target: labels.
        num_classes: the class count; ``None`` infers it from the largest label.
        reduction: ``'elementwise_mean'`` or ``'sum'``: the overall accuracy (0.8.5 gave both
            the same); ``'none'``: per class, NaN for a class absent from ``target``.

    Returns:
        A 0-dim tensor, or one value per class.

    Raises:
        ValueError: ``reduction`` is not one of the three names.

    Example:
        >>> accuracy(torch.tensor([0, 1, 2, 3]), torch.tensor([0, 1, 2, 2]))
        tensor(0.7500)
    """
    reduction = check_reduction(reduction)
    pred, target = as_labels(pred, target)
    classes = num_classes_of(pred, target, num_classes)
    if reduction != "none":
        return multiclass_accuracy(pred, target, num_classes=max(classes, 2), average="micro")
    scores = per_class(multiclass_accuracy, pred, target, classes)
    support = torch.bincount(target.flatten(), minlength=classes)[:classes]
    return torch.where(support > 0, scores, torch.nan)


def precision_recall(pred: torch.Tensor, target: torch.Tensor, num_classes: int | None = None,
                     reduction: str = "elementwise_mean") -> tuple[torch.Tensor, torch.Tensor]:
    """Precision and recall per class (0/0 counts as 0), each reduced over the classes.

    Args:
        pred: labels, or scores with the classes at dim 1.
        target: labels.
        num_classes: the class count; ``None`` infers it from the largest label.
        reduction: ``'elementwise_mean'`` (the macro average), ``'sum'`` or ``'none'``.

    Returns:
        ``(precision, recall)``.

    Raises:
        ValueError: ``reduction`` is not one of the three names.

    Example:
        >>> precision_recall(torch.tensor([0, 1, 2, 3]), torch.tensor([0, 1, 2, 2]))
        (tensor(0.7500), tensor(0.6250))
    """
    return (precision(pred, target, num_classes, reduction),
            recall(pred, target, num_classes, reduction))


def precision(pred: torch.Tensor, target: torch.Tensor, num_classes: int | None = None,
              reduction: str = "elementwise_mean") -> torch.Tensor:
    """Precision ``tp / (tp + fp)`` per class, 0/0 as 0, reduced as :func:`precision_recall`.

    Example:
        >>> precision(torch.tensor([0, 1, 2, 3]), torch.tensor([0, 1, 2, 2]))
        tensor(0.7500)
    """
    check_reduction(reduction)
    pred, target = as_labels(pred, target)
    classes = num_classes_of(pred, target, num_classes)
    return reduce(per_class(multiclass_precision, pred, target, classes, zero_division=0),
                  reduction)


def recall(pred: torch.Tensor, target: torch.Tensor, num_classes: int | None = None,
           reduction: str = "elementwise_mean") -> torch.Tensor:
    """Recall ``tp / (tp + fn)`` per class, 0/0 as 0, reduced as :func:`precision_recall`.

    Example:
        >>> recall(torch.tensor([0, 1, 2, 3]), torch.tensor([0, 1, 2, 2]))
        tensor(0.6250)
    """
    check_reduction(reduction)
    pred, target = as_labels(pred, target)
    classes = num_classes_of(pred, target, num_classes)
    return reduce(per_class(multiclass_recall, pred, target, classes, zero_division=0),
                  reduction)


def fbeta_score(pred: torch.Tensor, target: torch.Tensor, beta: float,
                num_classes: int | None = None,
                reduction: str = "elementwise_mean") -> torch.Tensor:
    """The F-beta score per class (0/0 as 0), reduced over the classes.

    Args:
        pred: labels, or scores with the classes at dim 1.
        target: labels.
        beta: the weight of recall; 0 gives the precision, 1 the F1 score.
        num_classes: the class count; ``None`` infers it from the largest label.
        reduction: ``'elementwise_mean'`` (the macro average), ``'sum'`` or ``'none'``.

    Returns:
        A 0-dim tensor, or one value per class.

    Raises:
        ValueError: ``reduction`` is not one of the three names.

    Example:
        >>> fbeta_score(torch.tensor([0, 1, 2, 3]), torch.tensor([0, 1, 2, 2]), beta=0.2)
        tensor(0.7407)
    """
    if beta == 0:  # torchmetrics asks for beta > 0; F-0 is the precision
        return precision(pred, target, num_classes, reduction)
    check_reduction(reduction)
    pred, target = as_labels(pred, target)
    classes = num_classes_of(pred, target, num_classes)
    scores = per_class(multiclass_fbeta_score, pred, target, classes, beta=abs(float(beta)),
                       zero_division=0)
    return reduce(scores, reduction)


def f1_score(pred: torch.Tensor, target: torch.Tensor, num_classes: int | None = None,
             reduction: str = "elementwise_mean") -> torch.Tensor:
    """:func:`fbeta_score` with ``beta=1``, the harmonic mean of precision and recall.

    Example:
        >>> f1_score(torch.tensor([0, 1, 2, 3]), torch.tensor([0, 1, 2, 2]))
        tensor(0.6667)
    """
    return fbeta_score(pred, target, 1.0, num_classes, reduction)


def confusion_matrix(pred: torch.Tensor, target: torch.Tensor,
                     normalize: bool = False) -> torch.Tensor:
    """Count each (true class, predicted class) pair: rows are targets, columns predictions.

    Args:
        pred: labels, or scores with the classes at dim 1.
        target: labels.
        normalize: divide each row by its sum (a row of zeros stays zero).

    Returns:
        A float ``[C, C]`` tensor, ``C`` the largest label plus one.

    Example:
        >>> confusion_matrix(torch.tensor([1, 2, 2]), torch.tensor([0, 2, 2]))
        tensor([[0., 1., 0.],
                [0., 0., 0.],
                [0., 0., 2.]])
    """
    pred, target = as_labels(pred, target)
    classes = num_classes_of(pred, target, None)
    with warnings.catch_warnings():  # its note that empty rows became zeros: documented above
        warnings.filterwarnings("ignore", message=".*NaN values found in confusion matrix")
        matrix = multiclass_confusion_matrix(pred, target, num_classes=max(classes, 2),
                                             normalize="true" if normalize else None)
    return matrix[:classes, :classes].float()
