"""``pytorch_lightning.utilities.exceptions`` (compatibility: re-exports only).

``MisconfigurationException`` is the project's ``MisconfigurationError`` itself.
"""

from schemas.errors import MisconfigurationError as MisconfigurationException

__all__ = ["MisconfigurationException"]
