"""0.8's ``pytorch_lightning.metrics.functional.classification``: the names where 0.8 code imports
them (they live in ``orchestrator.metrics.functional``)."""

from orchestrator.metrics.functional import (
    accuracy,
    auc,
    auroc,
    average_precision,
    confusion_matrix,
    dice_score,
    f1_score,
    fbeta_score,
    iou,
    multiclass_precision_recall_curve,
    multiclass_roc,
    precision,
    precision_recall,
    precision_recall_curve,
    recall,
    roc,
    stat_scores,
    stat_scores_multiple_classes,
    to_categorical,
    to_onehot,
)

__all__ = ["accuracy", "auc", "auroc", "average_precision", "confusion_matrix", "dice_score",
           "f1_score", "fbeta_score", "iou", "multiclass_precision_recall_curve", "multiclass_roc",
           "precision", "precision_recall", "precision_recall_curve", "recall", "roc",
           "stat_scores", "stat_scores_multiple_classes", "to_categorical", "to_onehot"]
