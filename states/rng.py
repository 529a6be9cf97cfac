"""Random number generator states (Python, numpy, torch, CUDA) as plain data, and seeds."""

from __future__ import annotations

import random
from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

import numpy as np
import torch

__all__ = ["GeneratorStates", "forked_rng", "mix_seed", "rng_state", "seed_all", "set_rng_state"]

_MASK = (1 << 63) - 1


def mix_seed(*parts: int) -> int:
    """A 63-bit seed mixed from integers (a splitmix64 step per part)."""
    value = 0x9E3779B97F4A7C15
    for part in parts:
        value = (value ^ (part & 0xFFFFFFFFFFFFFFFF)) * 0xBF58476D1CE4E5B9 & 0xFFFFFFFFFFFFFFFF
        value = (value ^ (value >> 31)) * 0x94D049BB133111EB & 0xFFFFFFFFFFFFFFFF
    return value & _MASK


def seed_all(seed: int) -> None:
    """Seed torch's CPU generator, Python's ``random`` and numpy's global generator."""
    torch.default_generator.manual_seed(seed)  # torch.manual_seed would also queue CUDA seeding
    random.seed(seed)
    np.random.seed(seed % 2**32)


def rng_state() -> dict[str, Any]:
    """Python, numpy and torch (and CUDA) generator states, loadable with weights_only."""
    py = random.getstate()
    name, keys, pos, has_gauss, cached = np.random.get_state(legacy=True)  # type: ignore[misc]
    state: dict[str, Any] = {
        # the 625 words as one tensor: pickling them as ints cost a Python call each
        "python": [py[0], torch.tensor(py[1], dtype=torch.int64), py[2]],
        "numpy": [name, torch.from_numpy(np.asarray(keys, dtype=np.int64)), pos, has_gauss,
                  cached],
        "torch": torch.get_rng_state(),
    }
    if torch.cuda.is_initialized():  # (is_available() would initialize CUDA: forks then fail)
        state["cuda"] = torch.cuda.get_rng_state_all()
    return state


def set_rng_state(state: dict[str, Any]) -> None:
    """Restore what ``rng_state`` captured."""
    version, internal, gauss = state["python"]
    words = internal.tolist() if isinstance(internal, torch.Tensor) else internal  # or a list
    random.setstate((version, tuple(words), gauss))
    name, keys, *rest = state["numpy"]
    np.random.set_state((name, keys.numpy().astype(np.uint32), *rest))
    torch.set_rng_state(state["torch"])
    if "cuda" in state and torch.cuda.device_count() > 0:  # counted without initializing CUDA
        torch.cuda.set_rng_state_all(state["cuda"])


@contextmanager
def forked_rng(seed: int) -> Iterator[None]:
    """Run a block with every global generator seeded from ``seed``, then put them back."""
    saved = random.getstate(), np.random.get_state(), torch.get_rng_state()  # no conversions
    seed_all(seed)
    try:
        yield
    finally:
        random.setstate(saved[0])
        np.random.set_state(saved[1])
        torch.set_rng_state(saved[2])


class GeneratorStates:
    """The global generators as checkpoint state.

    During a validation check the states of its start are pinned: a checkpoint saved inside
    the check resumes by running the check again from its start, with the same draws.
    """

    def __init__(self) -> None:
        self.pinned: dict[str, Any] | None = None

    def pin(self) -> None:
        """Hold the current states for checkpoints until ``unpin``."""
        self.pinned = rng_state()

    def unpin(self) -> None:
        self.pinned = None

    def state_dict(self) -> dict[str, Any]:
        return self.pinned if self.pinned is not None else rng_state()

    def load_state_dict(self, state: dict[str, Any]) -> None:
        set_rng_state(state)
