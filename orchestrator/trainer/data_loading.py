"""0.8's ``pytorch_lightning.trainer.data_loading`` helpers, where its code imports them
(``multiprocessing`` too: 0.8 tests patch its ``cpu_count`` here)."""

import multiprocessing

from states.data import has_iterable_dataset as _has_iterable_dataset
from states.data import has_len as _has_len

__all__ = ["_has_iterable_dataset", "_has_len", "multiprocessing"]
