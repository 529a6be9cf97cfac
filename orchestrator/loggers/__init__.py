"""Loggers: the base interface, a collection of loggers, TensorBoard, and the third-party
loggers of Lightning 0.8 (importable; not built yet)."""

from orchestrator.loggers.base import LightningLoggerBase, LoggerCollection
from orchestrator.loggers.tensorboard import TensorBoardLogger
from orchestrator.loggers.third_party import (
    CometLogger,
    MLFlowLogger,
    NeptuneLogger,
    TestTubeLogger,
    WandbLogger,
)

__all__ = ["CometLogger", "LightningLoggerBase", "LoggerCollection", "MLFlowLogger",
           "NeptuneLogger", "TensorBoardLogger", "TestTubeLogger", "WandbLogger"]
