"""``pytorch_lightning.core.grads`` (compatibility: re-exports only)."""

from orchestrator.grads import GradInformation

__all__ = ["GradInformation"]
