"""``pytorch_lightning.core.decorators`` (compatibility: re-exports only)."""

from orchestrator.decorators import auto_move_data, data_loader

__all__ = ["auto_move_data", "data_loader"]
