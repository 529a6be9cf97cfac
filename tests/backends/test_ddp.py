"""DDP on the CPU with real processes (gloo): spawned by the Trainer, and under torchrun."""

from __future__ import annotations

import json
import subprocess
import sys
import time
import warnings
from pathlib import Path
from typing import Any

import pytest
import torch

import orchestrator as pl
from backends.ddp import DDPBackend
from schemas.errors import WorkerFailedError
from tests.helpers import BoringModel

pytestmark = pytest.mark.slow
REPO = Path(__file__).resolve().parents[2]
# With a GPU visible, the first backward pass in a process starts autograd's device threads,
# and a process forked after that cannot run backward: the Trainer then refuses to fork
# (test_forking_after_autograd_threads_is_refused_with_the_ways_out). The tests that fork
# from this process run where no GPU is visible; torchrun's fresh processes run everywhere.
forks_here = pytest.mark.skipif(
    torch.cuda.device_count() > 0,
    reason="a GPU is visible: this process's backward passes forbid forked workers")


def _single_process(batch_size: int, epochs: int = 2) -> tuple[BoringModel, pl.Trainer]:
    pl.seed_everything(0)
    model = BoringModel(batch_size=batch_size, n=64)
    trainer = pl.Trainer(max_epochs=epochs, logger=False, checkpoint_callback=False,
                         progress_bar_refresh_rate=0, weights_summary=None,
                         num_sanity_val_steps=0)
    trainer.fit(model)
    return model, trainer


def _torchrun(root: Path, *args: str, timeout: float = 120) -> subprocess.CompletedProcess[str]:
    command = [sys.executable, "-m", "torch.distributed.run", "--standalone",
               "--nproc_per_node", "2", "-m", "tests.jobs.ddp_job", str(root), *args]
    return subprocess.run(command, cwd=REPO, capture_output=True, text=True, timeout=timeout)


def _reports(root: Path) -> list[dict[str, Any]]:
    return [json.loads((root / f"rank{r}.json").read_text()) for r in (0, 1)]


@forks_here
def test_trainer_spawned_ddp_equals_one_process_on_the_full_batch(tmp_path: Path) -> None:
    reference, single = _single_process(batch_size=16)
    pl.seed_everything(0)
    model = BoringModel(batch_size=8, n=64)  # 8 per process x 2 processes = 16
    trainer = pl.Trainer(max_epochs=2, distributed_backend="ddp_cpu", num_processes=2,
                         default_root_dir=str(tmp_path), progress_bar_refresh_rate=0,
                         weights_summary=None, num_sanity_val_steps=0)
    trainer.fit(model)
    assert isinstance(trainer.backend, DDPBackend) and trainer.world_size == 2
    for ours, theirs in zip(model.parameters(), reference.parameters()):
        assert torch.allclose(ours, theirs, atol=1e-6)
    # the calling process holds the trained state, and the metrics reduced over both ranks
    assert trainer.global_step == single.global_step == 8
    assert float(trainer.callback_metrics["val_loss"]) == pytest.approx(
        float(single.callback_metrics["val_loss"]), rel=1e-5)
    assert trainer.lifecycle.history[-1] == "teardown" and trainer.lifecycle.outcome == "completed"
    assert Path(trainer.checkpoint_callback.best_model_path).is_file()  # written by rank zero
    assert [p.name for p in (tmp_path / "lightning_logs").iterdir()] == ["version_0"]


def test_torchrun_launched_processes_join_and_train_like_one(tmp_path: Path) -> None:
    reference, single = _single_process(batch_size=16)
    done = _torchrun(tmp_path)
    assert done.returncode == 0, done.stderr[-3000:]
    reports = _reports(tmp_path)
    assert all(r["world_size"] == 2 and r["step"] == 8 for r in reports)
    assert reports[0]["val_loss"] == reports[1]["val_loss"] == pytest.approx(
        float(single.callback_metrics["val_loss"]), rel=1e-5)
    # test() on both ranks, each on its half of the test set: the same results, the full set's
    assert reports[0]["test"] == reports[1]["test"]
    assert reports[0]["test"][0]["test_loss"] == pytest.approx(
        single.test()[0]["test_loss"], rel=1e-5)
    trained = torch.load(tmp_path / "final.pt", weights_only=True)
    for name, value in reference.state_dict().items():
        assert torch.allclose(trained[name], value, atol=1e-6), name
    assert len(list((tmp_path / "lightning_logs").iterdir())) == 1  # rank zero logs alone
    # leaving the group at exit stopped gloo's threads: one still running when the interpreter
    # shuts down can abort the process ("terminate called without an active exception")
    for rank in (0, 1):
        threads = json.loads((tmp_path / f"threads{rank}.json").read_text())
        assert not [name for name in threads if "gloo" in name], (rank, threads)


