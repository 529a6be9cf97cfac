"""A training job run in a subprocess by the resume tests: it can save and SIGKILL itself.

    python -m tests.jobs.resume_job ROOT [--kill-at MOMENT] [--resume CKPT] [--workers N]
                                         [--gpus 1 --precision 16]

MOMENT is one of: batch:N (after the N-th training batch of the run, counted from 1),
val_batch:N (inside a validation check, after its N-th batch), val_end:N (right after
ModelCheckpoint saved last.ckpt at the N-th validation end), epoch_end:E (after epoch E's
epoch-end hooks). The job saves ROOT/kill.ckpt (or uses last.ckpt for val_end) and then sends
itself SIGKILL. At the end it writes ROOT/final.pt with weights, optimizer states and the
callbacks' states.
"""

from __future__ import annotations

import argparse
import os
import signal
import time
from argparse import Namespace
from typing import Any

import torch

import orchestrator as pl
from orchestrator.callbacks import Callback, EarlyStopping, ModelCheckpoint
from tests.helpers import TEMPLATE_HPARAMS, TemplateModel


def _die() -> None:
    os.kill(os.getpid(), signal.SIGKILL)


class KillSwitch(Callback):
    """Saves ROOT/kill.ckpt at the chosen moment and SIGKILLs its own process."""

    def __init__(self, root: str, moment: str) -> None:
        self.root = root
        self.kind, _, number = moment.partition(":")
        self.number = int(number)
        self.batches = 0
        self.val_batches = 0

    def _save_and_die(self, trainer: Any) -> None:
        trainer.save_checkpoint(os.path.join(self.root, "kill.ckpt"))
        _die()

    def on_batch_end(self, trainer: Any, pl_module: Any) -> None:
        self.batches += 1
        if self.kind == "batch" and self.batches == self.number:
            self._save_and_die(trainer)

    def on_validation_start(self, trainer: Any, pl_module: Any) -> None:
        self.val_batches = 0

    def on_validation_batch_end(self, trainer: Any, pl_module: Any) -> None:
        self.val_batches += 1
        if self.kind == "val_batch" and self.val_batches == self.number \
                and trainer.lifecycle.state == "val_check":
            self._save_and_die(trainer)

    def on_epoch_end(self, trainer: Any, pl_module: Any) -> None:
        if self.kind == "epoch_end" and trainer.current_epoch == self.number:
            self._save_and_die(trainer)


class Pause(Callback):
    """Sleeps after every batch, so a signal can arrive mid-run."""

    def __init__(self, seconds: float) -> None:
        self.seconds = seconds

    def on_batch_end(self, trainer: Any, pl_module: Any) -> None:
        time.sleep(self.seconds)


class SaveEveryBatch(Callback):
    """Overwrites one checkpoint after every batch."""

    def __init__(self, path: str) -> None:
        self.path = path

    def on_batch_end(self, trainer: Any, pl_module: Any) -> None:
        trainer.save_checkpoint(self.path)


class KillingCheckpoint(ModelCheckpoint):
    """ModelCheckpoint that dies right after its N-th save at a validation end."""

    def __init__(self, kill_after: int | None, **kwargs: Any) -> None:
        super().__init__(**kwargs)
        self.kill_after = kill_after
        self.saves = 0

    def on_validation_end(self, trainer: Any, pl_module: Any) -> None:
        super().on_validation_end(trainer, pl_module)
        self.saves += 1
        if self.kill_after == self.saves:
            _die()


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("root")
    parser.add_argument("--kill-at")
    parser.add_argument("--resume")
    parser.add_argument("--workers", type=int, default=0)
    parser.add_argument("--slow", action="store_true", help="sleep 20 ms per batch")
    parser.add_argument("--save-every-batch", action="store_true",
                        help="write ROOT/every.ckpt after every batch (a bigger model)")
    parser.add_argument("--gpus", type=int)
    parser.add_argument("--precision", default="32", help="32, 16 or bf16")
    args = parser.parse_args()
    if args.gpus:  # bit-for-bit runs on a GPU need cuBLAS's deterministic workspace
        os.environ.setdefault("CUBLAS_WORKSPACE_CONFIG", ":4096:8")
        torch.use_deterministic_algorithms(True)
    pl.seed_everything(0)
    kill_after = int(args.kill_at.split(":")[1]) if args.kill_at and args.kill_at.startswith(
        "val_end") else None
    callbacks: list[Callback] = [KillSwitch(args.root, args.kill_at)] \
        if args.kill_at and kill_after is None else []
    if args.slow:
        callbacks.append(Pause(0.02))
    if args.save_every_batch:
        callbacks.append(SaveEveryBatch(os.path.join(args.root, "every.ckpt")))
    checkpoint = KillingCheckpoint(kill_after, monitor="val_loss", save_top_k=2, save_last=True)
    trainer = pl.Trainer(
        max_epochs=3, accumulate_grad_batches=2, val_check_interval=0.5, row_log_interval=1,
        default_root_dir=args.root, progress_bar_refresh_rate=0, weights_summary=None,
        early_stop_callback=EarlyStopping(monitor="val_loss", patience=10),
        checkpoint_callback=checkpoint, callbacks=callbacks, gpus=args.gpus,
        precision=args.precision if args.precision == "bf16" else int(args.precision),
    )
    model = TemplateModel(Namespace(**{**TEMPLATE_HPARAMS, "workers": args.workers,
                                       "wide": args.save_every_batch}))
    trainer.fit(model, ckpt_path=args.resume)
    if trainer.lifecycle.outcome == "interrupted":
        return
    scaler = trainer.backend.precision.scaler
    torch.save({
        "state_dict": model.state_dict(),
        "scaler": scaler.state_dict() if scaler is not None else None,
        "optimizers": [opt.state_dict() for opt in trainer.optimizers],
        "best_model_score": checkpoint.best_model_score,
        "early_stopping": trainer.early_stop_callback.on_save_checkpoint(trainer, model),
        "global_step": trainer.global_step,
        "history": trainer.lifecycle.history,
        "log_dir": trainer.logger.log_dir,
    }, os.path.join(args.root, "final.pt"))


if __name__ == "__main__":
    main()
