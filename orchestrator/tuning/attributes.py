"""The module hyperparameter a tuner sets (``lr``, ``batch_size``): an attribute of the module,
a dotted path (``'hparams.lr'``) or a key of its ``hparams``."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from schemas.errors import MisconfigurationError

__all__ = ["ModelValue"]


class ModelValue:
    """The first of ``names`` that the module holds, read and set in every place holding it
    (an attribute and the ``hparams`` key of the same name are both set).

    Raises:
        MisconfigurationError: the module holds none of ``names``; ``argument`` (what asked
            for it, e.g. ``"auto_lr_find=True"``) is named in the message.

    Example:
        >>> value = ModelValue(model, ("lr", "learning_rate"), "auto_lr_find=True")
        >>> value.set(0.01)
    """

    def __init__(self, model: Any, names: Sequence[str], argument: str) -> None:
        for name in names:
            places = [place for place in (_place(model, name),
                                          _place(getattr(model, "hparams", None), name))
                      if place is not None]
            if places:
                self.name, self._places = name, places
                return
        spelled = " or ".join(repr(name) for name in names)
        raise MisconfigurationError(
            f"{argument} sets {spelled} on the module, and {type(model).__name__} has no such "
            f"attribute nor hparams key; store it in __init__ (self.{names[0]} = ... or "
            f"self.save_hyperparameters()) and read it where it is used"
        )

    def get(self) -> Any:
        owner, attribute = self._places[0]
        return getattr(owner, attribute)

    def set(self, value: Any) -> None:
        for owner, attribute in self._places:
            setattr(owner, attribute, value)


def _place(root: Any, path: str) -> tuple[Any, str] | None:
    """``(owner, attribute)`` of the dotted ``path`` under ``root``, if every part exists."""
    if root is None:
        return None
    *parents, last = path.split(".")
    owner = root
    for part in parents:
        if not hasattr(owner, part):
            return None
        owner = getattr(owner, part)
    return (owner, last) if hasattr(owner, last) else None
