"""``pytorch_lightning.core.memory`` (compatibility: re-exports only)."""

from orchestrator.summary import (
    PARAMETER_NUM_UNITS,
    UNKNOWN_SIZE,
    LayerSummary,
    ModelSummary,
    get_gpu_memory_map,
    get_human_readable_count,
    get_memory_profile,
)

__all__ = ["PARAMETER_NUM_UNITS", "UNKNOWN_SIZE", "LayerSummary", "ModelSummary",
           "get_gpu_memory_map", "get_human_readable_count", "get_memory_profile"]
