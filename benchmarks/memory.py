"""Peak memory stays flat over a long run whose epoch-end hooks receive every output.

    python benchmarks/memory.py [--epochs 20] [--batches 200]

Records the peak resident set size (``resource.getrusage``) at the end of every epoch; the
target is that the peak after epoch 20 is within 5% of the peak after epoch 2. It also checks
that the outputs handed to ``training_epoch_end`` hold no autograd graph.
"""

from __future__ import annotations

import argparse
import os
import resource
import sys
from typing import Any

import torch

sys.path.insert(0, os.path.dirname(os.path.dirname(os.path.abspath(__file__))))

from benchmarks.common import TinyModule, lean_trainer  # noqa: E402
from orchestrator.callbacks import Callback  # noqa: E402


class AllOutputs(TinyModule):
    """Uses every step output at the epoch's end, and validates every epoch."""

    graphs_seen = 0

    def training_step(self, batch: Any, batch_idx: int) -> Any:
        out = super().training_step(batch, batch_idx)
        return {**out, "log": {"train_loss": out["loss"]}, "pred": self(batch[0])}

    def training_epoch_end(self, outputs: list[Any]) -> Any:
        AllOutputs.graphs_seen += sum(o["loss"].grad_fn is not None
                                      or o["pred"].grad_fn is not None for o in outputs)
        return {"log": {"epoch_loss": torch.stack([o["loss"] for o in outputs]).mean()}}

    def validation_step(self, batch: Any, batch_idx: int) -> Any:
        x, y = batch
        return {"val_loss": torch.nn.functional.mse_loss(self(x), y)}

    def validation_epoch_end(self, outputs: list[Any]) -> Any:
        return {"val_loss": torch.stack([o["val_loss"] for o in outputs]).mean()}

    def val_dataloader(self) -> Any:
        return self.train_dataloader()


class PeakRSS(Callback):
    """Peak RSS in MiB after each epoch."""

    def __init__(self) -> None:
        self.peaks: list[float] = []

    def on_epoch_end(self, trainer: Any, pl_module: Any) -> None:
        self.peaks.append(resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--epochs", type=int, default=20)
    parser.add_argument("--batches", type=int, default=200)
    args = parser.parse_args()
    peak = PeakRSS()
    trainer = lean_trainer(args.epochs, callbacks=[peak], row_log_interval=10)
    trainer.fit(AllOutputs(args.batches))
    growth = peak.peaks[-1] / peak.peaks[1] - 1
    print(f"peak RSS after epoch 2: {peak.peaks[1]:.1f} MiB; after epoch {args.epochs}: "
          f"{peak.peaks[-1]:.1f} MiB; growth {growth * 100:+.2f}% (target within 5%)")
    print(f"outputs with an autograd graph given to training_epoch_end: {AllOutputs.graphs_seen}")


if __name__ == "__main__":
    main()
