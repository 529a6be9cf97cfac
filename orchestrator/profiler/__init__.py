"""Profilers: time the steps of a run (SimpleProfiler) or profile their calls (AdvancedProfiler)."""

from orchestrator.profiler.advanced import AdvancedProfiler
from orchestrator.profiler.base import BaseProfiler
from orchestrator.profiler.passthrough import PassThroughProfiler
from orchestrator.profiler.simple import SimpleProfiler

__all__ = ["AdvancedProfiler", "BaseProfiler", "PassThroughProfiler", "SimpleProfiler"]
