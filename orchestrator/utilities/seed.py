"""``pytorch_lightning.utilities.seed`` (compatibility: re-exports only)."""

from orchestrator.seed import seed_everything

__all__ = ["seed_everything"]
