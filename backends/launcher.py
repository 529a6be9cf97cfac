"""Starting a run's processes: forked or spawned by the Trainer, or found started by a
launcher (torchrun, a scheduler); each runs the fit and reports how it ended."""

from __future__ import annotations

import os
import pickle
import socket
import tempfile
import traceback
from collections.abc import Callable
from typing import Any, Protocol

import torch
import torch.distributed as dist
import torch.multiprocessing as mp

import backends.gpu as gpu
from backends.accelerator import Accelerator
from schemas.errors import ConfigError, WorkerFailedError


class DDPBackend(Protocol):
    """What starting processes asks of a backend (``backends.ddp.DDPBackend``)."""

    accelerator: Accelerator
    start_method: str  # 'fork' or 'spawn'
    processes_here: int
    failed: bool

    def request(self) -> str: ...

    def init_group(self, rank: int | None = None) -> None: ...

    def teardown(self) -> None: ...

__all__ = ["autograd_threads_started", "launched_externally", "start_processes"]


def launched_externally() -> bool:
    """Whether a launcher (torchrun, a scheduler) started this process as one of a group."""
    return all(name in os.environ for name in ("RANK", "WORLD_SIZE", "MASTER_ADDR",
                                               "MASTER_PORT"))


def start_processes(backend: DDPBackend, fn: Callable[..., Any], args: tuple[Any, ...]) -> Any:
    """Start the backend's ``processes_here`` processes (forked, or spawned) running
    ``fn(*args)``; rank zero's result.

    The result (plain data: tensors, numbers, strings, lists, dicts) comes back through
    a file. If any process fails, the others are stopped within seconds and the first
    error is raised here with its traceback.
    """
    if backend.start_method == "fork":
        if backend.accelerator.device_type == "cuda":
            _refuse_fork_after_cuda_init(backend.request(), backend.processes_here)
        _refuse_fork_after_autograd_threads(backend.request(), backend.processes_here)
    os.environ.setdefault("MASTER_ADDR", "127.0.0.1")
    os.environ["MASTER_PORT"] = str(_free_port())
    work = (backend, fn, args) if backend.start_method == "fork" else _packed(backend, fn, args)
    with tempfile.TemporaryDirectory(prefix="orchestrator-ddp-") as folder:
        result_path = os.path.join(folder, "result.pt")
        context = mp.start_processes(_run_rank, args=(work, folder),
                                     nprocs=backend.processes_here, join=False,
                                     start_method=backend.start_method)
        try:
            while not context.join(grace_period=5):
                pass
        except (mp.ProcessRaisedException, mp.ProcessExitedException) as exc:
            raise WorkerFailedError(_root_cause(folder) or str(exc)) from None
        if not os.path.exists(result_path):
            return None
        return torch.load(result_path, weights_only=True)


def _packed(backend: DDPBackend, fn: Callable[..., Any], args: tuple[Any, ...]) -> bytes:
    """The work of a spawned process as plain pickle bytes: each process unpickles its own
    copy of the module (torch's process pickler would put its tensors in shared memory,
    and every rank would then step the same weights)."""
    try:
        return pickle.dumps((backend, fn, args))
    except Exception as exc:
        raise ConfigError(
            "Trainer(distributed_backend='ddp_spawn') starts fresh interpreters and pickles "
            f"the Trainer and the module to them, and pickling failed: {exc}. Define the "
            "module (and its callbacks) at the top level of an importable file, or use "
            "distributed_backend='ddp_cpu', which forks") from None


def _run_rank(rank: int, work: tuple[DDPBackend, Callable[..., Any], tuple[Any, ...]] | bytes,
              folder: str) -> None:
    backend, fn, args = pickle.loads(work) if isinstance(work, bytes) else work
    # A forked process inherits the parent's OpenMP pool state but not its threads: its first
    # parallel op (a matmul) would wait for them forever. One intra-op thread, as torch's
    # DataLoader workers and torchrun's processes run with.
    torch.set_num_threads(1)
    backend.init_group(rank)
    try:
        result = fn(*args)
        if rank == 0 and result is not None:
            torch.save(result, os.path.join(folder, "result.pt"))
    except BaseException as exc:
        backend.failed = True
        # a peer's failure shows up here as a broken collective: mark it as a consequence
        text = str(exc)
        # (a timed-out collective too: a peer did not join it, and that peer's error, if it
        # raised one, says why)
        consequence = isinstance(exc, dist.DistBackendError) or "by peer" in text \
            or "remote worker" in text or "Timed out" in text
        name = f"{'consequence' if consequence else 'error'}-{rank}.txt"
        with open(os.path.join(folder, name), "w") as handle:
            handle.write(f"rank {rank} failed:\n{traceback.format_exc()}")
        raise  # no farewell barrier (failed): the peers may be stuck in another collective
    backend.teardown()


def _refuse_fork_after_cuda_init(request: str, processes: int) -> None:
    """Stop before forking GPU workers that could not use CUDA, naming the ways out."""
    if gpu.cuda_driver_initialized():
        raise ConfigError(
            f"Trainer({request}) forks one process per GPU, "
            "and CUDA is already initialized in this process (by a CUDA tensor, "
            "torch.cuda.is_available(), or auto_select_gpus=True before fit): forked "
            "processes cannot use CUDA then. Start the run with a launcher instead "
            f"(torchrun --nproc_per_node={processes} your_script.py), or touch no GPU before "
            "fit (torch.cuda.device_count() counts GPUs without initializing CUDA)"
        )


def autograd_threads_started() -> bool:
    """Whether autograd has started its device threads in this process (named
    ``pt_autograd_<device>``): the first backward pass does, when a GPU is visible."""
    try:
        tasks = os.listdir("/proc/self/task")
    except OSError:  # not Linux: nothing to read
        return False
    for task in tasks:
        try:
            with open(f"/proc/self/task/{task}/comm") as handle:
                if handle.read().startswith("pt_autograd_"):
                    return True
        except OSError:  # the thread ended meanwhile
            continue
    return False


def _refuse_fork_after_autograd_threads(request: str, processes: int) -> None:
    """Stop before forking workers whose backward pass PyTorch would refuse."""
    if autograd_threads_started():
        raise ConfigError(
            f"Trainer({request}) forks its worker processes, and this process has already "
            "run a backward pass with a GPU visible, which started autograd's device threads: "
            "a process forked after that cannot run backward (PyTorch's autograd-and-fork "
            "limit). Run the DDP fit in a fresh process, before any other training, start it "
            f"with a launcher (torchrun --nproc_per_node={processes} your_script.py), or hide "
            "the GPUs from a CPU run (CUDA_VISIBLE_DEVICES= python your_script.py)"
        )


def _root_cause(folder: str) -> str | None:
    """The traceback of the rank whose own error ended the run (not a broken collective)."""
    for prefix in ("error-", "consequence-"):
        found = sorted(f for f in os.listdir(folder) if f.startswith(prefix))
        if found:
            with open(os.path.join(folder, found[0])) as handle:
                return handle.read()
    return None


def _free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])
