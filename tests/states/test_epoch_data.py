"""Opening a training epoch: its order follows the seed, and the global generators are left as
they were."""

from __future__ import annotations

import random
from typing import Any

import numpy as np
import pytest
import torch
from torch.utils.data import BatchSampler, DataLoader, SequentialSampler

import states.epoch_data as epoch_data
from states.epoch_data import open_epoch


def _draws() -> tuple[float, float, float]:
    return random.random(), float(np.random.rand()), torch.rand(()).item()


def _globals_after(action: Any) -> tuple[float, float, float]:
    """The next draw of each global generator after ``action``, from a fixed start."""
    random.seed(1)
    np.random.seed(1)
    torch.manual_seed(1)
    action()
    return _draws()


def test_a_shuffled_order_follows_the_seed_and_leaves_the_generators_alone() -> None:
    loader = DataLoader(list(range(40)), batch_size=4, shuffle=True)
    first = [b.tolist() for b in open_epoch(loader, seed=7, skip=0)]
    again = [b.tolist() for b in open_epoch(loader, seed=7, skip=0)]
    other = [b.tolist() for b in open_epoch(loader, seed=8, skip=0)]
    assert first == again and first != other
    untouched = _globals_after(lambda: None)
    assert _globals_after(lambda: list(open_epoch(loader, seed=7, skip=0))) == untouched


@pytest.mark.parametrize("loader", [
    DataLoader(list(range(12)), batch_size=4),
    DataLoader(list(range(12)), batch_size=None),
    DataLoader(list(range(12)), batch_sampler=BatchSampler(SequentialSampler(range(12)), 5,
                                                           drop_last=False)),
], ids=["batched", "unbatched", "batch-sampler"])
def test_a_sequential_order_is_taken_without_seeding(loader: DataLoader[Any],
                                                      monkeypatch: pytest.MonkeyPatch) -> None:
    """Nothing random decides a sequential order, so no generator is saved, seeded and put back
    (that costs about 0.2 ms an epoch)."""
    expected = [torch.as_tensor(b).tolist() for b in loader]

    def refuse(seed: int) -> None:
        raise AssertionError("seeded the generators for a sequential order")

    monkeypatch.setattr(epoch_data, "forked_rng", refuse)
    assert [torch.as_tensor(b).tolist() for b in open_epoch(loader, seed=3, skip=0)] == expected
    assert [torch.as_tensor(b).tolist() for b in open_epoch(loader, seed=3, skip=1)] \
        == expected[1:]
    # iterating a loader draws its base seed: from a generator of its own, not the global one
    untouched = _globals_after(lambda: None)
    assert _globals_after(lambda: list(open_epoch(loader, seed=3, skip=0))) == untouched
