"""``pytorch_lightning.utilities.apply_func`` (compatibility: re-exports only).

``move_data_to_device`` is ``backends.gpu.move_to``.
"""

from backends.gpu import move_to as move_data_to_device

__all__ = ["move_data_to_device"]
