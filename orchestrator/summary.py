"""The weights summary: a table of layers, their types and parameter counts."""

from __future__ import annotations

from torch import nn

__all__ = ["weights_summary"]


def weights_summary(module: nn.Module, mode: str) -> str:
    """A table of the top-level children (``'top'``) or every submodule (``'full'``)."""
    if mode == "top":
        rows = list(module.named_children())
    else:
        rows = [(name, sub) for name, sub in module.named_modules() if name]
    table = [("", "Name", "Type", "Params")]
    for index, (name, sub) in enumerate(rows):
        count = sum(p.numel() for p in sub.parameters())
        table.append((str(index), name, type(sub).__name__, _human(count)))
    widths = [max(len(row[i]) for row in table) for i in range(4)]
    lines = [" | ".join(cell.ljust(w) for cell, w in zip(row, widths)) for row in table]
    lines.insert(1, "-" * len(lines[0]))
    total = sum(p.numel() for p in module.parameters())
    trainable = sum(p.numel() for p in module.parameters() if p.requires_grad)
    lines.append("-" * len(lines[0]))
    lines.append(f"{_human(trainable)} trainable params, {_human(total)} total params")
    return "\n".join(lines)


def _human(count: int) -> str:
    for unit, size in (("B", 10**9), ("M", 10**6), ("K", 10**3)):
        if count >= size:
            return f"{count / size:.1f} {unit}"
    return str(count)
