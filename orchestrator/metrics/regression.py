"""0.8's ``pytorch_lightning.metrics.regression``: the names where 0.8 code imports them (they live
in ``orchestrator.metrics``)."""

from orchestrator.metrics import (
    MAE,
    MSE,
    PSNR,
    RMSE,
    RMSLE,
)

__all__ = ["MAE", "MSE", "PSNR", "RMSE", "RMSLE"]
