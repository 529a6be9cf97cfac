"""Per-step overhead of Trainer.fit against a plain PyTorch loop, in the same process.

    python benchmarks/overhead.py [--batches 400] [--epochs 2] [--repeats 7] [--block 50]
                                  [--cpu-time] [--whole-runs-only]

Prints, for each variant, its ratio to the plain loop three ways: whole runs interleaved
(median seconds and ratios), lockstep with one plain step after every fit step, and lockstep
in blocks of ``--block`` steps (see ``ShadowPlainLoop``). Targets: lean
(no logger, no checkpoints, no progress bar; output validation on) <= 1.03; logged (lean, with
``training_step`` returning ``{'loss': loss, 'log': {'train_loss': loss}}``) <= 1.03; default
features (TensorBoard every row_log_interval, epoch checkpoints, progress bar to a
non-terminal stream, log/progress_bar dicts every step) <= 1.10; the same with
strict_outputs=True <= 1.10.
Where Lightning is installed, it is measured the same way.
"""

from __future__ import annotations

import argparse
import os
import sys
import tempfile
import time
from collections.abc import Callable
from typing import Any

import torch
from loguru import logger

sys.path.insert(0, os.path.dirname(os.path.dirname(os.path.abspath(__file__))))

from benchmarks.common import (  # noqa: E402
    TinyModule,
    features_trainer,
    interleaved,
    lean_trainer,
    lockstep_ratio,
    loop_lockstep_ratio,
    median,
    parity_loop,
    plain_lockstep_ratio,
    plain_loop,
)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--batches", type=int, default=400)
    parser.add_argument("--epochs", type=int, default=2)
    parser.add_argument("--repeats", type=int, default=7)
    parser.add_argument("--block", type=int, default=50,
                        help="steps per block in the block lockstep (part 3)")
    parser.add_argument("--cpu-time", action="store_true",
                        help="time whole runs with time.process_time instead of wall time")
    parser.add_argument("--whole-runs-only", action="store_true",
                        help="print part 1 only (for many --repeats: whole runs need them)")
    args = parser.parse_args()
    torch.set_num_threads(1)
    logger.remove()
    logger.add(sys.stderr, level="WARNING")
    root = tempfile.mkdtemp(prefix="orchestrator-bench-")

    def lean(*extra: Any) -> Any:
        model = TinyModule(args.batches)
        lean_trainer(args.epochs, callbacks=list(extra)).fit(model)
        return model

    def logged(*extra: Any) -> Any:
        model = TinyModule(args.batches, log_only=True)
        lean_trainer(args.epochs, callbacks=list(extra)).fit(model)
        return model

    def default_features(*extra: Any, strict: bool = False) -> Any:
        model = TinyModule(args.batches, with_logs=True)
        features_trainer(args.epochs, root, strict, extra).fit(model)
        return model

    def strict(*extra: Any) -> Any:
        return default_features(*extra, strict=True)

    fits: dict[str, Callable[..., Any]] = {"lean": lean, "logged": logged,
                                           "default": default_features, "strict": strict}
    lightning = _lightning_fit(args)
    if lightning is not None:
        fits["lightning"] = lightning
    runs: dict[str, Callable[[], Any]] = {"plain": lambda: plain_loop(args.batches, args.epochs)}
    runs.update({name: fit for name, fit in fits.items()})
    for run in runs.values():  # warm up imports and allocators
        run()
    clock = time.process_time if args.cpu_time else time.perf_counter
    times = interleaved(runs, args.repeats, clock)
    steps = args.batches * args.epochs
    targets = {"lean": 1.03, "logged": 1.03, "default": 1.10, "strict": 1.10}
    print(f"tiny MLP, batch 32, Adam, {steps} steps per run, torch {torch.__version__}, 1 thread")
    print(f"\n1. whole runs: median of {args.repeats} interleaved repetitions, "
          f"{'CPU' if args.cpu_time else 'wall'} time")
    for name, values in times.items():
        # the ratio of each repetition to the plain loop run in the same repetition, then the
        # median (interleaved rotates the order, so each run follows each other run)
        ratio = median([v / p for v, p in zip(values, times["plain"])])
        of_medians = median(values) / median(times["plain"])
        target = f"  (target <= {targets[name]:.2f})" if name in targets else ""
        print(f"{name:10s} {median(values):8.4f} s  {median(values) / steps * 1e6:7.1f} us/step"
              f"  ratio {ratio:5.3f} (of medians {of_medians:5.3f}){target}")

    parts = [] if args.whole_runs_only else [
        (2, 1, "one plain-loop step after every fit step"),
        (3, args.block, f"{args.block} plain-loop steps after every {args.block} fit steps")]
    for number, block, how in parts:
        print(f"\n{number}. lockstep, block {block}: {how}, each loop timed alone; "
              f"median of {args.repeats}")
        lockstep: dict[str, list[float]] = {"plain": [], "parity": []}
        lockstep.update({name: [] for name in fits})
        for _ in range(args.repeats):
            lockstep["plain"].append(plain_lockstep_ratio(args.batches, args.epochs, block))
            lockstep["parity"].append(
                loop_lockstep_ratio(parity_loop, args.batches, args.epochs, block))
            for name, fit in fits.items():
                lockstep[name].append(lockstep_ratio(fit, args.batches, block))
        notes = {"plain": "the method's floor: plain loop against itself",
                 "parity": "hand loop calling TinyModule.training_step, as Lightning's parity "
                           "benchmark does",
                 "lightning": "Lightning's lean fit, same task"}
        for name, ratios in lockstep.items():
            note = f"target <= {targets[name]:.2f}" if name in targets else notes[name]
            print(f"{name:10s} ratio {median(ratios):5.3f}  range {min(ratios):5.3f} - "
                  f"{max(ratios):5.3f}  ({note})")
        # the same repetitions paired: the fit against the parity loop leaves out the cost of
        # the user's module code (training_step, the extra module call) and keeps the framework's
        framework = [fit / parity for fit, parity in zip(lockstep["lean"], lockstep["parity"])]
        print(f"lean / parity: {median(framework):5.3f}  (the framework alone, no target)")

    same = all(torch.equal(a, b) for a, b in zip(plain_loop(args.batches, args.epochs).parameters(),
                                                 lean().parameters()))
    print(f"\nlean fit and plain loop end with bitwise identical weights: {same}")


