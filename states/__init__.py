"""The lifecycle: the state and hook tables (data), the machine, the run and its runners."""

from states.hook_table import HOOKS, Hook, HookRow
from states.lifecycle import HistoryEntry, Lifecycle, LifecycleRecord
from states.progress import RunProgress
from states.run import Run, RunData, RunState
from states.table import CONDITIONS, STATES, TRANSITIONS

__all__ = [
    "CONDITIONS",
    "HOOKS",
    "STATES",
    "TRANSITIONS",
    "HistoryEntry",
    "Hook",
    "HookRow",
    "Lifecycle",
    "LifecycleRecord",
    "Run",
    "RunData",
    "RunProgress",
    "RunState",
]
