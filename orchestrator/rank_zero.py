"""Running code on global rank zero only (``rank_zero_only`` and its warn / info / debug), and
the standard-library logger that Lightning 0.8-era scripts log to."""

from __future__ import annotations

import logging
import operator
import os
import warnings
from collections.abc import Callable
from functools import wraps
from typing import Any, ParamSpec, TypeVar

import torch.distributed as dist

from schemas.errors import MisconfigurationError

__all__ = ["RankZeroOnly", "current_rank", "rank_zero_debug", "rank_zero_info", "rank_zero_only",
           "rank_zero_warn", "std_logger"]

P = ParamSpec("P")
R = TypeVar("R")

# where the global rank is read from when torch.distributed is not initialised, in this order
_RANK_VARIABLES = ("RANK", "LOCAL_RANK", "SLURM_PROCID")


def current_rank() -> int:
    """This process's global rank, read now: ``torch.distributed``'s once it is initialised,
    else the first of ``RANK``, ``LOCAL_RANK``, ``SLURM_PROCID`` that is set, else 0.

    Raises:
        MisconfigurationError: one of those variables holds something other than a whole number.

    Example:
        >>> current_rank()  # a single process
        0
    """
    if dist.is_available() and dist.is_initialized():
        return dist.get_rank()
    for name in _RANK_VARIABLES:
        value = os.environ.get(name, "").strip()
        if value:
            if not value.isdecimal():
                raise MisconfigurationError(
                    f"the environment variable {name}={value!r} is not a process rank; set it "
                    "to a whole number >= 0 (or unset it in a single-process run)"
                )
            return int(value)
    return 0


class RankZeroOnly:
    """The ``rank_zero_only`` decorator: the decorated function runs on global rank 0 only and
    returns None elsewhere.

    The rank is read at each call (``current_rank``). As in Lightning 0.8, code may pin it with
    ``rank_zero_only.rank = N``; ``rank_zero_only.rank = None`` goes back to reading it. That
    pinned value is the one piece of process-wide state here: 0.8's API needs it.

    Example:
        >>> @rank_zero_only
        ... def report(message):
        ...     print(message)
        >>> report("only once")
        only once
    """

    def __init__(self) -> None:
        self._pinned: int | None = None

    @property
    def rank(self) -> int:
        """The rank the decorated functions check: the pinned one, else ``current_rank()``."""
        return current_rank() if self._pinned is None else self._pinned

    @rank.setter
    def rank(self, value: int | str | None) -> None:
        self._pinned = None if value is None else _as_rank(value)

    def __call__(self, fn: Callable[P, R]) -> Callable[P, R | None]:
        @wraps(fn)
        def on_rank_zero(*args: P.args, **kwargs: P.kwargs) -> R | None:
            return fn(*args, **kwargs) if self.rank == 0 else None

        return on_rank_zero


def _as_rank(value: Any) -> int:
    """``value`` (an int, a numpy integer, or a string of digits as 0.8 read it from the
    environment) as a rank."""
    try:
        rank = int(value) if isinstance(value, str) else operator.index(value)
    except (TypeError, ValueError):
        rank = -1
    if rank < 0 or isinstance(value, bool):
        raise MisconfigurationError(
            f"rank_zero_only.rank = {value!r}: a rank is a whole number >= 0; set it to the "
            "process's global rank, or to None to read the rank from torch.distributed and "
            "the environment"
        )
    return rank


def _stderr_logger(name: str) -> logging.Logger:
    """The standard logger ``name``, given a stderr handler at INFO the first time (as Lightning
    0.8 sets up its own logger) and left as it is after that."""
    found = logging.getLogger(name)
    if not found.handlers:
        found.addHandler(logging.StreamHandler())
        found.setLevel(logging.INFO)
    return found


# ``from orchestrator import _logger as log`` in 0.8-era scripts; the library itself logs with
# loguru, and this logger is theirs
std_logger = _stderr_logger("orchestrator")

rank_zero_only = RankZeroOnly()


@rank_zero_only
def rank_zero_warn(message: str | Warning, category: type[Warning] | None = None,
                   stacklevel: int = 1) -> None:
    """``warnings.warn`` on global rank zero; ``stacklevel`` counts from the caller, as there.

    Example:
        >>> rank_zero_warn("this argument is deprecated", DeprecationWarning)
    """
    warnings.warn(message, category, stacklevel=stacklevel + 2)  # past this and on_rank_zero


@rank_zero_only
def rank_zero_info(msg: object, *args: Any, **kwargs: Any) -> None:
    """``std_logger.info`` on global rank zero (``logging``'s arguments)."""
    kwargs["stacklevel"] = kwargs.get("stacklevel", 1) + 2
    std_logger.info(msg, *args, **kwargs)


@rank_zero_only
def rank_zero_debug(msg: object, *args: Any, **kwargs: Any) -> None:
    """``std_logger.debug`` on global rank zero (``logging``'s arguments)."""
    kwargs["stacklevel"] = kwargs.get("stacklevel", 1) + 2
    std_logger.debug(msg, *args, **kwargs)
