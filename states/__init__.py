"""The lifecycle: the state table (data), the machine, the run progress and the runners."""

from states.lifecycle import HistoryEntry, Lifecycle, LifecycleRecord
from states.progress import RunProgress
from states.table import CONDITIONS, STATES, TRANSITIONS

__all__ = [
    "CONDITIONS",
    "STATES",
    "TRANSITIONS",
    "HistoryEntry",
    "Lifecycle",
    "LifecycleRecord",
    "RunProgress",
]
