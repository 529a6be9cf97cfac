"""A module's hyperparameters: ``self.hparams`` and ``save_hyperparameters()``, as in 0.8."""

from __future__ import annotations

import sys
from types import FrameType
from typing import Any

from torch import nn

from orchestrator.hparams import AttributeDict, as_hparams, init_args
from schemas.errors import HyperparametersError

__all__ = ["HyperparametersMixin"]


class HyperparametersMixin:
    """``hparams`` (an ``AttributeDict``) and the ways 0.8 code fills it.

    Example:
        >>> class Model(LightningModule):
        ...     def __init__(self, lr=0.1, hidden=32):
        ...         super().__init__()
        ...         self.save_hyperparameters()   # hparams == {'lr': 0.1, 'hidden': 32}
    """

    _hparams: AttributeDict | None = None
    _hparams_name: str | None = None  # how load_from_checkpoint passes them to __init__

    @property
    def hparams(self) -> AttributeDict:
        """The hyperparameters (empty until set); ``hparams.lr`` is ``hparams['lr']``."""
        if self._hparams is None:
            object.__setattr__(self, "_hparams", AttributeDict())
        return self._hparams  # type: ignore[return-value]

    @hparams.setter
    def hparams(self, value: Any) -> None:
        """0.8 code assigns a Namespace or a dict: its items are merged into ``hparams`` (as
        0.8.5 does); ``None`` empties it."""
        if value is None:
            object.__setattr__(self, "_hparams", None)
            return
        name = _argument_holding(_assigning_frame(), value) or "hparams"
        self._take_hparams(as_hparams(value), name)

    def save_hyperparameters(self, *args: Any, frame: FrameType | None = None) -> None:
        """Keep the arguments ``__init__`` was called with as ``hparams`` (and in checkpoints).

        Args:
            *args: nothing (every argument), the names of some arguments, or one dict or
                Namespace to keep instead.
            frame: the ``__init__`` frame to read (default: the caller's).

        Raises:
            HyperparametersError: a name that is not an argument of ``__init__``, or a value
                that is neither a dict nor a Namespace.
        """
        frame = frame if frame is not None else _assigning_frame()
        found = init_args(frame)
        objects = [arg for arg in args if not isinstance(arg, str)]
        if len(objects) == 1:
            value = objects[0]
            self._take_hparams(as_hparams(value, "save_hyperparameters"),
                               _argument_holding(frame, value))
            return
        names = [arg for arg in args if isinstance(arg, str)] if args else list(found)
        missing = [name for name in names if name not in found]
        if missing:
            raise HyperparametersError(
                f"save_hyperparameters({', '.join(map(repr, args))}): {missing[0]!r} is not an "
                f"argument of {type(self).__name__}.__init__; its arguments are "
                f"{sorted(found) or 'none'}"
            )
        if names:
            self._take_hparams(AttributeDict({name: found[name] for name in names}), "kwargs")

    def _take_hparams(self, hparams: AttributeDict, name: str | None) -> None:
        self.hparams.update(hparams)
        object.__setattr__(self, "_hparams_name", name)


def _assigning_frame() -> FrameType:
    """The frame of the code that set ``hparams`` or called ``save_hyperparameters`` (past
    this module and ``nn.Module.__setattr__``)."""
    frame = sys._getframe(2)
    while frame.f_back is not None and (frame.f_code.co_filename == __file__
                                        or frame.f_code is _MODULE_SETATTR):
        frame = frame.f_back
    return frame


_MODULE_SETATTR = nn.Module.__setattr__.__code__


def _argument_holding(frame: FrameType, value: Any) -> str | None:
    """The name of the ``__init__`` argument (in ``frame``) that holds ``value``, if any."""
    for name, held in init_args(frame).items():
        if held is value:
            return name
    return None
