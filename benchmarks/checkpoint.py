"""Saving and loading a resumable checkpoint of a 100 MB model, against bare torch.

    python benchmarks/checkpoint.py [--repeats 7]

Targets: the trainer's atomic, fsynced checkpoint costs at most 1.2 times a bare
``torch.save(model.state_dict())`` followed by an fsync, for a model of about 100 MB; reading it
back with ``load_checkpoint`` (which checks every record's CRC-32, in a thread beside torch's
read, and the manifest and the whole body against its schema) costs at most 1.5 times a bare
``torch.load(weights_only=True)`` of the same file.
"""

from __future__ import annotations

import argparse
import os
import sys
import tempfile
from typing import Any

import torch
from torch import nn

sys.path.insert(0, os.path.dirname(os.path.dirname(os.path.abspath(__file__))))

from benchmarks.common import interleaved, lean_trainer, median  # noqa: E402
from orchestrator.checkpoint_io import load_checkpoint  # noqa: E402
from orchestrator.module import LightningModule  # noqa: E402


class Big(LightningModule):
    """About 100 MB of float32 weights (5 layers of 2048 x 2560), SGD without state."""

    def __init__(self) -> None:
        super().__init__()
        self.layers = nn.Sequential(*[nn.Linear(2560, 2048) for _ in range(5)])

    def training_step(self, batch: Any, batch_idx: int) -> Any:
        return next(self.parameters()).sum() * 0

    def configure_optimizers(self) -> Any:
        return torch.optim.SGD(self.parameters(), lr=0.0)

    def train_dataloader(self) -> Any:
        return [torch.zeros(1)]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--repeats", type=int, default=7)
    args = parser.parse_args()
    directory = tempfile.mkdtemp(prefix="orchestrator-ckpt-")
    model = Big()
    trainer = lean_trainer(1)
    trainer.fit(model)
    size = sum(p.numel() * p.element_size() for p in model.parameters()) / 2**20

    def bare() -> None:
        path = os.path.join(directory, "bare.pt")
        with open(path, "wb") as handle:
            torch.save(model.state_dict(), handle)
            handle.flush()
            os.fsync(handle.fileno())

    def resumable() -> None:
        trainer.save_checkpoint(os.path.join(directory, "run.ckpt"))

    bare()
    resumable()
    times = interleaved({"bare": bare, "resumable": resumable}, args.repeats)
    ratio = median([r / b for r, b in zip(times["resumable"], times["bare"])])
    print(f"model {size:.0f} MiB: bare torch.save+fsync {median(times['bare']):.3f} s, "
          f"Trainer.save_checkpoint {median(times['resumable']):.3f} s, ratio {ratio:.3f} "
          f"(target <= 1.20, median of {args.repeats})")
    saved = os.path.join(directory, "run.ckpt")
    loads = interleaved({"bare": lambda: torch.load(saved, weights_only=True),
                         "checked": lambda: load_checkpoint(saved)}, args.repeats)
    ratio = median([c / b for c, b in zip(loads["checked"], loads["bare"])])
    print(f"loading it: bare torch.load {median(loads['bare']):.3f} s, load_checkpoint "
          f"{median(loads['checked']):.3f} s, ratio {ratio:.3f} (target <= 1.50)")


if __name__ == "__main__":
    main()
