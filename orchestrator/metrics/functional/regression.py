"""0.8's ``pytorch_lightning.metrics.functional.regression``: the names where 0.8 code imports them
(they live in ``orchestrator.metrics.functional``)."""

from orchestrator.metrics.functional import (
    mae,
    mse,
    psnr,
    rmse,
    rmsle,
)

__all__ = ["mae", "mse", "psnr", "rmse", "rmsle"]
