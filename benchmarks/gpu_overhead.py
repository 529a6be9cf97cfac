"""Per-step overhead of Trainer.fit(gpus=1) against a plain PyTorch loop on one CUDA GPU.

    python benchmarks/gpu_overhead.py [--batches 400] [--epochs 2] [--repeats 7]

Two sizes of MLP, batches made in advance on the host and moved to the GPU every step by
both loops (``non_blocking``), as a DataLoader would feed them. Whole runs, interleaved,
each ended by ``torch.cuda.synchronize()``; the median of the per-repetition ratios. The
tiny MLP is bound by kernel launches, where the framework's Python work per step shows
most; the wide one by the GPU's arithmetic. Also says whether the lean fit ends with the
same weights as the plain loop. Needs a CUDA GPU.
"""

from __future__ import annotations

import argparse
import functools
import os
import sys
from typing import Any

import torch
from loguru import logger
from torch import nn
from torch.nn import functional as F
from torch.utils.data import DataLoader

sys.path.insert(0, os.path.dirname(os.path.dirname(os.path.abspath(__file__))))

import orchestrator as pl  # noqa: E402
from benchmarks.common import (  # noqa: E402
    PreBatched,
    interleaved,
    lean_trainer,
    make_net,
    median,
)

SIZES = {"tiny": (32, 32, 64), "wide": (512, 1024, 4096)}  # batch, features, hidden


class Module(pl.LightningModule):
    def __init__(self, data: PreBatched, features: int, hidden: int) -> None:
        super().__init__()
        self.net = make_net(features, hidden)
        self.data = data

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return self.net(x)

    def training_step(self, batch: Any, batch_idx: int) -> Any:
        x, y = batch
        return {"loss": F.mse_loss(self(x), y)}

    def configure_optimizers(self) -> torch.optim.Optimizer:
        return torch.optim.Adam(self.parameters(), lr=1e-3)

    def train_dataloader(self) -> DataLoader:
        return DataLoader(self.data, batch_size=None)


def plain_loop(data: PreBatched, features: int, hidden: int, epochs: int) -> nn.Module:
    device = torch.device("cuda")
    net = make_net(features, hidden).to(device)
    optimizer = torch.optim.Adam(net.parameters(), lr=1e-3)
    loader = DataLoader(data, batch_size=None)
    for _ in range(epochs):
        for x, y in loader:
            x, y = x.to(device, non_blocking=True), y.to(device, non_blocking=True)
            loss = F.mse_loss(net(x), y)
            optimizer.zero_grad()
            loss.backward()
            optimizer.step()
    torch.cuda.synchronize()
    return net


def lean_fit(data: PreBatched, features: int, hidden: int, epochs: int) -> nn.Module:
    model = Module(data, features, hidden)
    lean_trainer(epochs, gpus=1).fit(model)
    torch.cuda.synchronize()
    return model.net


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--batches", type=int, default=400)
    parser.add_argument("--epochs", type=int, default=2)
    parser.add_argument("--repeats", type=int, default=7)
    args = parser.parse_args()
    if not torch.cuda.is_available():
        sys.exit("gpu_overhead.py needs a CUDA GPU (torch.cuda.is_available() is False)")
    logger.remove()
    logger.add(sys.stderr, level="WARNING")
    steps = args.batches * args.epochs
    print(f"{torch.cuda.get_device_name()}, torch {torch.__version__}, {steps} steps per run, "
          f"median of {args.repeats} interleaved repetitions")
    for name, (batch, features, hidden) in SIZES.items():
        data = PreBatched(args.batches, batch=batch, features=features)
        runs = {"plain": plain_loop, "lean": lean_fit}
        nets = {key: run(data, features, hidden, args.epochs) for key, run in runs.items()}
        same = all(torch.equal(a, b) for a, b in zip(nets["plain"].parameters(),
                                                        nets["lean"].parameters()))
        times = interleaved({key: functools.partial(run, data, features, hidden, args.epochs)
                             for key, run in runs.items()}, args.repeats)
        ratio = median([lean / plain for lean, plain in zip(times["lean"], times["plain"])])
        print(f"{name:5s} MLP (batch {batch}, {features} -> {hidden} -> 1): plain "
              f"{median(times['plain']) / steps * 1e6:7.1f} us/step, lean fit "
              f"{median(times['lean']) / steps * 1e6:7.1f} us/step, ratio {ratio:5.3f}, "
              f"same final weights: {same}")


if __name__ == "__main__":
    main()
