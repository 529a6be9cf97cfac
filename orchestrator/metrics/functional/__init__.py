"""Lightning 0.8.5's functional metrics (``pytorch_lightning.metrics.functional``), by torchmetrics.

Example:
    >>> import torch
    >>> from orchestrator.metrics.functional import accuracy
    >>> accuracy(torch.tensor([0, 1, 2, 3]), torch.tensor([0, 1, 2, 2]))
    tensor(0.7500)
"""

from __future__ import annotations

from orchestrator.metrics.functional._classification import (
    accuracy,
    confusion_matrix,
    f1_score,
    fbeta_score,
    precision,
    precision_recall,
    recall,
    stat_scores,
    stat_scores_multiple_classes,
    to_categorical,
    to_onehot,
)
from orchestrator.metrics.functional._curves import (
    auc,
    auroc,
    average_precision,
    multiclass_precision_recall_curve,
    multiclass_roc,
    precision_recall_curve,
    roc,
)
from orchestrator.metrics.functional._regression import mae, mse, psnr, rmse, rmsle
from orchestrator.metrics.functional._segmentation import dice_score, iou

__all__ = ["accuracy", "auc", "auroc", "average_precision", "confusion_matrix", "dice_score",
           "f1_score", "fbeta_score", "iou", "mae", "mse", "multiclass_precision_recall_curve",
           "multiclass_roc", "precision", "precision_recall", "precision_recall_curve", "psnr",
           "recall", "rmse", "rmsle", "roc", "stat_scores", "stat_scores_multiple_classes",
           "to_categorical", "to_onehot"]
