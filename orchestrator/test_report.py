"""The "TEST RESULTS" block that ``Trainer.test`` prints, as Lightning 0.8 printed it."""

from __future__ import annotations

import pprint
import sys
from typing import TextIO

__all__ = ["print_test_results"]

_RULE = "-" * 80


def print_test_results(results: list[dict[str, float]], stream: TextIO | None = None) -> None:
    """Print each test dataloader's metrics between two rules (nothing when there are none).

    Example:
        >>> print_test_results([{"test_acc": 0.9}])  # doctest: +NORMALIZE_WHITESPACE
        --------------------------------------------------------------------------------
        TEST RESULTS
        {'test_acc': 0.9}
        --------------------------------------------------------------------------------
    """
    if not any(results):
        return
    out = stream or sys.stdout
    shown = results[0] if len(results) == 1 else {f"dataloader {i}": metrics
                                                   for i, metrics in enumerate(results)}
    print(_RULE, "TEST RESULTS", pprint.pformat(shown), _RULE, sep="\n", file=out)
