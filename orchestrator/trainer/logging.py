"""0.8's ``pytorch_lightning.trainer.logging.TrainerLoggingMixin``, where its code imports it:
the metric conversions it offered, as the run makes them."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from states.metrics import to_floats
from states.parts import reduce_gathered

__all__ = ["TrainerLoggingMixin"]


class TrainerLoggingMixin:
    """``metrics_to_scalars`` and ``reduce_distributed_output``, as 0.8 code calls them."""

    @staticmethod
    def metrics_to_scalars(metrics: Mapping[str, Any]) -> dict[str, float]:
        return to_floats(metrics)

    @staticmethod
    def reduce_distributed_output(output: Any, num_gpus: int) -> Any:
        return reduce_gathered(output, num_gpus)