@forks_here
def test_an_error_on_one_rank_ends_every_rank_quickly_with_its_message(tmp_path: Path) -> None:
    class FailsOnRankOne(BoringModel):
        def training_step(self, batch: Any, batch_idx: int) -> Any:
            if self.trainer.global_rank == 1 and batch_idx == 1:
                raise RuntimeError("deliberate failure on rank 1")
            return super().training_step(batch, batch_idx)

    trainer = pl.Trainer(max_epochs=2, distributed_backend="ddp_cpu", num_processes=2,
                         logger=False, checkpoint_callback=False, progress_bar_refresh_rate=0,
                         weights_summary=None)
    start = time.monotonic()
    with pytest.raises(WorkerFailedError, match="(?s)rank 1 failed.*deliberate failure on rank 1"):
        trainer.fit(FailsOnRankOne(batch_size=8))
    assert time.monotonic() - start < 60

    start = time.monotonic()
    done = _torchrun(tmp_path, "--fail-rank", "1", timeout=180)
    assert done.returncode != 0
    assert "deliberate failure on rank 1" in done.stdout + done.stderr, done.stderr[-3000:]
    assert time.monotonic() - start < 120


def test_early_stopping_decides_the_same_on_every_rank(tmp_path: Path) -> None:
    # rank 0's own score improves every epoch and would never stop; the mean over the two
    # ranks gets worse, so both must stop together after patience=1
    done = _torchrun(tmp_path, "--split-score", "--epochs", "6")
    assert done.returncode == 0, done.stderr[-3000:]
    reports = _reports(tmp_path)
    assert reports[0]["epoch"] == reports[1]["epoch"] < 5
    assert reports[0]["outcome"] == reports[1]["outcome"] == "stopped_early"


class _RankDependentScore(BoringModel):
    """Logs a training metric that rank 0 sees rise (epoch) and rank 1 see fall (-3 x epoch)."""

    def training_step(self, batch: Any, batch_idx: int) -> Any:
        output = super().training_step(batch, batch_idx)
        epoch = float(self.current_epoch)
        score = epoch if self.trainer.global_rank == 0 else -3.0 * epoch
        output["log"]["train_score"] = torch.tensor(score)
        return output


@forks_here
def test_a_checkpoint_decision_on_a_training_metric_is_the_same_on_every_rank(
    tmp_path: Path,
) -> None:
    # alone, rank 0 would save only epoch 0 (its score rises) and rank 1 every epoch; since a
    # save is collective, disagreeing ranks would wait for each other until the timeout
    checkpoint = pl.callbacks.ModelCheckpoint(monitor="train_score", mode="min", save_top_k=1)
    trainer = pl.Trainer(max_epochs=3, distributed_backend="ddp_cpu", num_processes=2,
                         default_root_dir=str(tmp_path), checkpoint_callback=checkpoint,
                         progress_bar_refresh_rate=0, weights_summary=None,
                         num_sanity_val_steps=0)
    start = time.monotonic()
    trainer.fit(_RankDependentScore(batch_size=8, n=64))
    assert time.monotonic() - start < 60
    assert trainer.lifecycle.outcome == "completed"
    best = trainer.checkpoint_callback
    assert best.best_model_score == pytest.approx(-2.0)  # the mean, (2 + -6) / 2, at epoch 2
    assert "epoch=2" in Path(best.best_model_path).name and Path(best.best_model_path).is_file()
    assert float(trainer.callback_metrics["train_score"]) == pytest.approx(-2.0)


class _LogsOnRankZeroOnly(BoringModel):
    def training_step(self, batch: Any, batch_idx: int) -> Any:
        output = super().training_step(batch, batch_idx)
        if self.trainer.global_rank == 0:
            output["log"]["only_on_zero"] = torch.tensor(1.0)
        return output


