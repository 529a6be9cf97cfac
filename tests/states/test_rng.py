"""Generator states as plain data: captured, restored, and cheap to save."""

from __future__ import annotations

import io
import pickle
import random

import numpy as np
import torch

from states.rng import rng_state, set_rng_state


def _draws() -> tuple[float, float, float]:
    return random.random(), float(np.random.rand()), float(torch.rand(1))


def test_restoring_a_state_repeats_the_draws() -> None:
    random.seed(1), np.random.seed(2), torch.manual_seed(3)
    saved = rng_state()
    first = _draws()
    _draws()
    set_rng_state(saved)
    assert _draws() == first


def test_state_survives_torch_save_with_weights_only() -> None:
    saved = rng_state()
    expected = _draws()
    buffer = io.BytesIO()
    torch.save(saved, buffer)
    buffer.seek(0)
    set_rng_state(torch.load(buffer, weights_only=True))
    assert _draws() == expected


def test_python_state_is_one_tensor_not_625_ints() -> None:
    # pickling 625 ints cost torch.save a Python-level persistent_id call each
    version, words, gauss = rng_state()["python"]
    assert isinstance(words, torch.Tensor) and words.shape == (625,)
    assert words.tolist() == list(random.getstate()[1])
    pickled_ints = len(pickle.dumps(list(random.getstate()[1])))
    assert pickled_ints > 1000  # what the old form carried as separate objects


def test_the_list_form_of_older_checkpoints_still_restores() -> None:
    saved = rng_state()
    version, words, gauss = saved["python"]
    saved["python"] = [version, words.tolist(), gauss]
    expected = _draws()
    set_rng_state(saved)
    assert _draws() == expected
