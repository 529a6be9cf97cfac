"""The TPU backend against a stand-in for torch_xla (no TPU here): which calls it makes."""

from __future__ import annotations

from typing import Any

import pytest

import orchestrator as pl
from backends.tpu import TPUBackend
from schemas.errors import ConfigError
from tests.backends.standin_torch_xla import StandIn
from tests.helpers import BoringModel


@pytest.fixture
def standin(monkeypatch: pytest.MonkeyPatch) -> StandIn:
    fake = StandIn()
    fake.install(monkeypatch)
    return fake


def _trainer(tmp_path: Any, **kwargs: Any) -> pl.Trainer:
    return pl.Trainer(max_epochs=1, logger=False, checkpoint_callback=False,
                      progress_bar_refresh_rate=0, weights_summary=None,
                      num_sanity_val_steps=0, default_root_dir=str(tmp_path), **kwargs)


def test_one_core_uses_the_xla_device_loader_and_optimizer_step(tmp_path: Any,
                                                                 standin: StandIn) -> None:
    trainer = _trainer(tmp_path, num_tpu_cores=1)
    assert isinstance(trainer.backend, TPUBackend)
    trainer.fit(BoringModel(batch_size=16, n=64))
    names = [name for name, _ in standin.calls]
    assert names[0] == "xla_device"
    assert names.count("MpDeviceLoader") == 1  # one training epoch
    assert standin.calls.count(("optimizer_step", True)) == trainer.global_step == 4
    assert "spawn" not in names


def test_eight_cores_spawn_through_torch_xla(tmp_path: Any, standin: StandIn) -> None:
    trainer = _trainer(tmp_path, num_tpu_cores=8)
    model = BoringModel(batch_size=2, n=64)
    trainer.fit(model)
    assert ("spawn", 8) in standin.calls
    assert ("optimizer_step", False) in standin.calls  # the loader steps the device
    assert ("all_reduce", "sum") in standin.calls  # epoch-end metrics are reduced
    assert trainer.global_step == 4  # 64 samples / 8 replicas / batch 2, from rank zero


def test_a_tpu_run_takes_no_distributed_backend(standin: StandIn) -> None:
    with pytest.raises(ConfigError, match="needs no distributed_backend"):
        pl.Trainer(num_tpu_cores=8, distributed_backend="ddp")
