"""FSDP on the CPU with real processes (gloo, torch's fully_shard): the same training as one
process on the full batch, shards of half the size per rank, full-state checkpoints that
resume bit for bit and load anywhere."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest
import torch
from torch import nn
from torch.nn import functional as F

import orchestrator as pl
from backends.fsdp import FSDPBackend
from schemas.errors import ConfigError
from tests.backends.test_ddp import forks_here
from tests.helpers import BoringModel

pytestmark = pytest.mark.slow


class TwoLayers(BoringModel):
    """Two Linear layers (each a unit under the policy) and Adam, whose state is sharded too;
    rank 1 writes how much of the parameters and optimizer state it holds."""

    def __init__(self, batch_size: int, report: Path | None = None) -> None:
        super().__init__(batch_size=batch_size, n=64)
        self.layer = nn.Sequential(nn.Linear(8, 32), nn.Tanh(), nn.Linear(32, 1))
        self.report = report

    def configure_optimizers(self) -> torch.optim.Optimizer:
        return torch.optim.Adam(self.parameters(), lr=0.01)

    def on_train_end(self) -> None:
        if self.report is None or self.trainer.global_rank != 1:
            return
        local = sum(_local(p).numel() for p in self.parameters())
        full = sum(p.numel() for p in self.parameters())
        optimizer = self.trainer.optimizers[0]
        state = sum(_local(t).numel() for s in optimizer.state.values() for t in s.values()
                    if t.dim() > 0)
        self.report.write_text(json.dumps({"local": local, "full": full, "state": state}))


def _local(tensor: torch.Tensor) -> torch.Tensor:
    return tensor.to_local() if hasattr(tensor, "to_local") else tensor


def _trainer(root: Path, epochs: int, **kwargs: Any) -> pl.Trainer:
    return pl.Trainer(max_epochs=epochs, default_root_dir=str(root), logger=False,
                      progress_bar_refresh_rate=0, weights_summary=None,
                      num_sanity_val_steps=0, **kwargs)


def _fsdp(root: Path, epochs: int, **kwargs: Any) -> pl.Trainer:
    return _trainer(root, epochs, distributed_backend="fsdp", num_processes=2,
                    fsdp_auto_wrap_policy={nn.Linear}, **kwargs)


def _single(root: Path, epochs: int) -> TwoLayers:
    pl.seed_everything(0)
    model = TwoLayers(batch_size=16)
    _trainer(root, epochs, checkpoint_callback=False).fit(model)
    return model


@forks_here
def test_fsdp_trains_as_one_process_on_the_full_batch_with_half_the_state_per_rank(
        tmp_path: Path) -> None:
    reference = _single(tmp_path / "single", epochs=2)
    pl.seed_everything(0)
    report = tmp_path / "rank1.json"
    model = TwoLayers(batch_size=8, report=report)  # 8 per process x 2 = 16
    trainer = _fsdp(tmp_path / "fsdp", epochs=2, checkpoint_callback=False)
    trainer.fit(model)
    assert isinstance(trainer.backend, FSDPBackend) and trainer.global_step == 8
    for name, value in reference.state_dict().items():  # the handback: full weights here
        assert torch.allclose(model.state_dict()[name], value, atol=1e-6), name
    held = json.loads(report.read_text())
    # rank 1 holds the second half of each tensor's rows (torch.chunk along dim 0: the 1-row
    # weight and bias of the last layer are all on rank 0)
    second_halves = [p.detach().chunk(2) for p in reference.parameters()]
    assert held["local"] == sum(c[1].numel() for c in second_halves if len(c) == 2) == 144
    assert held["full"] == 321
    assert held["state"] == 2 * held["local"]  # Adam's exp_avg and exp_avg_sq of the shard


@forks_here
def test_fsdp_resumes_bit_for_bit_from_its_full_state_checkpoint(tmp_path: Path) -> None:
    pl.seed_everything(0)
    straight = TwoLayers(batch_size=8)
    _fsdp(tmp_path / "straight", epochs=4, checkpoint_callback=False).fit(straight)

    pl.seed_everything(0)
    first = TwoLayers(batch_size=8)
    saver = pl.callbacks.ModelCheckpoint(filepath=str(tmp_path / "ckpt" / "{epoch}"),
                                         save_top_k=-1)
    _fsdp(tmp_path / "first", epochs=2, checkpoint_callback=saver).fit(first)
    saved = tmp_path / "ckpt" / "epoch=1.ckpt"
    body = torch.load(saved, weights_only=True)
    assert body["state_dict"]["layer.0.weight"].shape == (32, 8)  # the full tensor, not a shard
    assert body["optimizer_states"][0]["state"][0]["exp_avg"].shape == (32, 8)

    pl.seed_everything(0)
    resumed = TwoLayers(batch_size=8)
    _fsdp(tmp_path / "resumed", epochs=4, checkpoint_callback=False,
          resume_from_checkpoint=str(saved)).fit(resumed)
    for name, value in straight.state_dict().items():
        assert torch.equal(resumed.state_dict()[name], value), name

    # a full-state file is an ordinary checkpoint: it loads on one process, with no FSDP
    loaded = TwoLayers.load_from_checkpoint(str(saved), batch_size=8)
    for name, value in body["state_dict"].items():
        assert torch.equal(loaded.state_dict()[name], value), name


@forks_here
def test_fsdp_accumulates_without_syncing_and_clips_like_one_process(tmp_path: Path) -> None:
    pl.seed_everything(0)
    reference = TwoLayers(batch_size=8)
    _trainer(tmp_path / "single", 2, checkpoint_callback=False, accumulate_grad_batches=2,
             gradient_clip_val=0.5).fit(reference)
    pl.seed_everything(0)
    model = TwoLayers(batch_size=4)  # 4 per process x 2 = 8
    _fsdp(tmp_path / "fsdp", 2, checkpoint_callback=False, accumulate_grad_batches=2,
          gradient_clip_val=0.5).fit(model)
    for name, value in reference.state_dict().items():
        assert torch.allclose(model.state_dict()[name], value, atol=1e-6), name


class _ForwardInStep(BoringModel):
    def training_step(self, batch: Any, batch_idx: int) -> dict[str, Any]:
        x, y = batch
        return {"loss": F.mse_loss(self.layer(x), y)}


def test_the_wrap_policy_is_checked_when_the_trainer_is_made() -> None:
    with pytest.raises(ConfigError, match=r"fsdp_auto_wrap_policy=\['Linear'\].*layer classes"):
        pl.Trainer(distributed_backend="fsdp", num_processes=2,
                   fsdp_auto_wrap_policy=["Linear"])
    with pytest.raises(ConfigError, match="sync_batchnorm=True.*drop it"):
        pl.Trainer(distributed_backend="fsdp", num_processes=2, sync_batchnorm=True)
    trainer = pl.Trainer(distributed_backend="fsdp", num_processes=2,
                         fsdp_auto_wrap_policy=lambda layer: isinstance(layer, nn.Linear))
    assert isinstance(trainer.backend, FSDPBackend) and trainer.backend.world_size == 2


def test_fsdp_under_torchrun_trains_tests_and_saves_like_one_process(tmp_path: Path) -> None:
    from tests.backends.test_ddp import _reports, _single_process, _torchrun

    reference, single = _single_process(batch_size=16)
    done = _torchrun(tmp_path, "--fsdp")
    assert done.returncode == 0, done.stderr[-3000:]
    reports = _reports(tmp_path)
    assert all(r["world_size"] == 2 and r["step"] == 8 for r in reports)
    # test() after the fit runs on the sharded module, through its root unit
    assert reports[0]["test"] == reports[1]["test"]
    assert reports[0]["test"][0]["test_loss"] == pytest.approx(
        single.test()[0]["test_loss"], rel=1e-5)
    trained = torch.load(tmp_path / "final.pt", weights_only=True)  # from save_checkpoint
    for name, value in reference.state_dict().items():
        assert torch.allclose(trained[name], value, atol=1e-6), name


@forks_here
def test_sharded_checkpoints_are_folders_of_rank_shards_that_resume_and_load_whole(
        tmp_path: Path, capsys: Any) -> None:
    pl.seed_everything(0)
    straight = TwoLayers(batch_size=8)
    _fsdp(tmp_path / "straight", epochs=4, checkpoint_callback=False).fit(straight)

    pl.seed_everything(0)
    first = TwoLayers(batch_size=8)
    saver = pl.callbacks.ModelCheckpoint(filepath=str(tmp_path / "ckpt" / "{epoch}"),
                                         save_top_k=-1)
    _fsdp(tmp_path / "first", epochs=2, checkpoint_callback=saver,
          fsdp_state_dict_type="sharded").fit(first)
    saved = tmp_path / "ckpt" / "epoch=1.ckpt"
    assert saved.is_dir()
    assert sorted(p.name for p in (saved / "shards").iterdir()) == [
        ".metadata", "__0_0.distcp", "__1_0.distcp"]  # each rank wrote its own shard
    meta = torch.load(saved / "meta.ckpt", weights_only=True)
    assert "state_dict" not in meta and "optimizer_states" not in meta
    assert meta["global_step"] == 8  # 4 steps of 2 x 8 samples an epoch
    assert sorted(p.name for p in (tmp_path / "ckpt").iterdir()) == ["epoch=0.ckpt",
                                                                      "epoch=1.ckpt"]

    # read whole in this process, without a process group
    loaded = TwoLayers.load_from_checkpoint(str(saved), batch_size=8)
    for name, value in first.state_dict().items():
        assert torch.equal(loaded.state_dict()[name], value), name
    from orchestrator.cli import main as cli

    assert cli(["inspect", str(saved), "--json"]) == 0
    inspected = json.loads(capsys.readouterr().out)
    assert inspected["global_step"] == 8, inspected

    pl.seed_everything(0)
    resumed = TwoLayers(batch_size=8)
    _fsdp(tmp_path / "resumed", epochs=4, checkpoint_callback=False,
          fsdp_state_dict_type="sharded", resume_from_checkpoint=str(saved)).fit(resumed)
    for name, value in straight.state_dict().items():
        assert torch.equal(resumed.state_dict()[name], value), name


@forks_here
def test_a_sharded_checkpoint_displaced_from_the_top_k_is_removed_whole(tmp_path: Path) -> None:
    pl.seed_everything(0)
    saver = pl.callbacks.ModelCheckpoint(filepath=str(tmp_path / "ckpt" / "{epoch}"),
                                         save_top_k=1, monitor="val_loss", mode="min")
    (tmp_path / "ckpt").mkdir()
    (tmp_path / "ckpt" / ".old.ckpt.sharding.tmp").mkdir()  # left by a cut write
    trainer = _fsdp(tmp_path / "run", epochs=3, checkpoint_callback=saver,
                    fsdp_state_dict_type="sharded")
    trainer.fit(TwoLayers(batch_size=8))
    left = sorted(p.name for p in (tmp_path / "ckpt").iterdir())
    assert left == [Path(saver.best_model_path).name], left
    assert (Path(saver.best_model_path) / "shards" / ".metadata").is_file()
