"""Callbacks: the base class and the built-in ones."""

from orchestrator.callbacks.base import Callback
from orchestrator.callbacks.early_stopping import EarlyStopping
from orchestrator.callbacks.model_checkpoint import ModelCheckpoint
from orchestrator.callbacks.progress import ProgressBar

__all__ = ["Callback", "EarlyStopping", "ModelCheckpoint", "ProgressBar"]