def _lightning_fit(args: argparse.Namespace) -> Any:
    """Lightning's lean fit of the same task, where Lightning is installed (else None)."""
    try:
        import lightning.pytorch as lightning  # type: ignore[import-not-found]
    except ImportError:
        return None
    from benchmarks.common import PreBatched, ShadowPlainLoop, make_net

    class LitTiny(lightning.LightningModule):
        def __init__(self) -> None:
            super().__init__()
            self.net = make_net()

        def forward(self, x: torch.Tensor) -> torch.Tensor:
            return self.net(x)

        def training_step(self, batch: Any, batch_idx: int) -> Any:
            x, y = batch
            return torch.nn.functional.mse_loss(self(x), y)

        def configure_optimizers(self) -> Any:
            return torch.optim.Adam(self.parameters(), lr=1e-3)

        def train_dataloader(self) -> Any:
            return torch.utils.data.DataLoader(PreBatched(args.batches), batch_size=None)

    class Shadow(lightning.Callback):
        def __init__(self, shadow: ShadowPlainLoop) -> None:
            self.shadow = shadow

        def on_train_batch_end(self, *unused: Any) -> None:
            self.shadow.after_fit_step()

        def on_train_end(self, *unused: Any) -> None:
            self.shadow.catch_up()

    def fit(*shadows: ShadowPlainLoop) -> Any:
        model = LitTiny()
        trainer = lightning.Trainer(max_epochs=args.epochs, logger=False,
                                    enable_checkpointing=False, enable_progress_bar=False,
                                    enable_model_summary=False, accelerator="cpu",
                                    callbacks=[Shadow(s) for s in shadows])
        trainer.fit(model)
        return model

    return fit


if __name__ == "__main__":
    main()
