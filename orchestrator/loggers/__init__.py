"""Loggers: the base interface, a collection of loggers, TensorBoard, CSV, and the
third-party loggers of Lightning 0.8 (MLflow, Test Tube, Comet, Neptune, W&B)."""

from orchestrator.loggers.base import LightningLoggerBase, LoggerCollection
from orchestrator.loggers.comet import CometLogger
from orchestrator.loggers.csv_logs import CSVLogger
from orchestrator.loggers.mlflow import MLFlowLogger
from orchestrator.loggers.neptune import NeptuneLogger
from orchestrator.loggers.tensorboard import TensorBoardLogger
from orchestrator.loggers.test_tube import TestTubeLogger
from orchestrator.loggers.wandb import WandbLogger

__all__ = ["CSVLogger", "CometLogger", "LightningLoggerBase", "LoggerCollection", "MLFlowLogger",
           "NeptuneLogger", "TensorBoardLogger", "TestTubeLogger", "WandbLogger"]
