"""On a CUDA GPU: DDP over NCCL, mixed precision resumed bit for bit after SIGKILL, bf16, and
no host synchronisation in steps that do not log. Every test skips without CUDA."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest
import torch
import torch.distributed as dist
from torch.nn import functional as F

import orchestrator as pl
from backends.ddp import DDPBackend
from schemas.errors import ConfigError
from tests.helpers import BoringModel, quiet_trainer
from tests.orchestrator.test_resume_exact import _equal, _job, _scalars

pytestmark = [pytest.mark.slow,
              pytest.mark.skipif(not torch.cuda.is_available(), reason="needs a CUDA GPU")]
REPO = Path(__file__).resolve().parents[2]


def _run(*args: str, timeout: float = 180) -> subprocess.CompletedProcess[str]:
    done = subprocess.run([sys.executable, *args], cwd=REPO, capture_output=True, text=True,
                          timeout=timeout)
    assert done.returncode == 0, done.stderr[-3000:]
    return done


def test_the_cuda_probe_predicts_whether_a_fork_can_use_the_gpu() -> None:
    report = json.loads(_run("-m", "tests.jobs.cuda_fork_probe").stdout)
    assert report["device_count"] >= 1 and report["is_available"]
    # counting GPUs leaves CUDA uninitialized, and a child forked then can use its GPU
    assert report["at_start"] is False and report["after_device_count"] is False
    assert report["fork_after_device_count"] is True
    # once CUDA is up in the parent, the probe says so exactly when a child could not use it
    assert report["after_is_available"] is not report["fork_after_is_available"]


class Seen(BoringModel):
    """Records the process group it trains in (and sums a tensor over it) and the devices."""

    def training_step(self, batch: Any, batch_idx: int) -> Any:
        group = None
        if dist.is_initialized():
            total = torch.full((1,), 3.0, device=self.device)
            dist.all_reduce(total)
            group = (dist.get_backend(), float(total))
        self.seen = (group, batch[0].device.type, self.device.type)
        return super().training_step(batch, batch_idx)


def _gpu_fit(tmp_path: Path, **kwargs: Any) -> tuple[Seen, pl.Trainer]:
    pl.seed_everything(0)
    model = Seen(batch_size=8, n=64)
    trainer = quiet_trainer(tmp_path, gpus=1, max_epochs=2, num_sanity_val_steps=0, **kwargs)
    trainer.fit(model)
    return model, trainer


def test_ddp_on_one_gpu_runs_here_over_nccl_and_trains_like_one_gpu(tmp_path: Path) -> None:
    reference, _ = _gpu_fit(tmp_path / "one")
    model, trainer = _gpu_fit(tmp_path / "ddp", distributed_backend="ddp")
    assert isinstance(trainer.backend, DDPBackend) and not trainer.backend.needs_launch
    assert model.seen == (("nccl", 3.0), "cuda", "cuda")
    assert reference.seen == (None, "cuda", "cuda")
    for ours, theirs in zip(model.parameters(), reference.parameters()):
        assert torch.equal(ours, theirs)
    assert not dist.is_initialized()  # the group made for the fit was left after it
    results = trainer.test()  # in a group again, then left
    assert results[0]["test_loss"] > 0 and not dist.is_initialized()


def test_ddp_under_torchrun_on_one_gpu_uses_nccl(tmp_path: Path) -> None:
    _run("-m", "torch.distributed.run", "--standalone", "--nproc_per_node", "1",
         "-m", "tests.jobs.ddp_job", str(tmp_path), "--gpus", "1")
    report = json.loads((tmp_path / "rank0.json").read_text())
    assert report["seen"] == {"group": "nccl", "batch": "cuda"}
    assert report["world_size"] == 1 and report["outcome"] == "completed"
    assert report["test"][0]["test_loss"] > 0


def test_gpu_ddp_refuses_to_fork_once_cuda_is_up_here() -> None:
    torch.ones(1, device="cuda")  # CUDA initialized in this process
    backend = DDPBackend(num_processes=2, device_type="cuda")
    with pytest.raises(ConfigError, match=r"torchrun --nproc_per_node=2"):
        backend.launch(lambda: None)


def test_precision_16_killed_and_resumed_equals_the_uninterrupted_run(tmp_path: Path) -> None:
    gpu = ("--gpus", "1", "--precision", "16")
    first, run = tmp_path / "baseline", tmp_path / "killed"
    first.mkdir()
    run.mkdir()
    _job(first, *gpu)
    baseline = torch.load(first / "final.pt", weights_only=False)
    _job(run, *gpu, "--kill-at", "batch:17", expect_kill=True)
    _job(run, *gpu, "--resume", str(run / "kill.ckpt"))
    resumed = torch.load(run / "final.pt", weights_only=False)
    assert baseline["scaler"] is not None and baseline["scaler"]["scale"] > 0
    assert _equal(baseline["scaler"], resumed["scaler"])
    for key, value in baseline["state_dict"].items():
        assert value.is_cuda and torch.equal(value, resumed["state_dict"][key]), key
    assert _equal(baseline["optimizers"], resumed["optimizers"])
    assert _scalars(resumed["log_dir"]) == _scalars(baseline["log_dir"])


def test_bf16_on_gpu_autocasts_the_steps(tmp_path: Path) -> None:
    dtypes: list[torch.dtype] = []

    class Records(BoringModel):
        def training_step(self, batch: Any, batch_idx: int) -> Any:
            dtypes.append(self(batch[0]).dtype)
            return super().training_step(batch, batch_idx)

    model = Records()
    quiet_trainer(tmp_path, gpus=1, precision="bf16", max_epochs=1, logger=False).fit(model)
    assert set(dtypes) == {torch.bfloat16}
    assert all(p.dtype == torch.float32 and torch.isfinite(p).all() for p in model.parameters())


class SyncGuard(pl.Callback):
    """Makes any host synchronisation raise inside the batches whose step writes no log row."""

    def __init__(self, every: int) -> None:
        self.every = every
        self.guarded = 0

    def on_batch_start(self, trainer: Any, pl_module: Any) -> None:
        if (trainer.global_step + 1) % self.every:
            torch.cuda.set_sync_debug_mode("error")
            self.guarded += 1

    def on_batch_end(self, trainer: Any, pl_module: Any) -> None:
        torch.cuda.set_sync_debug_mode("default")


def test_lean_steps_never_wait_for_the_gpu(tmp_path: Path) -> None:
    # the whole batch is guarded: moving it in, the step, the output check, the loss record;
    # setup (moving the module in) is not a step, and may synchronise
    class NoLogs(BoringModel):
        def training_step(self, batch: Any, batch_idx: int) -> Any:
            x, y = batch
            return {"loss": F.mse_loss(self(x), y)}

    guard = SyncGuard(every=10**9)
    try:
        trainer = quiet_trainer(tmp_path, gpus=1, max_epochs=2, logger=False,
                                checkpoint_callback=False, num_sanity_val_steps=0,
                                val_percent_check=0.0, callbacks=[guard])
        trainer.fit(NoLogs(batch_size=8, n=96))
    finally:
        torch.cuda.set_sync_debug_mode("default")
    assert guard.guarded == trainer.global_step == 24


def test_steps_that_do_not_log_never_wait_for_the_gpu(tmp_path: Path) -> None:
    import io

    class Logging(BoringModel):
        def training_step(self, batch: Any, batch_idx: int) -> Any:
            x, y = batch
            loss = F.mse_loss(self(x), y)
            return {"loss": loss, "log": {"train_loss": loss}, "progress_bar": {"pb": loss}}

    guard = SyncGuard(every=4)
    bar = pl.callbacks.ProgressBar(refresh_rate=1, file=io.StringIO(),
                                   max_refresh_per_second=1e-9)  # redraws only at epoch ends
    try:
        trainer = quiet_trainer(tmp_path, gpus=1, max_epochs=2, row_log_interval=4,
                                callbacks=[guard, bar])
        trainer.fit(Logging(batch_size=8, n=96))
    finally:
        torch.cuda.set_sync_debug_mode("default")
    assert trainer.global_step == 24 and guard.guarded == 18  # 6 steps of 24 wrote a row
    assert trainer.logger is not None
    assert "train_loss" in _scalars(trainer.logger.log_dir)


def test_cpu_ddp_after_a_backward_pass_here_is_refused_before_forking(tmp_path: Path) -> None:
    torch.ones(2, requires_grad=True).sum().backward()  # autograd starts its GPU threads
    trainer = quiet_trainer(tmp_path, max_epochs=1, distributed_backend="ddp_cpu",
                            num_processes=2)
    with pytest.raises(ConfigError, match=r"CUDA_VISIBLE_DEVICES= python"):
        trainer.fit(BoringModel())
