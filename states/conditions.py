"""The transition conditions of ``states.table``, answered for a run and bound by name."""

from __future__ import annotations

import functools
from collections.abc import Callable
from typing import Final

from states.lifecycle import Conditions
from states.run import Run
from states.schedule import should_continue
from states.table import CONDITIONS

__all__ = ["CHECKS", "bind_conditions"]


def _fitting(run: Run) -> bool:
    return run.mode == "fit"


def _testing(run: Run) -> bool:
    return run.mode == "test"


def _sanity_check_due(run: Run) -> bool:
    config = run.config
    if config.fast_dev_run or config.num_sanity_val_steps == 0:
        return False
    return run.mode == "fit" and run.data.val.enabled


def _training_skipped(run: Run) -> bool:
    train = run.data.train
    return run.mode == "fit" and train is not None and train.num_batches == 0


def _resuming_in_val_check(run: Run) -> bool:
    return run.data.resumed_in == "val_check"


def _should_continue(run: Run) -> bool:
    return should_continue(run.config, run.state.progress)


# one function per condition name of the table (descriptions live there)
CHECKS: Final[dict[str, Callable[[Run], bool]]] = {
    "fitting": _fitting,
    "testing": _testing,
    "sanity_check_due": _sanity_check_due,
    "training_skipped": _training_skipped,
    "resuming_in_val_check": _resuming_in_val_check,
    "should_continue": _should_continue,
}
assert set(CHECKS) == set(CONDITIONS), "every condition of the table has one check"


def bind_conditions(run: Run) -> Conditions:
    """Each condition name of the table, answered for ``run``."""
    return {name: functools.partial(check, run) for name, check in CHECKS.items()}
