"""0.8's ``pytorch_lightning.callbacks.gradient_accumulation_scheduler``: the names where 0.8 code
imports them (they live in ``orchestrator.callbacks``)."""

from orchestrator.callbacks import (
    GradientAccumulationScheduler,
)

__all__ = ["GradientAccumulationScheduler"]
