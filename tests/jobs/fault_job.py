"""A training job run in a subprocess by the reliability tests: signalled, out of disk, read-only.

    python -m tests.jobs.fault_job ROOT train [--resume CKPT] [--slow-val S] [--slow-batch S]
                                              [--signal-in-save TERM|KILL --seed N]
    python -m tests.jobs.fault_job ROOT disk_full|read_only --ckpt-dir DIR [--hidden H]
                                    [--grow-kb G] [--leave-kb L]

train: two epochs of a tiny model, a validation check every 3 batches, accumulate_grad_batches=3,
ModelCheckpoint(save_top_k=2, save_last=True) into ROOT/ckpts. ROOT/events.txt gets one line per
training batch ("train N", N counted from 1) and per validation batch ("val C B": check C of
this process, batch B), written as the batch ends. --slow-val sleeps in validation_step,
--slow-batch after each training batch, so that a signal sent from outside lands there.
--signal-in-save makes a timer thread send the signal to this process at a seeded random moment
inside a ModelCheckpoint save (ROOT/signal.json records it). A run that ends writes ROOT/final.pt.

disk_full / read_only: ModelCheckpoint(save_top_k=1, monitor='val_loss') into DIR, a tmpfs the
test mounted in a private mount namespace; val_loss improves at every check, so every check
saves, and each checkpoint is G KB bigger than the one before. After the 2nd save (disk_full)
the job fills DIR up to L KB of free space (less than G, so that even deleting the old best
first would not make room); after the 1st (read_only) it remounts DIR read-only. The next save
fails; the job catches the error and writes ROOT/report.json (the error, and every file in DIR:
size, hash, whether it loads), since DIR vanishes with the namespace.
"""

from __future__ import annotations

import argparse
import hashlib
import json
import os
import random
import signal
import subprocess
import sys
import threading
import time
from argparse import Namespace
from pathlib import Path
from typing import Any

import torch

import orchestrator as pl
from orchestrator.callbacks import Callback, ModelCheckpoint
from orchestrator.checkpoint_io import load_checkpoint
from tests.helpers import TEMPLATE_HPARAMS, TemplateModel

QUIET: dict[str, Any] = dict(progress_bar_refresh_rate=0, weights_summary=None, logger=False,
                             num_sanity_val_steps=0)


