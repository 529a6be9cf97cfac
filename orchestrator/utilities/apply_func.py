"""``pytorch_lightning.utilities.apply_func`` (compatibility: re-exports only).

``move_data_to_device`` is ``backends.gpu.move_to``.
"""

from backends.gpu import move_to as move_data_to_device
from orchestrator.collection import apply_to_collection

__all__ = ["apply_to_collection", "move_data_to_device"]
