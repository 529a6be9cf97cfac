"""0.8's ``pytorch_lightning.profiler.profilers``: the names where 0.8 code imports them (they live
in ``orchestrator.profiler``)."""

from orchestrator.profiler import (
    AdvancedProfiler,
    BaseProfiler,
    PassThroughProfiler,
    SimpleProfiler,
)

__all__ = ["AdvancedProfiler", "BaseProfiler", "PassThroughProfiler", "SimpleProfiler"]
