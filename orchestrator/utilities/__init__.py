"""``pytorch_lightning.utilities``'s names (compatibility: re-exports only)."""

from backends.accelerator import move_to as move_data_to_device
from orchestrator.hparams import AttributeDict
from orchestrator.rank_zero import rank_zero_info, rank_zero_only, rank_zero_warn

__all__ = ["AttributeDict", "move_data_to_device", "rank_zero_info", "rank_zero_only",
           "rank_zero_warn"]
