"""Instructions per training step, counted by valgrind's callgrind, against the plain loop.

    python benchmarks/instructions.py [--short 50] [--long 250] [--epochs 2]

Time on a shared machine moves by 5-10% from one run to the next; the number of instructions a
run executes does not (it repeats to a few parts in 100,000). This script re-runs itself under
``valgrind --tool=callgrind`` and counts the instructions of each run of the plain loop, the
parity loop, and the lean, logged, default-features and strict fits of ``overhead.py``, each with
``--short`` and ``--long`` batches an epoch. The difference between the two lengths, over the
steps between them, is the instructions per step, free of the fixed cost of a run (building
the Trainer, opening epochs); the fixed cost is what is left. Instructions are not time:
Python's interpreter and PyTorch's kernels do not retire instructions at the same rate, and
the kernel's share (file writes, fsync) is not counted. Needs valgrind (about 5 minutes).

The default logger draws the lifecycle on a budget of the run's wall time, and under callgrind
a run takes some 50 times longer than natively: the pictures module is given a clock slowed by
that factor (the plain loop's time under callgrind over its native time, measured here), so
that it sees the run's native length. A picture's cost is measured on the same clock, and
Graphviz runs natively outside callgrind, so the budget admits at least as many pictures as in
a native run: the count is an upper bound.
"""

from __future__ import annotations

import argparse
import gc
import json
import os
import re
import shutil
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

_CHILD = "ORCHESTRATOR_CALLGRIND_CHILD"
_NATIVE_PLAIN_S = "ORCHESTRATOR_NATIVE_PLAIN_S"  # the long plain loop's native seconds
VARIANTS = ("plain", "parity", "lean", "logged", "default", "strict")
TARGETS = {"lean": 1.03, "logged": 1.03, "default": 1.10, "strict": 1.10}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--short", type=int, default=50, help="batches an epoch, short runs")
    parser.add_argument("--long", type=int, default=250, help="batches an epoch, long runs")
    parser.add_argument("--epochs", type=int, default=2)
    parser.add_argument("--repeats", type=int, default=2,
                        help="times each run is counted (the counts should agree)")
    parser.add_argument("--only", nargs="+", choices=VARIANTS, default=list(VARIANTS),
                        help="count only these runs (plain is always counted)")
    parser.add_argument("--keep", type=Path, default=None,
                        help="leave the callgrind dumps (one per run) in this folder, for "
                             "callgrind_annotate")
    args = parser.parse_args()
    args.only = [name for name in VARIANTS if name in args.only or name == "plain"]
    if args.long <= args.short:
        parser.error(f"--long ({args.long}) must be more than --short ({args.short})")
    if os.environ.get(_CHILD):
        _count_runs(args, Path(os.environ[_CHILD]))
        return
    valgrind = shutil.which("valgrind")
    if valgrind is None:
        sys.exit("benchmarks/instructions.py needs valgrind (apt install valgrind)")
    if args.keep is not None:
        args.keep.mkdir(parents=True, exist_ok=True)
        counts = _callgrind(valgrind, args, args.keep)
    else:
        with tempfile.TemporaryDirectory(prefix="orchestrator-callgrind-") as folder:
            counts = _callgrind(valgrind, args, Path(folder))
    _report(counts, args)


def _callgrind(valgrind: str, args: argparse.Namespace, folder: Path) -> dict[str, list[int]]:
    """Run this script under callgrind; the instructions of each marked run, by variant."""
    # each run is marked by os.getppid() (counters zeroed) and os.getpgrp() (counters dumped)
    command = [valgrind, "--tool=callgrind", "--zero-before=getppid", "--dump-before=getpgrp",
               f"--callgrind-out-file={folder / 'cg.out'}", sys.executable, __file__,
               "--short", str(args.short), "--long", str(args.long), "--epochs", str(args.epochs),
               "--repeats", str(args.repeats), "--only", *args.only]
    # one thread everywhere: an idle BLAS thread that spins would add instructions by the second
    env = dict(os.environ, **{_CHILD: str(folder), "OMP_NUM_THREADS": "1",
                              "OPENBLAS_NUM_THREADS": "1", "MKL_NUM_THREADS": "1",
                              _NATIVE_PLAIN_S: str(_native_plain_seconds(args))})
    done = subprocess.run(command, env=env, capture_output=True, text=True)
    if done.returncode != 0:
        sys.exit(f"the run under callgrind failed ({done.returncode}):\n{done.stderr[-3000:]}")
    labels = json.loads((folder / "labels.json").read_text())
    print(f"callgrind ran {(folder / 'slowdown.txt').read_text()} times slower than natively "
          "(the plain loop); the lifecycle pictures' clock was slowed as much")
    dumps = sorted(folder.glob("cg.out.*"), key=lambda p: int(p.name.rsplit(".", 1)[1]))
    if len(dumps) != len(labels):
        sys.exit(f"expected {len(labels)} callgrind dumps, found {len(dumps)}: something else "
                 "called getppid or getpgrp during the runs")
    counts: dict[str, list[int]] = {}
    for label, dump in zip(labels, dumps):
        total = re.search(r"^summary: (\d+)", dump.read_text(), re.MULTILINE)
        assert total is not None, f"no summary line in {dump}"
        counts.setdefault(label, []).append(int(total.group(1)))
    return counts


