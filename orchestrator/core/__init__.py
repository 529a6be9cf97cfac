"""``pytorch_lightning.core``'s names (compatibility: re-exports only)."""

from orchestrator.decorators import auto_move_data, data_loader
from orchestrator.module import LightningModule
from orchestrator.summary import ModelSummary

__all__ = ["LightningModule", "ModelSummary", "auto_move_data", "data_loader"]
