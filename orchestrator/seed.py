"""seed_everything: one seed for Python, numpy and torch."""

from __future__ import annotations

import os
import random

import numpy as np
import torch
from loguru import logger

from orchestrator.rank_zero import rank_zero_warn
from schemas.errors import ConfigError

__all__ = ["SEED_VARIABLE", "seed_everything"]

SEED_VARIABLE = "PL_GLOBAL_SEED"  # the seed of this run, read by seed_everything(None)
_MAX_SEED = int(np.iinfo(np.uint32).max)  # numpy takes seeds in [0, 2**32 - 1]


def seed_everything(seed: int | np.integer | None = None) -> int:
    """Seed ``random``, ``numpy`` and ``torch`` (CPU and CUDA); set ``PYTHONHASHSEED`` and
    ``PL_GLOBAL_SEED`` to the seed, so that processes started from this one see it.

    Args:
        seed: an int (or numpy integer) in ``[0, 2**32 - 1]``. None: the one in
            ``PL_GLOBAL_SEED``, or a random one when that is unset. Out of range: a random
            one, with a warning.

    Returns:
        The seed used.

    Raises:
        ConfigError: ``seed`` (or ``PL_GLOBAL_SEED``) is not an integer, e.g. a str or a float.

    Example:
        >>> seed_everything(42)
        42
    """
    chosen = _seed_of(seed)
    os.environ["PYTHONHASHSEED"] = str(chosen)
    os.environ[SEED_VARIABLE] = str(chosen)
    random.seed(chosen)
    np.random.seed(chosen)
    torch.manual_seed(chosen)
    return chosen


def _seed_of(seed: object) -> int:
    """The seed ``seed_everything(seed)`` uses."""
    if seed is None:
        held = os.environ.get(SEED_VARIABLE)
        if held is None:
            chosen = _random_seed()
            logger.info("seed_everything(None): no {v} set, seeded with {s}", v=SEED_VARIABLE,
                        s=chosen)
            return chosen
        seed = _from_environment(held)
    if isinstance(seed, bool | np.bool_) or not isinstance(seed, int | np.integer):
        raise ConfigError(
            f"seed_everything({seed!r}): the seed must be an integer in [0, {_MAX_SEED}], got "
            f"{type(seed).__name__}; pass e.g. seed_everything(42), or None for a random seed"
        )
    value = int(seed)
    if not 0 <= value <= _MAX_SEED:
        chosen = _random_seed()
        rank_zero_warn(f"seed_everything({value}): the seed is out of range [0, {_MAX_SEED}] "
                       f"(numpy's); seeded with {chosen} instead", stacklevel=3)
        return chosen
    return value


def _from_environment(held: str) -> int:
    try:
        return int(held)
    except ValueError:
        raise ConfigError(
            f"seed_everything(None): the environment variable {SEED_VARIABLE}={held!r} is not "
            "an integer; set it to a seed such as 42, or unset it for a random seed"
        ) from None


def _random_seed() -> int:
    """A seed from the OS's entropy, the same whatever ``random``'s state is."""
    return random.SystemRandom().randint(0, _MAX_SEED)
