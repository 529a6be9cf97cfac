"""``import orchestrator`` costs at most 0.3 s more than ``import torch`` (fresh processes).

    python benchmarks/import_time.py [--repeats 9]
"""

from __future__ import annotations

import argparse
import statistics
import subprocess
import sys

SNIPPET = ("import time; t = time.perf_counter(); import torch; a = time.perf_counter(); "
           "{extra}; b = time.perf_counter(); print(a - t, b - a)")


def measure(extra: str, repeats: int) -> tuple[float, float]:
    torch_times, extra_times = [], []
    for _ in range(repeats):
        out = subprocess.run([sys.executable, "-c", SNIPPET.format(extra=extra)],
                             capture_output=True, text=True, check=True).stdout.split()
        torch_times.append(float(out[0]))
        extra_times.append(float(out[1]))
    return statistics.median(torch_times), statistics.median(extra_times)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--repeats", type=int, default=9)
    args = parser.parse_args()
    torch_time, extra = measure("import orchestrator", args.repeats)
    _, with_trainer = measure("import orchestrator; orchestrator.Trainer(logger=False)",
                              args.repeats)
    print(f"import torch: {torch_time:.3f} s; import orchestrator after it: +{extra:.3f} s "
          f"(target <= 0.300 s); and building a Trainer: +{with_trainer:.3f} s "
          f"(median of {args.repeats} fresh processes)")


if __name__ == "__main__":
    main()
