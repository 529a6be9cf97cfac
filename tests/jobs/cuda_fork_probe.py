"""Whether a forked process can use CUDA, before and after the parent initialized it.

    python -m tests.jobs.cuda_fork_probe

Prints one JSON object: what ``cuda_driver_initialized`` said at each point, and whether a
child forked there could run a CUDA kernel. Run by the GPU tests in a fresh process.
"""

from __future__ import annotations

import json
import os

import torch

from backends.gpu import cuda_driver_initialized


def _fork_uses_cuda() -> bool:
    pid = os.fork()
    if pid == 0:  # the child: exit 0 only if a kernel runs and its result comes back
        try:
            ok = torch.ones(4, device="cuda").sum().item() == 4.0
        except BaseException:
            ok = False
        os._exit(0 if ok else 1)
    _, status = os.waitpid(pid, 0)
    return os.waitstatus_to_exitcode(status) == 0


def main() -> None:
    report: dict[str, bool | int] = {"at_start": cuda_driver_initialized()}
    report["device_count"] = torch.cuda.device_count()
    report["after_device_count"] = cuda_driver_initialized()
    report["fork_after_device_count"] = _fork_uses_cuda()
    report["is_available"] = torch.cuda.is_available()
    report["after_is_available"] = cuda_driver_initialized()
    report["fork_after_is_available"] = _fork_uses_cuda()
    print(json.dumps(report))


if __name__ == "__main__":
    main()
