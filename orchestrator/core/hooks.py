"""``pytorch_lightning.core.hooks`` (compatibility: re-exports only)."""

from orchestrator.module_hooks import ModelHooks

__all__ = ["ModelHooks"]
