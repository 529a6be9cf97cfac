"""Callbacks: the base class and the built-in ones."""

from orchestrator.callbacks.base import Callback
from orchestrator.callbacks.early_stopping import EarlyStopping
from orchestrator.callbacks.gradient_accumulation import GradientAccumulationScheduler
from orchestrator.callbacks.lr_logger import LearningRateLogger
from orchestrator.callbacks.model_checkpoint import ModelCheckpoint
from orchestrator.callbacks.progress import ProgressBar, ProgressBarBase

__all__ = ["Callback", "EarlyStopping", "GradientAccumulationScheduler", "LearningRateLogger",
           "ModelCheckpoint", "ProgressBar", "ProgressBarBase"]
