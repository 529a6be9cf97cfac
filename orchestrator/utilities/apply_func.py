"""``pytorch_lightning.utilities.apply_func`` (compatibility: re-exports only).

``move_data_to_device`` is ``backends.move_to``.
"""

from backends.accelerator import move_to as move_data_to_device
from orchestrator.collection import apply_to_collection

__all__ = ["apply_to_collection", "move_data_to_device"]
