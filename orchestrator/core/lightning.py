"""``pytorch_lightning.core.lightning`` (compatibility: re-exports only)."""

from orchestrator.module import LightningModule

__all__ = ["LightningModule"]
