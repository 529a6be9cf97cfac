"""Callback: the seed-era callback hooks, each called with ``(trainer, pl_module)``."""

from __future__ import annotations

from typing import Any

from states.hooks import default_hook

__all__ = ["Callback"]


class Callback:
    """Override the hooks you need; the trainer calls only the overridden ones.

    Callbacks run before the module's hook of the same name.

    Example:
        >>> class PrintEpochs(Callback):
        ...     def on_epoch_end(self, trainer, pl_module):
        ...         print("finished epoch", trainer.current_epoch)
    """

    @default_hook
    def on_init_start(self, trainer: Any) -> None: ...

    @default_hook
    def on_init_end(self, trainer: Any) -> None: ...

    @default_hook
    def setup(self, trainer: Any, pl_module: Any, stage: str) -> None:
        """Called after ``prepare_data``, at the start of a fit (``'fit'``) or test. A method
        written for 0.8.5, ``setup(self, trainer, stage)``, gets just those."""

    @default_hook
    def on_fit_start(self, trainer: Any, pl_module: Any) -> None: ...

    @default_hook
    def on_fit_end(self, trainer: Any, pl_module: Any) -> None: ...

    @default_hook
    def on_sanity_check_start(self, trainer: Any, pl_module: Any) -> None: ...

    @default_hook
    def on_sanity_check_end(self, trainer: Any, pl_module: Any) -> None: ...

    @default_hook
    def on_train_start(self, trainer: Any, pl_module: Any) -> None: ...

    @default_hook
    def on_train_end(self, trainer: Any, pl_module: Any) -> None: ...

    @default_hook
    def on_epoch_start(self, trainer: Any, pl_module: Any) -> None: ...

    @default_hook
    def on_epoch_end(self, trainer: Any, pl_module: Any) -> None: ...

    @default_hook
    def on_batch_start(self, trainer: Any, pl_module: Any) -> None: ...

    @default_hook
    def on_batch_end(self, trainer: Any, pl_module: Any) -> None: ...

    @default_hook
    def on_validation_start(self, trainer: Any, pl_module: Any) -> None: ...

    @default_hook
    def on_validation_end(self, trainer: Any, pl_module: Any) -> None: ...

    @default_hook
    def on_validation_batch_start(self, trainer: Any, pl_module: Any) -> None: ...

    @default_hook
    def on_validation_batch_end(self, trainer: Any, pl_module: Any) -> None: ...

    @default_hook
    def on_test_start(self, trainer: Any, pl_module: Any) -> None: ...

    @default_hook
    def on_test_end(self, trainer: Any, pl_module: Any) -> None: ...

    @default_hook
    def on_test_batch_start(self, trainer: Any, pl_module: Any) -> None: ...

    @default_hook
    def on_test_batch_end(self, trainer: Any, pl_module: Any) -> None: ...

    @default_hook
    def on_keyboard_interrupt(self, trainer: Any, pl_module: Any) -> None: ...

    @default_hook
    def teardown(self, trainer: Any, pl_module: Any, stage: str) -> None:
        """Called at the end of every run (``'fit'`` or ``'test'``), also one that failed. A
        method written for 0.8.5, ``teardown(self, trainer, stage)``, gets just those."""

    @default_hook
    def on_save_checkpoint(self, trainer: Any, pl_module: Any) -> dict[str, Any] | None:
        """Return plain data (numbers, strings, tensors, lists, dicts) to store in checkpoints."""
        return None

    @default_hook
    def on_load_checkpoint(self, checkpointed_state: dict[str, Any]) -> None:
        """Receive what ``on_save_checkpoint`` returned."""

    @property
    def state_key(self) -> str:
        """The key of this callback's state in a checkpoint."""
        return type(self).__qualname__
