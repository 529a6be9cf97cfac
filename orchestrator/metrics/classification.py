"""0.8's ``pytorch_lightning.metrics.classification``: the names where 0.8 code imports them (they
live in ``orchestrator.metrics``)."""

from orchestrator.metrics import (
    AUROC,
    F1,
    ROC,
    Accuracy,
    AveragePrecision,
    ConfusionMatrix,
    DiceCoefficient,
    FBeta,
    IoU,
    MulticlassPrecisionRecall,
    MulticlassROC,
    Precision,
    PrecisionRecall,
    Recall,
)

__all__ = ["AUROC", "Accuracy", "AveragePrecision", "ConfusionMatrix", "DiceCoefficient", "F1",
           "FBeta", "IoU", "MulticlassPrecisionRecall", "MulticlassROC", "Precision",
           "PrecisionRecall", "ROC", "Recall"]
