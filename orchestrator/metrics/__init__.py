"""Lightning 0.8.5's metrics (``pytorch_lightning.metrics``), computed by torchmetrics.

Each class is an ``nn.Module`` called on a batch, ``Accuracy(num_classes=10)(pred, target)``;
``functional`` holds the same metrics as functions. See ``docs/metrics.md``.

Example:
    >>> import torch
    >>> from orchestrator.metrics import Accuracy
    >>> Accuracy()(torch.tensor([0, 1, 2, 3]), torch.tensor([0, 1, 2, 2]))
    tensor(0.7500)
"""

from __future__ import annotations

from orchestrator.metrics import functional
from orchestrator.metrics._base import Metric, NumpyMetric, TensorMetric
from orchestrator.metrics._classification import (
    F1,
    Accuracy,
    ConfusionMatrix,
    DiceCoefficient,
    FBeta,
    IoU,
    Precision,
    Recall,
)
from orchestrator.metrics._curves import (
    AUROC,
    ROC,
    AveragePrecision,
    MulticlassPrecisionRecall,
    MulticlassROC,
    PrecisionRecall,
)
from orchestrator.metrics._regression import MAE, MSE, PSNR, RMSE, RMSLE

__all__ = ["AUROC", "F1", "MAE", "MSE", "PSNR", "RMSE", "RMSLE", "ROC", "Accuracy",
           "AveragePrecision", "ConfusionMatrix", "DiceCoefficient", "FBeta", "IoU", "Metric",
           "MulticlassPrecisionRecall", "MulticlassROC", "NumpyMetric", "Precision",
           "PrecisionRecall", "Recall", "TensorMetric", "functional"]
