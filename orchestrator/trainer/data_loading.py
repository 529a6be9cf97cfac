"""0.8's ``pytorch_lightning.trainer.data_loading`` helpers, where its code imports them."""

from states.data import has_iterable_dataset as _has_iterable_dataset
from states.data import has_len as _has_len

__all__ = ["_has_iterable_dataset", "_has_len"]
