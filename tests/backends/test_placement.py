"""Backends in one process: CPU, batch placement, precision; GPU checks skip without CUDA."""

from __future__ import annotations

from collections import namedtuple
from typing import Any

import pytest
import torch

import orchestrator as pl
from backends.accelerator import move_to
from backends.cpu import CPUBackend
from backends.precision import Precision
from backends.select import select_backend
from schemas.config import build_config
from schemas.errors import HardwareUnavailableError
from tests.helpers import BoringModel, quiet_trainer

needs_gpu = pytest.mark.skipif(not torch.cuda.is_available(), reason="needs a CUDA GPU")
Pair = namedtuple("Pair", ["x", "y"])


class HasTo:
    """An object with its own .to(), as some batch containers have."""

    def __init__(self) -> None:
        self.moved_to: Any = None

    def to(self, device: Any) -> HasTo:
        self.moved_to = device
        return self


def test_move_to_reaches_tensors_in_every_container() -> None:
    target = torch.device("cpu")
    obj = HasTo()
    batch = {"a": [torch.ones(1), (torch.zeros(2), Pair(torch.ones(1), 3))], "b": obj, "c": "s"}
    moved = move_to(batch, target)
    assert isinstance(moved["a"][1][1], Pair) and moved["a"][1][1].y == 3
    assert moved["b"].moved_to == target and moved["c"] == "s"
    assert all(t.device == target for t in (moved["a"][0], moved["a"][1][0], moved["a"][1][1].x))


def test_the_default_backend_is_the_cpu_in_one_process() -> None:
    backend = select_backend(build_config())
    assert isinstance(backend, CPUBackend)
    assert (backend.global_rank, backend.world_size, backend.is_global_zero) == (0, 1, True)
    tensor = torch.tensor([2.0])
    assert backend.reduce(tensor) is tensor and backend.broadcast("x") == "x"
    assert backend.launch(lambda a: a + 1, 1) == 2


def test_precision_32_is_a_no_op_and_bf16_autocasts_on_cpu() -> None:
    assert Precision(32, "cpu").dtype is None and Precision(32, "cpu").scaler is None
    with Precision("bf16", "cpu").autocast():
        out = torch.nn.Linear(2, 2)(torch.ones(1, 2))
    assert out.dtype == torch.bfloat16


@needs_gpu
def test_single_gpu_places_module_and_batches(tmp_path: Any) -> None:
    seen: list[Any] = []

    class Records(BoringModel):
        def training_step(self, batch: Any, batch_idx: int) -> Any:
            seen.append((batch[0].device.type, self.device.type, self.on_gpu))
            return super().training_step(batch, batch_idx)

    quiet_trainer(tmp_path, gpus=1, max_epochs=1, logger=False).fit(Records())
    assert set(seen) == {("cuda", "cuda", True)}


@needs_gpu
def test_precision_16_on_gpu_uses_a_scaler_and_checkpoints_it(tmp_path: Any) -> None:
    trainer = quiet_trainer(tmp_path, gpus=1, precision=16, max_epochs=1, logger=False)
    trainer.fit(BoringModel())
    assert trainer.backend.precision.scaler is not None
    path = tmp_path / "amp.ckpt"
    trainer.save_checkpoint(path)
    assert torch.load(path, weights_only=True)["grad_scaler"]


def test_a_gpu_request_without_cuda_names_the_fix() -> None:
    if torch.cuda.is_available():
        pytest.skip("a GPU is present")
    with pytest.raises(HardwareUnavailableError, match=r"gpus=\[0\]\).*use gpus=None"):
        pl.Trainer(gpus=[0])


def test_the_cpu_backend_hands_batches_on_as_they_came_and_says_so() -> None:
    backend = CPUBackend()
    batch = (torch.zeros(2), {"y": torch.ones(1)})
    assert backend.moves_batches is False and backend.to_device(batch) is batch


def test_a_backend_with_its_own_to_device_is_called_for_every_batch(tmp_path: Any) -> None:
    # a subclass that places batches its own way must not inherit the CPU's "skip the call"
    class Counting(CPUBackend):
        def __init__(self) -> None:
            super().__init__()
            self.calls = 0

        def to_device(self, batch: Any) -> Any:
            self.calls += 1
            return batch

    backend = Counting()
    assert backend.moves_batches is True
    trainer = pl.Trainer(max_epochs=1, logger=False, checkpoint_callback=False,
                         progress_bar_refresh_rate=0, weights_summary=None,
                         num_sanity_val_steps=0, default_root_dir=str(tmp_path))
    trainer.backend = backend
    trainer.fit(BoringModel(batch_size=16, n=64))
    assert backend.calls == 4 + 4  # every training batch and every validation batch


def test_the_config_accepts_exactly_the_registered_strategies() -> None:
    import typing

    import backends
    from backends.registry import strategy_names
    from schemas.config import DISTRIBUTED_BACKENDS, TrainerConfig

    assert backends.select_backend is not None  # importing backends registers every strategy
    literal = TrainerConfig.model_fields["distributed_backend"].annotation
    accepted = {arg for member in typing.get_args(literal) for arg in
                (typing.get_args(member) or (None,))}
    assert set(strategy_names()) == set(DISTRIBUTED_BACKENDS) == accepted


def test_a_strategy_registered_twice_is_refused() -> None:
    from backends.registry import register_strategy

    with pytest.raises(ValueError, match="'ddp' is registered twice"):
        register_strategy("ddp", "again")(lambda config, gpu_ids: None)  # type: ignore


def test_the_strategies_table_in_the_docs_is_the_registry() -> None:
    from orchestrator.strategy_docs import PAGE, with_table

    text = PAGE.read_text()
    assert with_table(text) == text, "run python -m orchestrator.strategy_docs"
