"""What a little Python between training steps costs in the lockstep measurement.

    python benchmarks/interposed.py [--batches 400] [--epochs 2] [--repeats 21]

Runs the parity loop (the same LightningModule's training_step by hand) against the shadow
plain loop, block 1, with a fixed piece of pure-Python work (dict and attribute operations, no
tensors) after every step, and prints for each size of that work its own time per step (timed
alone, as a share of a plain step) next to how much it raised the lockstep ratio. On the
machine of docs/performance.md the rise was 1.2 to 1.8 times the work's own share (and more
when the same work sat between forward and backward): a framework's microseconds per step
cost more than their own time, presumably because they also slow the PyTorch calls around
them (caches and branch predictors shared with them; not proven).
"""

from __future__ import annotations

import argparse
import os
import sys
import timeit
from collections.abc import Callable
from typing import Any

import torch

sys.path.insert(0, os.path.dirname(os.path.dirname(os.path.abspath(__file__))))

from benchmarks.common import (  # noqa: E402
    ShadowPlainLoop,
    loop_lockstep_ratio,
    median,
    parity_loop,
    plain_loop,
)


class _Scratch:
    def __init__(self) -> None:
        self.a, self.b, self.cell = 1, 2, [0]
        self.table: dict[str, int] = {}


def busy_work(rounds: int) -> Callable[[], None]:
    """A callable doing ``rounds`` rounds of dict and attribute operations."""
    scratch = _Scratch()

    def work() -> None:
        for _ in range(rounds):
            scratch.table["k"] = scratch.a + scratch.b
            scratch.cell[0] = scratch.table["k"]

    return work


def interposed_ratio(rounds: int, batches: int, epochs: int) -> float:
    """The parity loop with ``busy_work(rounds)`` after each step, against the shadow."""
    work = busy_work(rounds)

    def loop(batches: int, epochs: int, after_step: Callable[[], Any]) -> Any:
        def step_end() -> None:
            work()
            after_step()

        return parity_loop(batches, epochs, after_step=step_end)

    return loop_lockstep_ratio(loop, batches, epochs, block=1)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--batches", type=int, default=400)
    parser.add_argument("--epochs", type=int, default=2)
    parser.add_argument("--repeats", type=int, default=21)
    args = parser.parse_args()
    torch.set_num_threads(1)
    sizes = [0, 20, 60]
    step_seconds = _plain_step_seconds(args.batches, args.epochs)
    for rounds in sizes:  # warm up
        interposed_ratio(rounds, args.batches, args.epochs)
    ratios: dict[int, list[float]] = {rounds: [] for rounds in sizes}
    for _ in range(args.repeats):
        for rounds in sizes:
            ratios[rounds].append(interposed_ratio(rounds, args.batches, args.epochs))
    print(f"plain step {step_seconds * 1e6:.0f} us; lockstep block 1, median of {args.repeats}")
    for rounds in sizes:
        work = busy_work(rounds)
        alone = min(timeit.repeat(work, number=20000, repeat=5)) / 20000
        # each repetition's rise over the loop without work, from the same round of runs
        rise = median([r - base for r, base in zip(ratios[rounds], ratios[0], strict=True)])
        print(f"{rounds:3d} rounds: {alone * 1e6:5.2f} us alone = {alone / step_seconds:6.2%} of a "
              f"step; ratio {median(ratios[rounds]):5.3f}, rise {rise:+6.2%}")


def _plain_step_seconds(batches: int, epochs: int) -> float:
    shadow = ShadowPlainLoop(batches, block=1)
    plain_loop(batches, epochs, after_step=shadow.after_fit_step)
    shadow.catch_up()
    return shadow.seconds / (batches * epochs)


if __name__ == "__main__":
    main()