@forks_here
def test_a_key_logged_on_one_rank_only_neither_hangs_nor_pairs_with_another(
    tmp_path: Path,
) -> None:
    trainer = pl.Trainer(max_epochs=1, distributed_backend="ddp_cpu", num_processes=2,
                         default_root_dir=str(tmp_path), row_log_interval=1,
                         progress_bar_refresh_rate=0, weights_summary=None,
                         num_sanity_val_steps=0)
    start = time.monotonic()
    trainer.fit(_LogsOnRankZeroOnly(batch_size=8, n=64))
    assert time.monotonic() - start < 60 and trainer.lifecycle.outcome == "completed"
    assert float(trainer.logged_metrics["only_on_zero"]) == 1.0  # rank zero's own value


class _NotesLogger(pl.loggers.TensorBoardLogger):
    def log_note(self, text: str) -> None:  # a logger's own method, as NeptuneLogger.log_text
        self.experiment.add_text("note", text)


class _UsesTheLoggerOnEveryRank(BoringModel):
    """What 0.8 code does in its hooks on every rank: logger.experiment calls and the logger's
    own methods (0.8.5: a DummyExperiment and no-ops on the other ranks)."""

    def training_step(self, batch: Any, batch_idx: int) -> Any:
        if batch_idx == 0:
            self.logger.experiment.add_scalar("by_hand", 1.0, self.global_step)
            self.logger.log_note(f"rank {self.trainer.global_rank}")
            self.logger.log_metrics({"by_hand_row": 2.0}, step=self.global_step)
            dummy = isinstance(self.logger.experiment, pl.loggers.base.DummyExperiment)
            Path(self.trainer.default_root_dir, f"rank{self.trainer.global_rank}.json").write_text(
                json.dumps({"dummy": dummy}))
        return super().training_step(batch, batch_idx)


@forks_here
def test_other_ranks_get_a_logger_whose_experiment_and_methods_do_nothing(tmp_path: Path
                                                                          ) -> None:
    from tensorboard.backend.event_processing.event_accumulator import EventAccumulator

    logger = _NotesLogger(str(tmp_path), name="tb")
    trainer = pl.Trainer(max_epochs=1, distributed_backend="ddp_cpu", num_processes=2,
                         logger=logger, default_root_dir=str(tmp_path),
                         progress_bar_refresh_rate=0, weights_summary=None,
                         num_sanity_val_steps=0)
    trainer.fit(_UsesTheLoggerOnEveryRank(batch_size=8, n=64))
    seen = {rank: json.loads((tmp_path / f"rank{rank}.json").read_text()) for rank in (0, 1)}
    assert seen == {0: {"dummy": False}, 1: {"dummy": True}}
    events = EventAccumulator(str(tmp_path / "tb" / "version_0"), size_guidance={"tensors": 0})
    events.Reload()
    assert [e.value for e in events.Scalars("by_hand")] == [1.0]  # rank zero's alone
    assert [e.value for e in events.Scalars("by_hand_row")] == [2.0]
    notes = [e.tensor_proto.string_val[0] for e in events.Tensors("note/text_summary")]
    assert notes == [b"rank 0"]
    assert [p.name for p in tmp_path.iterdir() if p.is_dir()] == ["tb"]  # no folder of rank 1


class _SavesOnRankZeroOnly(BoringModel):
    def training_step(self, batch: Any, batch_idx: int) -> Any:
        if batch_idx == 1 and self.trainer.global_rank == 0:
            self.trainer.save_checkpoint("rank0_only.ckpt")
        return super().training_step(batch, batch_idx)


@forks_here
def test_save_checkpoint_called_on_one_rank_only_is_a_clear_error(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch,
) -> None:
    import datetime

    import backends.ddp

    monkeypatch.setattr(backends.ddp, "_TIMEOUT", datetime.timedelta(seconds=5))
    monkeypatch.chdir(tmp_path)
    trainer = pl.Trainer(max_epochs=1, distributed_backend="ddp_cpu", num_processes=2,
                         logger=False, checkpoint_callback=False, progress_bar_refresh_rate=0,
                         weights_summary=None, num_sanity_val_steps=0)
    start = time.monotonic()
    with pytest.raises(WorkerFailedError,
                       match=r"(?s)save_checkpoint\('rank0_only.ckpt'\) on rank 0.*every process"):
        trainer.fit(_SavesOnRankZeroOnly(batch_size=8, n=64))
    assert time.monotonic() - start < 60
    assert not (tmp_path / "rank0_only.ckpt").exists()


