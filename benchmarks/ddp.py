"""ddp_cpu against a plain torch loop under DistributedDataParallel, same processes and data.

    python benchmarks/ddp.py [--sizes 5 21 50] [--steps 12] [--repeats 3]

2 processes x 1 thread, gloo, SGD, an MLP of about N million parameters. Each repetition runs
the plain loop, then a ``Trainer(distributed_backend='ddp_cpu', num_processes=2)`` fit of the
same module on the same batches; each reports rank zero's median step time (the first steps
left out as warm-up) and its peak RSS. Targets (issue 16): step time ratio <= 1.05 at every
size, peak RSS ratio <= 1.05.
"""

from __future__ import annotations

import argparse
import os
import resource
import statistics
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

import torch
import torch.distributed as dist
import torch.multiprocessing as mp
from torch import nn
from torch.utils.data import DataLoader, TensorDataset

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

import orchestrator as pl  # noqa: E402

BATCH, WARMUP = 8, 3


def _net(millions: float) -> nn.Module:
    width = int((millions * 1e6 / 4) ** 0.5)  # four square layers
    torch.manual_seed(0)
    layers: list[nn.Module] = []
    for _ in range(4):
        layers += [nn.Linear(width, width), nn.ReLU()]
    return nn.Sequential(*layers[:-1])


def _data(width: int, steps: int) -> TensorDataset:
    generator = torch.Generator().manual_seed(1)
    count = 2 * BATCH * steps  # each of the 2 ranks takes `steps` batches
    return TensorDataset(torch.randn(count, width, generator=generator),
                         torch.randn(count, width, generator=generator))


def _peak_rss_mb() -> float:
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


def _plain(rank: int, millions: float, steps: int, port: int, out: str) -> None:
    torch.set_num_threads(1)
    dist.init_process_group("gloo", init_method=f"tcp://127.0.0.1:{port}", rank=rank,
                            world_size=2)
    net = _net(millions)
    model = nn.parallel.DistributedDataParallel(net)
    optimizer = torch.optim.SGD(model.parameters(), lr=1e-3)
    data = _data(net[0].in_features, steps)
    sampler = torch.utils.data.distributed.DistributedSampler(data, shuffle=False)
    times = []
    for x, y in DataLoader(data, batch_size=BATCH, sampler=sampler):
        start = time.perf_counter()
        loss = nn.functional.mse_loss(model(x), y)
        loss.backward()
        optimizer.step()
        optimizer.zero_grad()
        times.append(time.perf_counter() - start)
    if rank == 0:
        torch.save({"step": statistics.median(times[WARMUP:]), "rss": _peak_rss_mb()}, out)
    dist.destroy_process_group()


class _Module(pl.LightningModule):
    def __init__(self, millions: float, steps: int) -> None:
        super().__init__()
        self.net, self.steps = _net(millions), steps

    def training_step(self, batch: Any, batch_idx: int) -> Any:
        x, y = batch
        return nn.functional.mse_loss(self.net(x), y)

    def configure_optimizers(self) -> Any:
        return torch.optim.SGD(self.parameters(), lr=1e-3)

    def train_dataloader(self) -> DataLoader:
        return DataLoader(_data(self.net[0].in_features, self.steps), batch_size=BATCH)


class _StepTimes(pl.Callback):
    def __init__(self, out: str) -> None:
        self.out, self.times, self.start = out, [], 0.0

    def on_batch_start(self, trainer: Any, pl_module: Any) -> None:
        self.start = time.perf_counter()

    def on_batch_end(self, trainer: Any, pl_module: Any) -> None:
        self.times.append(time.perf_counter() - self.start)

    def on_train_end(self, trainer: Any, pl_module: Any) -> None:
        if trainer.global_rank == 0:
            torch.save({"step": statistics.median(self.times[WARMUP:]), "rss": _peak_rss_mb()},
                       self.out)


def _ours(millions: float, steps: int, out: str) -> None:
    trainer = pl.Trainer(max_epochs=1, distributed_backend="ddp_cpu", num_processes=2,
                         logger=False, checkpoint_callback=False, progress_bar_refresh_rate=0,
                         weights_summary=None, num_sanity_val_steps=0,
                         callbacks=[_StepTimes(out)])
    trainer.fit(_Module(millions, steps))


def _free_port() -> int:
    import socket

    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


def measure(millions: float, steps: int, repeats: int) -> dict[str, float]:
    plain, ours = [], []
    with tempfile.TemporaryDirectory() as folder:
        for _ in range(repeats):
            out = os.path.join(folder, "plain.pt")
            mp.start_processes(_plain, args=(millions, steps, _free_port(), out), nprocs=2,
                               start_method="fork")
            plain.append(torch.load(out))
            out = os.path.join(folder, "ours.pt")
            _ours(millions, steps, out)
            ours.append(torch.load(out))
    step = statistics.median(o["step"] for o in ours) / statistics.median(
        p["step"] for p in plain)
    rss = statistics.median(o["rss"] for o in ours) / statistics.median(p["rss"] for p in plain)
    return {"step_ratio": step, "rss_ratio": rss,
            "plain_step_s": statistics.median(p["step"] for p in plain)}


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--sizes", type=float, nargs="+", default=[5, 21, 50])
    parser.add_argument("--steps", type=int, default=12)
    parser.add_argument("--repeats", type=int, default=3)
    args = parser.parse_args()
    torch.set_num_threads(1)
    for millions in args.sizes:
        result = measure(millions, args.steps, args.repeats)
        print(f"{millions:g} M parameters: ddp_cpu step / plain DDP step "
              f"{result['step_ratio']:.3f} (plain {result['plain_step_s'] * 1000:.1f} ms), "
              f"peak RSS ratio {result['rss_ratio']:.3f} (targets <= 1.05, median of "
              f"{args.repeats})", flush=True)


if __name__ == "__main__":
    main()
