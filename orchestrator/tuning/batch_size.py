"""The batch-size search: which sizes to try, and how a trial that ran out of memory looks."""

from __future__ import annotations

import enum
import gc
from collections.abc import Callable

import torch

from schemas.errors import MisconfigurationError

__all__ = ["SEARCH_MODES", "Trial", "free_memory", "is_oom_error", "search"]

SEARCH_MODES = ("power", "binsearch")

# the messages of out-of-memory RuntimeErrors that are not torch.cuda.OutOfMemoryError
_OOM_MESSAGES = (
    "out of memory",  # CUDA (older torch), HIP, MPS
    "cuDNN error: CUDNN_STATUS_NOT_SUPPORTED.",  # cuDNN's answer to a too large batch
    "DefaultCPUAllocator: can't allocate memory",
)


class Trial(enum.Enum):
    """How a trial fit at one batch size went."""

    FITS = "fits"
    FITS_ALL = "fits_all"  # it fit, and the whole dataset is one batch: larger sizes are moot
    OOM = "oom"


def is_oom_error(exc: BaseException) -> bool:
    """Whether ``exc`` says the device (or the host) ran out of memory."""
    if isinstance(exc, torch.cuda.OutOfMemoryError):
        return True
    return isinstance(exc, RuntimeError) and any(m in str(exc) for m in _OOM_MESSAGES)


def free_memory(out_of_memory: bool) -> None:
    """After a trial: collect garbage (the tensors a failed step left in reference cycles)
    and hand cached CUDA memory back, when CUDA is in use or the trial ran out of memory (a
    collection takes a while, and a CPU trial that fit has nothing to give back)."""
    on_cuda = torch.cuda.is_available() and torch.cuda.is_initialized()
    if out_of_memory or on_cuda:
        gc.collect()
    if on_cuda:
        torch.cuda.empty_cache()


def search(trial: Callable[[int], Trial], mode: str, init_val: int, max_trials: int) -> int:
    """The largest batch size that ``trial`` fits, in at most ``max_trials`` trials.

    ``'power'`` doubles from ``init_val`` until a trial runs out of memory (halving first if
    ``init_val`` itself does not fit) and keeps the last size that fit; ``'binsearch'`` then
    bisects between that size and the one that failed. Both stop once the whole dataset fits
    in one batch.

    Raises:
        MisconfigurationError: no size down to 1 fits.
    """
    fits, fails = 0, None  # the largest size that fit, the smallest that did not
    size: int | None = init_val
    for _ in range(max_trials):
        assert size is not None
        outcome = trial(size)
        if outcome is Trial.OOM:
            fails = size
        else:
            fits = size
        if outcome is Trial.FITS_ALL:
            break
        size = _next_size(mode, fits, fails)
        if size is None:
            break
    if fits == 0:
        raise MisconfigurationError(
            f"scale_batch_size found no batch size that fits in memory (down to {fails}); "
            "make the model or its inputs smaller, or lower precision (precision=16)")
    return fits


def _next_size(mode: str, fits: int, fails: int | None) -> int | None:
    """The next size to try, or None when the search is done."""
    if fails is None:
        return fits * 2
    if fits == 0:  # nothing fit yet: halve
        return fails // 2 or None
    if mode == "power":
        return None
    middle = (fits + fails) // 2
    return middle if middle > fits else None