def test_ddp_asked_without_processes_or_gpus_is_a_clear_error() -> None:
    with pytest.warns(UserWarning, match="distributed_backend='ddp'.*one process on the CPU"):
        assert pl.Trainer(distributed_backend="ddp").backend.world_size == 1  # as 0.8.5
    with warnings.catch_warnings():
        warnings.simplefilter("error")  # CPU processes asked for: no warning
        assert pl.Trainer(distributed_backend="ddp", num_processes=2).backend.world_size == 2
    with pytest.warns(UserWarning, match="'dp'\\) splits each batch over GPUs.*on the CPU"):
        pl.Trainer(distributed_backend="dp")  # 0.8.5: one CPU process
    with pytest.warns(UserWarning, match="'ddp2'\\) runs DP over each node.*on the CPU"):
        trainer = pl.Trainer(distributed_backend="ddp2")  # 0.8.5: one CPU process
    assert trainer.backend.kind == "cpu" and not trainer.use_ddp2
    # several nodes of CPU processes, each node started by a launcher (0.8.5's ddp_cpu)
    trainer = pl.Trainer(distributed_backend="ddp", num_nodes=2)
    assert trainer.use_ddp and trainer.num_processes == 1 and trainer.world_size == 2


@forks_here
def test_resume_under_ddp_is_exact_with_each_rank_generators(tmp_path: Path) -> None:
    class Dropout(BoringModel):
        def __init__(self) -> None:
            super().__init__(batch_size=8, n=64)
            self.drop = torch.nn.Dropout(0.3)

        def forward(self, x: torch.Tensor) -> torch.Tensor:
            return self.layer(self.drop(x))

    class SaveAt(pl.callbacks.Callback):
        def __init__(self) -> None:
            self.batches = 0

        def on_train_start(self, trainer: Any, pl_module: Any) -> None:
            if trainer.global_step == 0:  # distinct dropout streams per rank, from the start
                torch.manual_seed(100 + trainer.global_rank)

        def on_batch_end(self, trainer: Any, pl_module: Any) -> None:
            self.batches += 1
            if self.batches == 6:  # every rank calls it; rank zero writes
                trainer.save_checkpoint(str(tmp_path / "ddp.ckpt"))

    def trainer(**kwargs: Any) -> pl.Trainer:
        return pl.Trainer(max_epochs=3, distributed_backend="ddp_cpu", num_processes=2,
                          logger=False, checkpoint_callback=False, progress_bar_refresh_rate=0,
                          weights_summary=None, **kwargs)

    pl.seed_everything(0)
    full = Dropout()
    trainer(callbacks=[SaveAt()]).fit(full)
    saved = torch.load(tmp_path / "ddp.ckpt", weights_only=True)
    assert len(saved["rng_per_rank"]) == 2
    assert not torch.equal(saved["rng_per_rank"][0]["torch"], saved["rng_per_rank"][1]["torch"])
    pl.seed_everything(0)
    resumed = Dropout()
    trainer(resume_from_checkpoint=str(tmp_path / "ddp.ckpt"), callbacks=[SaveAt()]).fit(resumed)
    for a, b in zip(full.parameters(), resumed.parameters()):
        assert torch.equal(a, b)


@forks_here
def test_test_after_a_spawned_ddp_fit_runs_in_the_calling_process(tmp_path: Path) -> None:
    pl.seed_everything(0)
    model = BoringModel(batch_size=8, n=64)
    trainer = pl.Trainer(max_epochs=1, distributed_backend="ddp_cpu", num_processes=2,
                         logger=False, checkpoint_callback=False, progress_bar_refresh_rate=0,
                         weights_summary=None)
    trainer.fit(model)
    results = trainer.test()
    expected = pl.Trainer(logger=False, progress_bar_refresh_rate=0).test(model)
    assert results == expected


