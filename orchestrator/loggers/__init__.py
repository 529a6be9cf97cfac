"""Loggers: the base interface, a collection of loggers, and TensorBoard."""

from orchestrator.loggers.base import LightningLoggerBase, LoggerCollection
from orchestrator.loggers.tensorboard import TensorBoardLogger

__all__ = ["LightningLoggerBase", "LoggerCollection", "TensorBoardLogger"]
