"""seed_everything: one seed for Python, numpy and torch."""

from __future__ import annotations

import os
import random

import numpy as np
import torch

__all__ = ["seed_everything"]


def seed_everything(seed: int) -> int:
    """Seed ``random``, ``numpy`` and ``torch`` (CPU and CUDA) and set ``PYTHONHASHSEED``.

    Example:
        >>> seed_everything(42)
        42
    """
    if not isinstance(seed, int) or isinstance(seed, bool) or not 0 <= seed < 2**32:
        raise ValueError(f"seed_everything({seed!r}): the seed must be an int in [0, 2**32)")
    os.environ["PYTHONHASHSEED"] = str(seed)
    random.seed(seed)
    np.random.seed(seed)
    torch.manual_seed(seed)
    return seed
