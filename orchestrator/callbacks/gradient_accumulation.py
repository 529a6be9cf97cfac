"""GradientAccumulationScheduler: change the gradient accumulation factor by epoch."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from orchestrator.callbacks.base import Callback
from schemas.errors import ConfigError

__all__ = ["GradientAccumulationScheduler"]

_EXAMPLE = "e.g. {0: 1, 4: 2} (from epoch 4 on, step the optimizers every 2 batches)"


class GradientAccumulationScheduler(Callback):
    """Sets ``trainer.accumulate_grad_batches`` at the start of every epoch from a schedule.

    Args:
        scheduling: ``{epoch: factor}``, epochs counted from 0; each factor holds from its
            epoch until the next one listed. Without an entry for epoch 0, ``{0: 1}`` is
            added (no accumulation until the first epoch listed). The dict passed in is not
            changed.

    Raises:
        TypeError: ``scheduling`` is not a dict, is empty, or has a key or value that is not
            an int.
        IndexError: an epoch is negative.
        ConfigError: a factor is below 1.

    Example:
        >>> accumulator = GradientAccumulationScheduler(scheduling={5: 2})
        >>> accumulator.scheduling
        {5: 2, 0: 1}
        >>> trainer = Trainer(callbacks=[accumulator])
    """

    def __init__(self, scheduling: Mapping[int, int]) -> None:
        self.scheduling: dict[int, int] = _checked(scheduling)
        self.epochs: list[int] = sorted(self.scheduling)

    def factor_at(self, epoch: int) -> int:
        """The accumulation factor in force at ``epoch``."""
        return self.scheduling[max(start for start in self.epochs if start <= epoch)]

    def on_train_start(self, trainer: Any, pl_module: Any) -> None:
        # a run resumed mid-epoch starts without on_epoch_start for that epoch
        trainer.accumulate_grad_batches = self.factor_at(trainer.current_epoch)

    def on_epoch_start(self, trainer: Any, pl_module: Any) -> None:
        trainer.accumulate_grad_batches = self.factor_at(trainer.current_epoch)


def _checked(scheduling: Any) -> dict[int, int]:
    """``scheduling`` as a new dict with an entry for epoch 0; raises for a malformed one."""
    where = f"GradientAccumulationScheduler(scheduling={scheduling!r})"
    if not isinstance(scheduling, Mapping) or not scheduling:
        raise TypeError(f"{where}: pass a non-empty dict {{epoch: factor}}, {_EXAMPLE}")
    for epoch, factor in scheduling.items():
        if not _is_int(epoch) or not _is_int(factor):
            raise TypeError(
                f"{where}: epochs and factors must be ints, got {epoch!r}: {factor!r} "
                f"({type(epoch).__name__}: {type(factor).__name__}); write {_EXAMPLE}"
            )
    first = min(scheduling)
    if first < 0:
        raise IndexError(f"{where}: epoch {first} is negative; epochs count from 0 (the first "
                         f"epoch is 0), {_EXAMPLE}")
    for epoch, factor in scheduling.items():
        if factor < 1:
            raise ConfigError(f"{where}: the factor {factor} at epoch {epoch} is below 1; use "
                              f"1 for no accumulation, or more, {_EXAMPLE}")
    return dict(scheduling) if 0 in scheduling else {**scheduling, 0: 1}


def _is_int(value: Any) -> bool:
    return isinstance(value, int) and not isinstance(value, bool)