class JobModel(TemplateModel):
    """TemplateModel that can sleep in validation_step, and report a val_loss that improves at
    every check (so that every check saves a new best) while its checkpoint grows by ``grow``
    bytes a check (a buffer of zeros, as a history kept in the module would)."""

    ballast: torch.Tensor

    def __init__(self, hidden: int, val_sleep: float = 0.0, improving: bool = False,
                 grow: int = 0) -> None:
        super().__init__(Namespace(**{**TEMPLATE_HPARAMS, "hidden_dim": hidden}))
        self.val_sleep = val_sleep
        self.improving = improving
        self.grow = grow
        self.checks = 0
        self.register_buffer("ballast", torch.zeros(0))

    def validation_step(self, batch: Any, batch_idx: int) -> Any:
        time.sleep(self.val_sleep)
        return super().validation_step(batch, batch_idx)

    def validation_epoch_end(self, outputs: list[Any]) -> dict[str, Any]:
        result = super().validation_epoch_end(outputs)
        if self.improving:
            self.checks += 1
            loss = torch.tensor(1.0 / self.checks)
            for section in (result, result["log"], result["progress_bar"]):
                section["val_loss"] = loss
            self.ballast = torch.cat([self.ballast, torch.zeros(self.grow // 4)])
        return result


class Events(Callback):
    """Appends a line to a file as each training and validation batch ends."""

    def __init__(self, path: Path, pause: float) -> None:
        self.path = path
        self.pause = pause
        self.batches = 0
        self.checks = -1
        self.val_batches = 0
        path.write_text("")

    def _write(self, line: str) -> None:
        with open(self.path, "a") as handle:
            handle.write(line + "\n")

    def on_batch_end(self, trainer: Any, pl_module: Any) -> None:
        self.batches += 1
        self._write(f"train {self.batches}")
        time.sleep(self.pause)

    def on_validation_start(self, trainer: Any, pl_module: Any) -> None:
        self.checks += 1
        self.val_batches = 0

    def on_validation_batch_end(self, trainer: Any, pl_module: Any) -> None:
        self._write(f"val {self.checks} {self.val_batches}")
        self.val_batches += 1


class SignalInSave(ModelCheckpoint):
    """ModelCheckpoint whose saves, from the second on, arm a timer that sends ``signum`` to this
    process after a seeded random fraction of the previous save's duration. A timer that has not
    fired when its save ends is disarmed, and the next save tries again."""

    def __init__(self, signum: int | None, seed: int, record: Path, **kwargs: Any) -> None:
        super().__init__(**kwargs)
        self.signum, self.record = signum, record
        self.random = random.Random(seed)
        self.lock = threading.Lock()
        self.saving = self.sent = False
        self.previous: float | None = None
        self.saves = 0

    def on_validation_end(self, trainer: Any, pl_module: Any) -> None:
        with self.lock:
            self.saving = True
        timer = self._arm()
        start = time.monotonic()
        try:
            super().on_validation_end(trainer, pl_module)
        finally:
            with self.lock:
                self.saving = False
            if timer is not None:
                timer.cancel()
        self.previous = time.monotonic() - start
        self.saves += 1

    def _arm(self) -> threading.Timer | None:
        if self.signum is None or self.sent or self.previous is None:
            return None
        delay = self.random.uniform(0.05, 0.9) * self.previous
        timer = threading.Timer(delay, self._send, args=(delay,))
        timer.daemon = True
        timer.start()
        return timer

    def _send(self, delay: float) -> None:
        with self.lock:
            if not self.saving or self.sent or self.signum is None:
                return
            self.sent = True
            temporary = sorted(p.name for p in Path(str(self.dirpath)).glob(".*.tmp"))
            self.record.write_text(json.dumps({
                "save": self.saves + 1, "delay_s": delay, "previous_save_s": self.previous,
                "temporary_files_at_signal": temporary, "signal": signal.Signals(self.signum).name,
            }))
            os.kill(os.getpid(), self.signum)


class BreakFolderAfter(ModelCheckpoint):
    """ModelCheckpoint that, after its N-th save, hashes the files in its folder and then fills
    the folder's disk up to ``leave`` bytes free (``fault='disk_full'``) or remounts it
    read-only."""

    def __init__(self, fault: str, after: int, leave: int, **kwargs: Any) -> None:
        super().__init__(**kwargs)
        self.fault, self.after, self.leave = fault, after, leave
        self.saves = 0
        self.before: dict[str, str] = {}
        self.checkpoint_size = 0

    def on_validation_end(self, trainer: Any, pl_module: Any) -> None:
        super().on_validation_end(trainer, pl_module)
        self.saves += 1
        if self.saves != self.after:
            return
        folder = Path(str(self.dirpath))
        self.before = {p.name: _sha256(p) for p in sorted(folder.iterdir())}
        self.checkpoint_size = max(p.stat().st_size for p in folder.glob("*.ckpt"))
        if self.fault == "disk_full":
            _fill(folder / "filler", self.leave)
        else:
            subprocess.run(["mount", "-o", "remount,ro", str(folder)], check=True)


def _free_bytes(folder: Path) -> int:
    stats = os.statvfs(folder)
    return stats.f_bavail * stats.f_frsize


def _fill(path: Path, leave: int) -> None:
    """Write real bytes (tmpfs keeps no holes) until about ``leave`` bytes stay free."""
    remaining = _free_bytes(path.parent) - leave
    with open(path, "wb") as handle:
        while remaining > 0:
            chunk = min(remaining, 1 << 20)
            handle.write(b"\xa5" * chunk)
            remaining -= chunk


def _sha256(path: Path) -> str:
    return hashlib.sha256(path.read_bytes()).hexdigest()


def _describe_file(path: Path) -> dict[str, Any]:
    entry: dict[str, Any] = {"name": path.name, "size": path.stat().st_size,
                             "sha256": _sha256(path), "load_error": None}
    if path.suffix == ".ckpt":
        try:
            load_checkpoint(path)
        except Exception as exc:  # reported, judged by the test
            entry["load_error"] = f"{type(exc).__name__}: {exc}"
    return entry


def _describe_error(exc: BaseException | None) -> dict[str, Any] | None:
    if exc is None:
        return None
    return {"type": type(exc).__name__, "classes": [c.__name__ for c in type(exc).__mro__],
            "message": str(exc)}


def run_fault(args: argparse.Namespace) -> None:
    """Train until a save fails on the broken folder, then write ROOT/report.json."""
    pl.seed_everything(0)
    folder = Path(args.ckpt_dir)
    checkpoint = BreakFolderAfter(args.scenario, 2 if args.scenario == "disk_full" else 1,
                                  args.leave_kb * 1024, dirpath=str(folder), monitor="val_loss",
                                  save_top_k=1)
    trainer = pl.Trainer(default_root_dir=args.root, checkpoint_callback=checkpoint,
                         max_epochs=6, limit_train_batches=2, limit_val_batches=1, **QUIET)
    error: BaseException | None = None
    try:
        trainer.fit(JobModel(args.hidden, improving=True, grow=args.grow_kb * 1024))
    except Exception as exc:  # the failure under test: reported, judged by the test
        error = exc
    report = {
        "error": _describe_error(error), "folder": str(folder), "saves": checkpoint.saves,
        "before": checkpoint.before, "checkpoint_size": checkpoint.checkpoint_size,
        "free_bytes": _free_bytes(folder),
        "files": [_describe_file(p) for p in sorted(folder.iterdir())],
    }
    Path(args.root, "report.json").write_text(json.dumps(report, indent=1))


def run_train(args: argparse.Namespace) -> None:
    """Train (or resume) the tiny model; write ROOT/final.pt if the run ends."""
    sys.setswitchinterval(1e-4)  # the timer thread of --signal-in-save fires on time
    pl.seed_everything(0)
    root = Path(args.root)
    signum = getattr(signal, f"SIG{args.signal_in_save}") if args.signal_in_save else None
    checkpoint = SignalInSave(signum, args.seed, root / "signal.json", dirpath=str(root / "ckpts"),
                              monitor="val_loss", save_top_k=2, save_last=True)
    trainer = pl.Trainer(default_root_dir=str(root), checkpoint_callback=checkpoint,
                         callbacks=[Events(root / "events.txt", args.slow_batch)], max_epochs=2,
                         accumulate_grad_batches=3, val_check_interval=0.25, **QUIET)
    model = JobModel(16, val_sleep=args.slow_val)
    trainer.fit(model, ckpt_path=args.resume)
    if trainer.lifecycle.outcome == "interrupted":
        return
    torch.save({"state_dict": model.state_dict(), "global_step": trainer.global_step,
                "optimizers": [opt.state_dict() for opt in trainer.optimizers]},
               root / "final.pt")


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("root")
    parser.add_argument("scenario", choices=["train", "disk_full", "read_only"])
    parser.add_argument("--resume")
    parser.add_argument("--slow-val", type=float, default=0.0)
    parser.add_argument("--slow-batch", type=float, default=0.0)
    parser.add_argument("--signal-in-save", choices=["TERM", "KILL"])
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--ckpt-dir")
    parser.add_argument("--hidden", type=int, default=16)
    parser.add_argument("--grow-kb", type=int, default=0, help="checkpoint growth per check")
    parser.add_argument("--leave-kb", type=int, default=64, help="free space left by disk_full")
    args = parser.parse_args()
    if args.scenario == "train":
        run_train(args)
    else:
        run_fault(args)


if __name__ == "__main__":
    main()