def test_a_distributed_sampler_the_user_set_is_kept_and_told_the_epoch() -> None:
    from torch.utils.data import DataLoader, DistributedSampler

    from states.epoch_data import open_epoch
    from tests.helpers import regression_data

    data = regression_data(16)
    sampler = DistributedSampler(data, num_replicas=2, rank=1, shuffle=True, seed=3)
    loader = DataLoader(data, batch_size=4, sampler=sampler)
    first = [b[0] for b in open_epoch(loader, seed=1, skip=0, rank=1, world=2, epoch=0)]
    assert sampler.epoch == 0
    second = [b[0] for b in open_epoch(loader, seed=1, skip=0, rank=1, world=2, epoch=1)]
    assert sampler.epoch == 1
    assert len(first) == len(second) == 2  # 16 samples / 2 ranks / batches of 4
    assert not all(torch.equal(a, b) for a, b in zip(first, second))  # reshuffled per epoch


def test_joining_a_group_on_gpus_first_selects_this_processs_gpu(monkeypatch: Any) -> None:
    # runs without a GPU: set_device is replaced by a probe that stops before any group exists
    class Selected(Exception):
        pass

    def select(index: int) -> None:
        raise Selected(index)

    monkeypatch.setattr(torch.cuda, "set_device", select)
    backend = DDPBackend(num_processes=2, device_type="cuda")
    with pytest.raises(Selected) as picked:
        backend.init_group(rank=1)
    assert picked.value.args == (1,)


# GPU processes: fork only while CUDA is untouched here; one GPU runs in this process
def test_gpu_ddp_refuses_to_fork_once_cuda_is_initialized(monkeypatch: Any) -> None:
    import backends.gpu
    from schemas.errors import ConfigError

    monkeypatch.setattr(backends.gpu, "cuda_driver_initialized", lambda: True)
    forked: list[Any] = []
    monkeypatch.setattr(torch.multiprocessing, "start_processes", lambda *a, **k: forked.append(a))
    backend = DDPBackend(num_processes=4, device_type="cuda")
    with pytest.raises(ConfigError) as refused:
        backend.launch(lambda: None)
    message = str(refused.value)
    assert "CUDA is already initialized" in message and "gpus=4" in message
    assert "torchrun --nproc_per_node=4" in message and "device_count()" in message
    assert forked == []


def test_one_gpu_process_runs_where_fit_was_called() -> None:
    assert DDPBackend(num_processes=1, device_type="cuda").needs_launch is False
    assert DDPBackend(num_processes=2, device_type="cuda").needs_launch is True
    assert DDPBackend(num_processes=1, device_type="cpu").needs_launch is True


def test_a_group_of_one_in_this_process_needs_no_address(monkeypatch: Any) -> None:
    for name in ("MASTER_ADDR", "MASTER_PORT", "RANK", "WORLD_SIZE"):
        monkeypatch.delenv(name, raising=False)
    backend = DDPBackend(num_processes=1, device_type="cpu")
    backend.init_group(rank=0)
    try:
        assert torch.distributed.get_world_size() == 1
        assert float(backend.reduce(torch.tensor([5.0]), op="sum")) == 5.0
    finally:
        backend.teardown()
    assert not torch.distributed.is_initialized()


def test_choosing_a_gpu_backend_leaves_cuda_uninitialized(monkeypatch: Any) -> None:
    # torch.cuda.is_available() initializes CUDA, after which forked workers cannot use it
    from backends.precision import Precision
    from backends.select import select_backend
    from schemas.config import build_config
    from schemas.errors import HardwareUnavailableError
    from states.rng import rng_state

    def forbidden() -> bool:
        raise AssertionError("torch.cuda.is_available() was called")

    monkeypatch.setattr(torch.cuda, "is_available", forbidden)
    monkeypatch.setattr(torch.cuda, "device_count", lambda: 0)
    with pytest.raises(HardwareUnavailableError, match=r"device_count\(\) is 0"):
        select_backend(build_config(gpus=1, distributed_backend="ddp"))
    precision = Precision(16, "cuda")  # the scaler is made on first use, in the worker
    assert precision.dtype is torch.float16
    assert "torch" in rng_state()


def test_forking_after_autograd_threads_is_refused_with_the_ways_out(monkeypatch: Any) -> None:
    import backends.launcher
    from schemas.errors import ConfigError

    monkeypatch.setattr(backends.launcher, "autograd_threads_started", lambda: True)
    forked: list[Any] = []
    monkeypatch.setattr(torch.multiprocessing, "start_processes", lambda *a, **k: forked.append(a))
    with pytest.raises(ConfigError) as refused:
        DDPBackend(num_processes=3, device_type="cpu").launch(lambda: None)
    message = str(refused.value)
    assert "Trainer(distributed_backend='ddp_cpu', num_processes=3)" in message
    assert "autograd's device threads" in message and "fresh process" in message
    assert "torchrun --nproc_per_node=3" in message and "CUDA_VISIBLE_DEVICES=" in message
    assert forked == []


