"""DDP trains through torch's DistributedDataParallel: buffers broadcast, no gradient sync on
accumulation micro-batches, configure_ddp honoured, unused parameters (issue 16)."""

from __future__ import annotations

import os
from pathlib import Path
from typing import Any

import pytest
import torch
from torch import nn
from torch.distributed.algorithms.ddp_comm_hooks.default_hooks import allreduce_hook
from torch.utils.data import DataLoader, TensorDataset

import orchestrator as pl
from schemas.errors import ConfigError, WorkerFailedError
from tests.backends.test_ddp import forks_here

pytestmark = pytest.mark.slow


def _data(seed: int, n: int = 32) -> TensorDataset:
    generator = torch.Generator().manual_seed(seed)
    return TensorDataset(torch.randn(n, 4, generator=generator) * 3 + 1,
                         torch.randn(n, 1, generator=generator))


class _Net(pl.LightningModule):
    """A linear layer behind a BatchNorm; each rank sees other data (a sharded loader)."""

    def __init__(self, root: str) -> None:
        super().__init__()
        self.root = root
        self.norm = nn.BatchNorm1d(4)
        self.layer = nn.Linear(4, 1)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return self.layer(self.norm(x))

    def training_step(self, batch: Any, batch_idx: int) -> Any:
        x, y = batch
        return {"loss": nn.functional.mse_loss(self(x), y)}

    def validation_step(self, batch: Any, batch_idx: int) -> Any:
        x, y = batch
        return {"val_loss": nn.functional.mse_loss(self(x), y)}

    def validation_epoch_end(self, outputs: list[Any]) -> Any:
        loss = torch.stack([o["val_loss"] for o in outputs]).mean()
        torch.save({k: v.clone() for k, v in self.norm.state_dict().items()},
                   os.path.join(self.root, f"buffers{self.trainer.global_rank}.pt"))
        return {"val_loss": loss}

    def configure_optimizers(self) -> Any:
        return torch.optim.SGD([*self.norm.parameters(), *self.layer.parameters()], lr=0.1)

    def train_dataloader(self) -> DataLoader:
        return DataLoader(_data(0, n=64), batch_size=4)

    def val_dataloader(self) -> DataLoader:
        return DataLoader(_data(1, n=16), batch_size=4)


def _fit(root: Path, model: pl.LightningModule, **kwargs: Any) -> pl.Trainer:
    options: dict[str, Any] = dict(max_epochs=1, distributed_backend="ddp_cpu",
                                   num_processes=2, default_root_dir=str(root),
                                   progress_bar_refresh_rate=0, weights_summary=None,
                                   num_sanity_val_steps=0, logger=False,
                                   checkpoint_callback=False)
    options.update(kwargs)
    trainer = pl.Trainer(**options)
    trainer.fit(model)
    return trainer


@forks_here
def test_buffers_are_broadcast_so_every_rank_validates_with_rank_zeros(tmp_path: Path) -> None:
    # each rank's BatchNorm saw other batches; DDP's forward broadcasts rank zero's buffers
    _fit(tmp_path, _Net(str(tmp_path)))
    zero, one = (torch.load(tmp_path / f"buffers{r}.pt") for r in (0, 1))
    assert zero["num_batches_tracked"] > 0
    for name in ("running_mean", "running_var"):
        assert torch.equal(zero[name], one[name]), name


class _CountingNet(_Net):
    """configure_ddp overridden (0.8.5's way): registers a comm hook counting the all-reduces."""

    def configure_ddp(self, model: nn.Module, device_ids: list[int] | None) -> Any:
        wrapped = nn.parallel.DistributedDataParallel(model, device_ids=device_ids)
        root = self.root

        def counting(state, bucket):  # type: ignore[no-untyped-def]  # torch reads the hints
            with open(os.path.join(root, f"reduces{self.trainer.global_rank}.txt"), "a") as out:
                out.write("x")
            return allreduce_hook(None, bucket)

        wrapped.register_comm_hook(None, counting)
        return wrapped


@forks_here
def test_micro_batches_that_do_not_step_communicate_nothing(tmp_path: Path) -> None:
    # 8 batches a rank, accumulate_grad_batches=4: 2 steps, so 2 rounds of all-reduce (one
    # bucket: the model is small)
    trainer = _fit(tmp_path, _CountingNet(str(tmp_path)), accumulate_grad_batches=4)
    assert trainer.global_step == 2
    for rank in (0, 1):
        assert (tmp_path / f"reduces{rank}.txt").read_text() == "xx"


class _SpareNet(_Net):
    def __init__(self, root: str) -> None:
        super().__init__(root)
        self.spare = nn.Linear(4, 1)  # never used by the steps: it gets no gradient


@forks_here
def test_an_unused_parameter_needs_find_unused_parameters(tmp_path: Path) -> None:
    with pytest.raises(WorkerFailedError, match="Here: pass Trainer\\(distributed_backend="
                       "'ddp_find_unused_parameters_true'\\)"):
        _fit(tmp_path / "default", _SpareNet(str(tmp_path)))
    trainer = _fit(tmp_path / "found", _SpareNet(str(tmp_path)),
                   distributed_backend="ddp_find_unused_parameters_true")
    assert trainer.global_step == 8


def test_sync_batchnorm_on_the_cpu_is_refused_naming_the_argument() -> None:
    with pytest.raises(ConfigError, match=r"Trainer\(sync_batchnorm=True\).*GPUs only"):
        pl.Trainer(sync_batchnorm=True, distributed_backend="ddp_cpu", num_processes=2)


class _OwnConnection(_Net):
    """0.8.5's override: the module joins the process group itself."""

    def init_ddp_connection(self, global_rank: int, world_size: int,
                            is_slurm_managing_tasks: bool = True) -> None:
        (Path(self.root) / f"joined{global_rank}.txt").write_text(str(world_size))
        torch.distributed.init_process_group("gloo", rank=global_rank, world_size=world_size)


class _NoConnection(_Net):
    def init_ddp_connection(self, global_rank: int, world_size: int,
                            is_slurm_managing_tasks: bool = True) -> None:
        pass


@forks_here
def test_an_init_ddp_connection_override_joins_the_group(tmp_path: Path) -> None:
    trainer = _fit(tmp_path, _OwnConnection(str(tmp_path)))
    assert trainer.global_step == 8
    assert [(tmp_path / f"joined{r}.txt").read_text() for r in (0, 1)] == ["2", "2"]
    with pytest.raises(WorkerFailedError, match=r"init_ddp_connection\(\d, 2\) returned without "
                                                "joining a process group"):
        _fit(tmp_path / "none", _NoConnection(str(tmp_path)))
