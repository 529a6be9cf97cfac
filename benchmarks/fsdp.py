"""What one rank holds under FSDP against DDP: the same module, 2 CPU processes, gloo, Adam.

    python benchmarks/fsdp.py [--size 50] [--steps 6]

Each rank reports, once training ends, the bytes of the parameters and Adam state
it holds (the local shards under FSDP) and its resident memory then (``/proc/self/statm``).
Target (issue 16): FSDP holds about half of DDP's parameter and optimizer memory per rank.
"""

from __future__ import annotations

import argparse
import json
import os
import sys
import tempfile
from pathlib import Path
from typing import Any

import torch
from torch import nn

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

import orchestrator as pl  # noqa: E402
from benchmarks.ddp import _Module  # noqa: E402


class _AdamModule(_Module):
    def configure_optimizers(self) -> Any:
        return torch.optim.Adam(self.parameters(), lr=1e-4)


def _bytes(tensors: Any) -> int:
    return sum((t.to_local() if hasattr(t, "to_local") else t).nbytes for t in tensors)


class _Held(pl.Callback):
    """Each rank writes what it holds once training ends."""

    def __init__(self, folder: str) -> None:
        self.folder = folder

    def on_train_end(self, trainer: Any, pl_module: Any) -> None:
        params = list(pl_module.parameters())
        state = [t for s in trainer.optimizers[0].state.values() for t in s.values()
                 if t.dim() > 0]
        with open("/proc/self/statm") as handle:
            resident = int(handle.read().split()[1]) * os.sysconf("SC_PAGE_SIZE")
        held = {"params": _bytes(params), "optimizer": _bytes(state), "rss": resident}
        with open(os.path.join(self.folder, f"rank{trainer.global_rank}.json"), "w") as out:
            json.dump(held, out)


def held(strategy: str, millions: float, steps: int) -> list[dict[str, int]]:
    with tempfile.TemporaryDirectory() as folder:
        options: dict[str, Any] = {"fsdp_auto_wrap_policy": {nn.Linear}} \
            if strategy == "fsdp" else {}
        trainer = pl.Trainer(max_epochs=1, distributed_backend=strategy, num_processes=2,
                             logger=False, checkpoint_callback=False,
                             progress_bar_refresh_rate=0, weights_summary=None,
                             num_sanity_val_steps=0, callbacks=[_Held(folder)], **options)
        trainer.fit(_AdamModule(millions, steps))
        return [json.loads(Path(folder, f"rank{r}.json").read_text()) for r in (0, 1)]


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--size", type=float, default=50)
    parser.add_argument("--steps", type=int, default=6)
    args = parser.parse_args()
    torch.set_num_threads(1)
    ddp, fsdp = held("ddp_cpu", args.size, args.steps), held("fsdp", args.size, args.steps)
    mb = 2 ** 20
    for rank in (0, 1):
        theirs, ours = ddp[rank], fsdp[rank]
        kept = ours["params"] + ours["optimizer"]
        full = theirs["params"] + theirs["optimizer"]
        print(f"{args.size:g} M parameters, rank {rank}: parameters + Adam state "
              f"{kept / mb:.0f} MB under FSDP, {full / mb:.0f} MB under DDP "
              f"(ratio {kept / full:.3f}; target about 0.5); resident "
              f"{ours['rss'] / mb:.0f} / {theirs['rss'] / mb:.0f} MB", flush=True)


if __name__ == "__main__":
    main()