def _native_plain_seconds(args: argparse.Namespace) -> float:
    """The long plain loop's wall time here, natively, with one thread (the best of 3)."""
    import torch

    sys.path.insert(0, os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
    from benchmarks.common import plain_loop

    torch.set_num_threads(1)
    times = []
    for _ in range(3):
        began = time.perf_counter()
        plain_loop(args.long, args.epochs)
        times.append(time.perf_counter() - began)
    return min(times)


def _native_clock_for_pictures(slowdown: float) -> None:
    """The pictures' budget sees the run's native length (see the module's docstring)."""
    from types import SimpleNamespace

    from orchestrator import lifecycle_pictures

    lifecycle_pictures.time = SimpleNamespace(  # type: ignore[assignment]
        monotonic=lambda: time.monotonic() / slowdown)


def _count_runs(args: argparse.Namespace, folder: Path) -> None:
    """Under callgrind: warm every variant up, then run each at both lengths between markers."""
    import torch
    from loguru import logger

    sys.path.insert(0, os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
    from benchmarks.common import (
        TinyModule,
        features_trainer,
        lean_trainer,
        parity_loop,
        plain_loop,
    )

    torch.set_num_threads(1)
    logger.remove()
    root = tempfile.mkdtemp(prefix="orchestrator-bench-")

    def fit(batches: int, epochs: int, features: bool, strict: bool = False,
            log_only: bool = False) -> None:
        if not features:
            lean_trainer(epochs).fit(TinyModule(batches, log_only=log_only))
            return
        # the bar redraws at most 10 times a second, and callgrind runs about 50 times slower:
        # left so, it would redraw 50 times as often per step as in a real run (3 or 4 times in
        # 800 steps there); here it draws at the first batch and at each epoch's end
        features_trainer(epochs, root, strict, max_refresh_per_second=1e-6).fit(
            TinyModule(batches, True))

    runs: dict[str, Callable[[int, int], Any]] = {
        "plain": plain_loop, "parity": parity_loop,
        "lean": lambda b, e: fit(b, e, False),
        "logged": lambda b, e: fit(b, e, False, log_only=True),
        "default": lambda b, e: fit(b, e, True),
        "strict": lambda b, e: fit(b, e, True, strict=True),
    }
    began = time.perf_counter()
    plain_loop(args.long, args.epochs)
    slowdown = (time.perf_counter() - began) / float(os.environ[_NATIVE_PLAIN_S])
    _native_clock_for_pictures(slowdown)
    (folder / "slowdown.txt").write_text(f"{slowdown:.1f}")
    for name in args.only:  # as long as the long runs, so every first-time cost (lazy
        runs[name](args.long, args.epochs)  # imports at the first TensorBoard write) falls here
    labels = []
    for _ in range(args.repeats):
        for name in args.only:
            for batches in (args.short, args.long):
                gc.collect()  # every run starts with empty young generations: a collection
                os.getppid()  # of the 300,000 objects torch keeps would swamp the count
                runs[name](batches, args.epochs)
                os.getpgrp()
                labels.append(f"{name} {batches}")
    (folder / "labels.json").write_text(json.dumps(labels))
    shutil.rmtree(root, ignore_errors=True)


def _report(counts: dict[str, list[int]], args: argparse.Namespace) -> None:
    extra_steps = (args.long - args.short) * args.epochs
    print(f"tiny MLP, batch 32, Adam; instructions counted by callgrind (user space, all "
          f"threads); runs of {args.short} and {args.long} batches x {args.epochs} epochs, "
          f"each counted {args.repeats} times")
    spreads = sorted(((max(v) - min(v)) / min(v), label) for label, v in counts.items())
    print("largest differences between repeated counts of one run: "
          + ", ".join(f"{label} {spread:.2%}" for spread, label in spreads[::-1][:3])
          + " (the smallest count of each is used)")
    per_step, fixed = {}, {}
    names = [name for name in VARIANTS if f"{name} {args.short}" in counts]
    for name in names:
        short = min(counts[f"{name} {args.short}"])
        long = min(counts[f"{name} {args.long}"])
        per_step[name] = (long - short) / extra_steps
        fixed[name] = short - per_step[name] * args.short * args.epochs
    run_steps = 800
    print(f"\n{'':8s} {'per step':>10s} {'ratio':>6s} {'fixed per run':>14s}   "
          f"{run_steps}-step run ratio")
    plain_run = fixed["plain"] + per_step["plain"] * run_steps
    for name in names:
        ratio = per_step[name] / per_step["plain"]
        whole = (fixed[name] + per_step[name] * run_steps) / plain_run
        target = f"  (target <= {TARGETS[name]:.2f}, in time)" if name in TARGETS else ""
        print(f"{name:8s} {per_step[name]:10.0f} {ratio:6.3f} {fixed[name]:14.0f}   "
              f"{whole:6.3f}{target}")
    if "lean" in per_step and "parity" in per_step:
        print(f"lean / parity per step: {per_step['lean'] / per_step['parity']:.3f} "
              "(the framework alone)")

if __name__ == "__main__":
    main()
