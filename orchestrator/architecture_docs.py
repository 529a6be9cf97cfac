"""Generate the architecture page's diagrams and tables from the code.

``python -m orchestrator.architecture_docs`` rewrites the generated part of
docs/architecture.md; a test fails when the page and the code disagree. Everything here is read
from the code: the imports between the four packages, the hook table, the fields of a run, the
list of stateful parts a checkpoint holds, and the table of step phases.
"""

from __future__ import annotations

import ast
import dataclasses
from collections import Counter
from pathlib import Path

from orchestrator.checkpoint_state import state_entries
from orchestrator.lifecycle_docs import hook_reference, rewrite
from orchestrator.trainer import Trainer
from states.run import Run, RunData, RunState
from states.stateful import BodyEntry, StateEntry, View
from states.step_phases import PHASES

__all__ = ["BEGIN", "generated_section", "main", "package_imports"]

BEGIN = "<!-- generated:begin (python -m orchestrator.architecture_docs) -->"
_ROOT = Path(__file__).resolve().parent.parent
_PAGE = _ROOT / "docs" / "architecture.md"
PACKAGES = ("orchestrator", "states", "backends", "schemas")


def package_imports() -> tuple[Counter[tuple[str, str]], Counter[str]]:
    """(imports from one package into another, counted by module; modules per package)."""
    edges: Counter[tuple[str, str]] = Counter()
    modules: Counter[str] = Counter()
    for package in PACKAGES:
        for path in sorted((_ROOT / package).rglob("*.py")):
            modules[package] += 1
            imported = set()
            for node in ast.walk(ast.parse(path.read_text())):
                if isinstance(node, ast.ImportFrom) and node.module and node.level == 0:
                    imported.add(node.module.split(".")[0])
                elif isinstance(node, ast.Import):
                    imported.update(alias.name.split(".")[0] for alias in node.names)
            for other in imported & set(PACKAGES) - {package}:
                edges[(package, other)] += 1
    return edges, modules


def _packages() -> list[str]:
    edges, modules = package_imports()
    lines = ["```mermaid", "flowchart LR"]
    for package in PACKAGES:
        lines.append(f"  {package}[\"{package}/ ({modules[package]} modules)\"]")
    for (source, dest), count in sorted(edges.items()):
        lines.append(f"  {source} -->|{count} module{'s' if count > 1 else ''}| {dest}")
    return [*lines, "```"]


def _fields(cls: type) -> str:
    return ", ".join(f"`{f.name}`" for f in dataclasses.fields(cls))


def _run() -> list[str]:
    return ["| part | holds |", "| --- | --- |",
            f"| `Run` (frozen: what the run is given) | {_fields(Run)} |",
            f"| `RunState` (a Trainer's, saved in checkpoints) | {_fields(RunState)} |",
            f"| `RunData` (what one run builds) | {_fields(RunData)} |"]


def _state_list() -> list[str]:
    trainer = Trainer(logger=False, checkpoint_callback=False, progress_bar_refresh_rate=0,
                      weights_summary=None)
    lines = ["| # | section | part | loaded to | note |", "| --- | --- | --- | --- | --- |"]
    for index, entry in enumerate(state_entries(trainer, data=RunData()), 1):
        uses = ", ".join(sorted(entry.uses)) or "never (written for readers)"
        name = type(entry.part).__name__.lstrip("_")
        if isinstance(entry, BodyEntry):
            lines.append(f"| {index} | (the whole body) | `{name}` | {uses} | sees every "
                         "section; at capture it runs after them all |")
            continue
        assert isinstance(entry, StateEntry)
        notes = [note for flag, note in (
            (isinstance(entry.part, View), "derived from other state"),
            (entry.on_device, "loaded onto the run's device"),
            (entry.gathered, "gathered from every process (under DDP)"),
            (not entry.writes, "reads the section the entry above writes"),
        ) if flag]
        part = "derived" if isinstance(entry.part, View) else f"`{name}`"
        lines.append(f"| {index} | `{entry.key}` | {part} | {uses} | {'; '.join(notes)} |")
    return lines


def _phases() -> list[str]:
    chart = ["```mermaid", "flowchart LR"]
    previous = None
    for row in PHASES:
        chart.append(f"  {row.name}[\"{row.name}<br/>({row.level})\"]")
        if previous is not None:
            chart.append(f"  {previous} --> {row.name}")
        previous = row.name
    table = ["| # | phase | once per | supplied by | in the step when |",
             "| --- | --- | --- | --- | --- |"]
    table += [f"| {index} | `{row.name}` | {row.level} | {row.supplier} | {row.active} |"
              for index, row in enumerate(PHASES, 1)]
    return [*chart, "```", "", *table]


def generated_section() -> str:
    """The Markdown between the page's generated markers."""
    parts = [["### The four packages", "", *_packages()], ["### Hooks", "", *hook_reference()],
             ["### A run", "", *_run()], ["### Run state", "", *_state_list()],
             ["### The step phases", "", *_phases()]]
    return "\n\n".join("\n".join(part) for part in parts)


def main() -> None:
    """Rewrite the generated part of docs/architecture.md."""
    rewrite(_PAGE, BEGIN, generated_section())


if __name__ == "__main__":
    main()