def test_autograd_starts_its_device_threads_only_where_a_gpu_is_visible() -> None:
    from backends.launcher import autograd_threads_started

    torch.ones(2, requires_grad=True).sum().backward()  # a CPU backward pass
    assert autograd_threads_started() is (torch.cuda.device_count() > 0)



_FORK_AFTER_THREADED_MATH = """
import torch
import orchestrator as pl
from tests.helpers import BoringModel

class Threads(BoringModel):
    def training_step(self, batch, batch_idx):
        big = torch.randn(600, 600)
        (big @ big).sum()  # a parallel op in the worker
        out = super().training_step(batch, batch_idx)
        out["log"] = {"worker_threads": float(torch.get_num_threads())}
        return out

torch.set_num_threads(2)
big = torch.randn(1500, 1500)
(big @ big).sum()  # the intra-op (OpenMP) thread pool now runs in this process
trainer = pl.Trainer(max_epochs=1, distributed_backend="ddp_cpu", num_processes=2,
                     default_root_dir=ROOT, progress_bar_refresh_rate=0,
                     weights_summary=None, num_sanity_val_steps=0)
trainer.fit(Threads(batch_size=8, n=64))
print("threads in the workers:", float(trainer.callback_metrics["worker_threads"]))
"""


@forks_here
def test_workers_forked_after_threaded_math_train_instead_of_hanging(tmp_path: Path) -> None:
    """A process whose OpenMP pool ran (any sizable matmul) forks workers that would hang in
    their first parallel op; they run with one intra-op thread, as torch's DataLoader workers
    and torchrun's processes do."""
    script = f"ROOT = {str(tmp_path)!r}\n" + _FORK_AFTER_THREADED_MATH
    done = subprocess.run([sys.executable, "-c", script], cwd=REPO, capture_output=True,
                          text=True, timeout=120)
    assert done.returncode == 0, done.stderr[-3000:]
    assert "threads in the workers: 1.0" in done.stdout


_IMPORTED_STATE = {"changed_after_import": False}


class _ReportsHowItStarted(BoringModel):
    """Writes, on rank 1, whether it sees this process's changes made after import (a forked
    copy does; a spawned interpreter, which imported the module afresh, does not)."""

    def __init__(self, report: str) -> None:
        super().__init__(batch_size=8, n=64)
        self.report = report

    def on_train_end(self) -> None:
        if self.trainer.global_rank == 1:
            Path(self.report).write_text(json.dumps(_IMPORTED_STATE))


def test_ddp_spawn_starts_fresh_interpreters_and_trains_like_ddp(tmp_path: Path) -> None:
    reference, _ = _single_process(batch_size=16)
    _IMPORTED_STATE["changed_after_import"] = True
    report = tmp_path / "rank1.json"
    pl.seed_everything(0)
    model = _ReportsHowItStarted(str(report))
    trainer = pl.Trainer(max_epochs=2, distributed_backend="ddp_spawn", num_processes=2,
                         default_root_dir=str(tmp_path), progress_bar_refresh_rate=0,
                         weights_summary=None, num_sanity_val_steps=0)
    trainer.fit(model)
    assert trainer.backend.start_method == "spawn"
    assert json.loads(report.read_text()) == {"changed_after_import": False}
    for ours, theirs in zip(model.parameters(), reference.parameters()):
        assert torch.allclose(ours, theirs, atol=1e-6)
    assert trainer.global_step == 8 and trainer.lifecycle.outcome == "completed"


def test_ddp_spawn_with_a_module_it_cannot_pickle_says_how_to_define_it() -> None:
    from schemas.errors import ConfigError

    class DefinedInAFunction(BoringModel):
        pass

    trainer = pl.Trainer(max_epochs=1, distributed_backend="ddp_spawn", num_processes=2,
                         logger=False, checkpoint_callback=False, progress_bar_refresh_rate=0,
                         weights_summary=None)
    with pytest.raises(ConfigError, match=r"(?s)ddp_spawn.*pickling failed.*DefinedInAFunction"
                                          r".*top level of an importable file.*'ddp_cpu'"):
        trainer.fit(DefinedInAFunction())
