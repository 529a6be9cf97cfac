"""The benchmark harness measures what it says: the same task, the same number of steps."""

from __future__ import annotations

import math
from collections import Counter
from typing import Any

import pytest
import torch

from benchmarks.common import (
    ShadowPlainLoop,
    TinyModule,
    lean_trainer,
    lockstep_ratio,
    loop_lockstep_ratio,
    parity_loop,
    plain_lockstep_ratio,
    plain_loop,
)


def _same_weights(a: torch.nn.Module, b: torch.nn.Module) -> bool:
    return all(torch.equal(x, y) for x, y in zip(a.parameters(), b.parameters(), strict=True))


def test_the_lean_fit_ends_with_the_plain_loops_weights_bit_for_bit() -> None:
    model = TinyModule(batches=12)
    lean_trainer(epochs=2).fit(model)
    assert _same_weights(model.net, plain_loop(batches=12, epochs=2))


def test_the_parity_loop_trains_the_same_module_to_the_same_weights() -> None:
    # the hand loop over TinyModule.training_step is the plain loop with the user's code in it
    trained = parity_loop(batches=12, epochs=2)
    assert isinstance(trained, TinyModule)
    assert _same_weights(trained.net, plain_loop(batches=12, epochs=2))
    ratio = loop_lockstep_ratio(parity_loop, batches=10, epochs=1, block=2)
    assert math.isfinite(ratio) and ratio > 0


@pytest.mark.parametrize("block", [1, 3, 50])
def test_the_shadow_takes_as_many_plain_steps_as_the_fit(block: int) -> None:
    # 2 epochs of 10 batches: with blocks of 3 the last 2 steps are run at the end of training,
    # with blocks of 50 all of them are; either way the shadow ends where 20 plain steps end
    shadow = ShadowPlainLoop(batches=10, block=block)
    lean_trainer(epochs=2, callbacks=[shadow]).fit(TinyModule(batches=10))
    assert shadow.pending == 0 and shadow.seconds > 0
    assert _same_weights(shadow.net, plain_loop(batches=10, epochs=2))


@pytest.mark.parametrize("block", [1, 5])
def test_lockstep_ratios_are_finite_and_positive(block: int) -> None:
    floor = plain_lockstep_ratio(batches=10, epochs=1, block=block)

    def fit(shadow: ShadowPlainLoop) -> None:
        lean_trainer(epochs=1, callbacks=[shadow]).fit(TinyModule(batches=10))

    ratio = lockstep_ratio(fit, batches=10, block=block)
    assert math.isfinite(floor) and floor > 0
    assert math.isfinite(ratio) and ratio > 0


def test_interposed_work_leaves_training_alone_and_gives_a_finite_ratio() -> None:
    from benchmarks.interposed import busy_work, interposed_ratio

    busy_work(3)()  # pure Python: runs without tensors
    assert math.isfinite(interposed_ratio(rounds=5, batches=8, epochs=1))


def _tensor_ops_per_step(run: Any) -> Counter[str]:
    """The tensor operations one more training step adds (20 batches against 10)."""
    from torch.utils._python_dispatch import TorchDispatchMode

    class Counting(TorchDispatchMode):
        def __init__(self) -> None:
            super().__init__()
            self.ops: Counter[str] = Counter()

        def __torch_dispatch__(self, func: Any, types: Any, args: Any = (),
                               kwargs: Any = None) -> Any:
            self.ops[str(func)] += 1
            return func(*args, **(kwargs or {}))

    counts = []
    for batches in (10, 20):
        with Counting() as counting:
            run(batches)
        counts.append(counting.ops)
    extra = counts[1] - counts[0]
    assert all(n % 10 == 0 for n in extra.values()), extra
    return Counter({op: n // 10 for op, n in extra.items()})


def test_a_lean_step_runs_the_plain_loops_tensor_ops_and_no_other() -> None:
    # on a GPU each tensor op is a kernel launch: the framework's own per-step work must be
    # Python, not tensor ops (without a progress bar no running loss is kept: no detach)
    plain = _tensor_ops_per_step(lambda n: plain_loop(batches=n, epochs=1))
    lean = _tensor_ops_per_step(lambda n: lean_trainer(epochs=1).fit(TinyModule(batches=n)))
    assert lean - plain == Counter(), (lean - plain)
    assert plain - lean == Counter()


def test_a_step_shown_by_a_progress_bar_adds_a_detach_for_the_running_loss() -> None:
    import io

    from orchestrator.callbacks import ProgressBar

    def shown(n: int) -> None:
        bar = ProgressBar(refresh_rate=1, file=io.StringIO(), max_refresh_per_second=1e-9)
        lean_trainer(epochs=1, callbacks=[bar]).fit(TinyModule(batches=n))

    plain = _tensor_ops_per_step(lambda n: plain_loop(batches=n, epochs=1))
    assert _tensor_ops_per_step(shown) - plain == Counter({"aten.detach.default": 1})


def test_the_instruction_count_runs_every_variant_at_both_lengths(tmp_path: Any) -> None:
    # the part of benchmarks/instructions.py that runs under callgrind, run here without it
    import json
    import os
    import subprocess
    import sys

    from benchmarks.instructions import VARIANTS

    # the parent passes the plain loop's native seconds (the pictures' clock is slowed by it)
    env = dict(os.environ, ORCHESTRATOR_CALLGRIND_CHILD=str(tmp_path),
               ORCHESTRATOR_NATIVE_PLAIN_S="0.01")
    subprocess.run([sys.executable, "benchmarks/instructions.py", "--short", "1", "--long", "3",
                    "--epochs", "1", "--repeats", "2"], env=env, check=True, timeout=120)
    labels = json.loads((tmp_path / "labels.json").read_text())
    assert labels == [f"{name} {n}" for _ in range(2) for name in VARIANTS for n in (1, 3)]
    assert float((tmp_path / "slowdown.txt").read_text()) > 0


def test_the_instruction_report_splits_per_step_from_fixed_cost(capsys: Any) -> None:
    import argparse

    from benchmarks.instructions import VARIANTS, _report

    args = argparse.Namespace(short=10, long=30, epochs=2, repeats=2)
    # a run of n steps: fixed + per_step * n; the second count of each run a little higher
    per_step = {"plain": 1000, "parity": 1010, "lean": 1020, "logged": 1030, "default": 1100,
                "strict": 1090}
    counts = {f"{name} {b}": [5000 + per_step[name] * b * 2, 5001 + per_step[name] * b * 2]
              for name in VARIANTS for b in (10, 30)}
    _report(counts, args)
    rows = {line.split()[0]: line.split()[1:4] for line in capsys.readouterr().out.splitlines()
            if line.split()[:1] and line.split()[0] in VARIANTS and line.split()[1].isdigit()}
    assert rows["lean"] == ["1020", "1.020", "5000"]
    assert rows["default"] == ["1100", "1.100", "5000"]
    assert rows["plain"] == ["1000", "1.000", "5000"]


def test_interleaved_runs_take_every_position_equally_often() -> None:
    from benchmarks.common import interleaved

    order: list[str] = []
    runs = {name: (lambda name=name: order.append(name)) for name in ("plain", "lean", "strict")}
    times = interleaved(runs, repeats=6)
    assert {name: len(values) for name, values in times.items()} == dict.fromkeys(runs, 6)
    rounds = [order[i:i + 3] for i in range(0, 18, 3)]
    assert rounds[:3] == [["plain", "lean", "strict"], ["lean", "strict", "plain"],
                          ["strict", "plain", "lean"]]
    for position in range(3):
        assert Counter(r[position] for r in rounds) == Counter(dict.fromkeys(runs, 2))
