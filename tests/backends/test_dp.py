"""DP: batch splitting, gathering for *_step_end, averaging without it; GPU runs skip here."""

from __future__ import annotations

from collections import namedtuple
from typing import Any

import pytest
import torch
from torch.nn import functional as F

import orchestrator as pl
from backends.cpu import CPUBackend
from backends.dp import split_batch
from states.parts import average_parts, gather_parts
from tests.helpers import BoringModel

Pair = namedtuple("Pair", ["x", "y"])


def test_split_batch_splits_tensors_in_every_container_along_dim_0() -> None:
    batch = {"x": torch.arange(6.0).reshape(6, 1), "pair": Pair(torch.arange(6), "tag"),
             "list": [torch.zeros(6, 2)]}
    parts = split_batch(batch, 2)
    assert len(parts) == 2
    assert parts[0]["x"].flatten().tolist() == [0.0, 1.0, 2.0]
    assert isinstance(parts[1]["pair"], Pair) and parts[1]["pair"].y == "tag"
    assert parts[1]["list"][0].shape == (3, 2)
    assert len(split_batch(torch.ones(1, 3), 4)) == 1  # never more parts than samples


def test_gather_stacks_scalars_and_concatenates_the_rest() -> None:
    parts = [
        {"loss": torch.tensor(1.0), "pred": torch.ones(2, 3), "log": {"a": torch.tensor(2.0)}},
        {"loss": torch.tensor(3.0), "pred": torch.zeros(1, 3), "log": {"a": torch.tensor(4.0)}},
    ]
    gathered = gather_parts(parts)
    assert gathered["loss"].tolist() == [1.0, 3.0]
    assert gathered["pred"].shape == (3, 3)
    assert gathered["log"]["a"].tolist() == [2.0, 4.0]
    averaged = average_parts(parts)
    assert averaged["loss"].item() == 2.0 and averaged["log"]["a"].item() == 3.0
    assert averaged["pred"].shape == (3, 3)


class SequentialPartsBackend(CPUBackend):
    """TEST DOUBLE for DPBackend on the CPU: the same split, the parts run one after another
    on the one module (no GPUs, no replicas). It exercises the runners' data-parallel path."""

    data_parallel = True

    def __init__(self, parts: int) -> None:
        super().__init__()
        self.parts = parts

    def step_parts(self, module: Any, name: str, batch: Any, *rest: Any) -> list[Any]:
        return [getattr(module, name)(part, *rest) for part in split_batch(batch, self.parts)]


def _fit(model: BoringModel, backend: Any = None) -> pl.Trainer:
    trainer = pl.Trainer(max_epochs=2, logger=False, checkpoint_callback=False,
                         progress_bar_refresh_rate=0, weights_summary=None)
    if backend is not None:
        trainer.backend = backend
    trainer.fit(model)
    return trainer


def test_without_step_end_the_parts_losses_are_averaged_like_a_full_batch() -> None:
    pl.seed_everything(0)
    whole = BoringModel(batch_size=16)
    _fit(whole)
    pl.seed_everything(0)
    split = BoringModel(batch_size=16)
    _fit(split, SequentialPartsBackend(2))
    for a, b in zip(whole.parameters(), split.parameters()):
        assert torch.allclose(a, b, atol=1e-6)


def test_step_end_receives_the_gathered_parts() -> None:
    seen: list[Any] = []

    class StepEnd(BoringModel):
        def training_step(self, batch: Any, batch_idx: int) -> dict[str, Any]:
            x, y = batch
            return {"loss": F.mse_loss(self(x), y), "n": torch.tensor(float(len(x)))}

        def training_step_end(self, outputs: dict[str, Any]) -> dict[str, Any]:
            seen.append((tuple(outputs["loss"].shape), outputs["n"].tolist()))
            return {"loss": outputs["loss"].mean()}

        def validation_step_end(self, outputs: dict[str, Any]) -> dict[str, Any]:
            seen.append(("val", tuple(outputs["val_loss"].shape)))
            return {"val_loss": outputs["val_loss"].mean()}

    _fit(StepEnd(batch_size=16), SequentialPartsBackend(2))
    assert ((2,), [8.0, 8.0]) in seen and ("val", (2,)) in seen


@pytest.mark.skipif(torch.cuda.device_count() < 2, reason="needs two CUDA GPUs")
def test_dp_on_two_gpus_matches_one_process_on_the_full_batch() -> None:
    pl.seed_everything(0)
    whole = BoringModel(batch_size=16)
    _fit(whole)
    pl.seed_everything(0)
    split = BoringModel(batch_size=16)
    trainer = pl.Trainer(max_epochs=2, gpus=2, distributed_backend="dp", logger=False,
                         checkpoint_callback=False, progress_bar_refresh_rate=0,
                         weights_summary=None)
    trainer.fit(split)
    for a, b in zip(whole.parameters(), split.cpu().parameters()):
        assert torch.allclose(a, b, atol=1e-5)
