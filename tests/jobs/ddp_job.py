"""A DDP training job for the backend tests: run under torchrun, or spawned by the Trainer.

    python -m torch.distributed.run --nproc_per_node 2 -m tests.jobs.ddp_job ROOT [options]
    python -m tests.jobs.ddp_job ROOT --spawn [options]
    python -m tests.jobs.ddp_job ROOT --gpus 1 [options]   (distributed_backend='ddp')
    torchrun --nnodes 2 --node_rank I ... -m tests.jobs.ddp_job ROOT_I --num-nodes 2 [options]

Each process writes ROOT/rank<R>.json (its epoch, step and metrics); the process that called
fit writes ROOT/final.pt with the weights. At exit, after the backend has left the process
group, each process writes ROOT/threads<R>.json: the names of its native threads then.
"""

from __future__ import annotations

import argparse
import atexit
import json
import os
from typing import Any

import torch

import orchestrator as pl
from tests.helpers import BoringModel


class DDPModel(BoringModel):
    """BoringModel with rank-aware failure and early-stopping scenarios."""

    def __init__(self, batch_size: int, fail_rank: int | None, split_score: bool,
                 prepare_log: str | None = None) -> None:
        super().__init__(batch_size=batch_size, n=64)
        self.fail_rank = fail_rank
        self.split_score = split_score
        self.prepare_log = prepare_log

    def prepare_data(self) -> None:
        if self.prepare_log:  # one line per call: which node and rank called it
            trainer = self.trainer
            with open(self.prepare_log, "a") as handle:
                handle.write(f"{trainer.node_rank} {trainer.global_rank}\n")

    def training_step(self, batch: Any, batch_idx: int) -> dict[str, Any]:
        if self.fail_rank == self.trainer.global_rank and batch_idx == 2:
            raise RuntimeError(f"deliberate failure on rank {self.fail_rank}")
        self.seen = {"group": torch.distributed.get_backend(), "batch": batch[0].device.type}
        return super().training_step(batch, batch_idx)

    def validation_epoch_end(self, outputs: list[Any]) -> dict[str, Any]:
        result = super().validation_epoch_end(outputs)
        if self.split_score:
            epoch = float(self.current_epoch)
            # rank 0 alone improves every epoch; rank 1 gets worse faster: the mean gets worse
            local = -epoch if self.trainer.global_rank == 0 else 3 * epoch
            result["score"] = torch.tensor(local)
        return result


def _report_threads_at_exit(root: str) -> None:
    """Register (before fit, so it runs after the backend's own exit handler, atexit being
    last-in first-out) a report of the process's native threads."""
    def report() -> None:
        tasks = "/proc/self/task"
        names = []
        for task in os.listdir(tasks):
            try:
                with open(os.path.join(tasks, task, "comm")) as handle:
                    names.append(handle.read().strip())
            except OSError:  # the thread ended meanwhile
                pass
        rank = os.environ.get("RANK", "0")
        with open(os.path.join(root, f"threads{rank}.json"), "w") as handle:
            json.dump(sorted(names), handle)

    atexit.register(report)


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("root")
    parser.add_argument("--spawn", action="store_true", help="let the Trainer start 2 processes")
    parser.add_argument("--fail-rank", type=int)
    parser.add_argument("--split-score", action="store_true")
    parser.add_argument("--epochs", type=int, default=2)
    parser.add_argument("--gpus", type=int, help="distributed_backend='ddp' on this many GPUs")
    parser.add_argument("--num-nodes", type=int, default=1)
    parser.add_argument("--fsdp", action="store_true", help="distributed_backend='fsdp'")
    parser.add_argument("--prepare-log", help="append 'NODE RANK' here at each prepare_data")
    parser.add_argument("--prepare-once", action="store_true",
                        help="prepare_data_per_node=False")
    args = parser.parse_args()
    _report_threads_at_exit(args.root)
    pl.seed_everything(0)
    model = DDPModel(8, args.fail_rank, args.split_score, args.prepare_log)
    early = pl.callbacks.EarlyStopping(monitor="score", patience=1, mode="min") \
        if args.split_score else False
    where: dict[str, Any] = dict(distributed_backend="ddp", gpus=args.gpus) if args.gpus \
        else dict(distributed_backend="fsdp" if args.fsdp else "ddp_cpu",
                  num_processes=2 if args.spawn else 1)
    trainer = pl.Trainer(max_epochs=args.epochs, **where, default_root_dir=args.root,
                         progress_bar_refresh_rate=0, weights_summary=None,
                         early_stop_callback=early, num_sanity_val_steps=0,
                         num_nodes=args.num_nodes,
                         prepare_data_per_node=not args.prepare_once)
    trainer.fit(model)
    report = {"epoch": trainer.current_epoch, "step": trainer.global_step,
              "val_loss": float(trainer.callback_metrics["val_loss"]),
              "world_size": trainer.world_size, "outcome": trainer.lifecycle.outcome,
              "seen": getattr(model, "seen", None), "node_rank": trainer.node_rank}
    if not args.split_score:
        report["test"] = trainer.test()  # every rank tests its shard; the results are agreed
    with open(os.path.join(args.root, f"rank{trainer.global_rank}.json"), "w") as handle:
        json.dump(report, handle)
    checkpoint = os.path.join(args.root, "final.ckpt")
    trainer.save_checkpoint(checkpoint)  # on every rank: FSDP's shards are gathered for it
    if trainer.is_global_zero:
        torch.save(torch.load(checkpoint, weights_only=True)["state_dict"],
                   os.path.join(args.root, "final.pt"))


if __name__ == "__main__":
    main()
