"""The training step outputs an epoch gathers for ``training_epoch_end``, as checkpoint state."""

from __future__ import annotations

from typing import Any

__all__ = ["EpochOutputs"]


class EpochOutputs:
    """The detached outputs of the epoch's training steps so far (kept only when the module
    overrides ``training_epoch_end``); a checkpoint taken mid-epoch holds them."""

    def __init__(self) -> None:
        self.items: list[Any] = []

    def append(self, output: Any) -> None:
        self.items.append(output)

    def take(self) -> list[Any]:
        """The outputs gathered so far, emptied."""
        items, self.items = self.items, []
        return items

    def state_dict(self) -> list[Any]:
        return list(self.items)

    def load_state_dict(self, state: list[Any]) -> None:
        self.items = list(state)
