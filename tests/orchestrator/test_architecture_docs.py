"""docs/architecture.md shows the code as it is: its generated part is regenerated and compared."""

from __future__ import annotations

from pathlib import Path

from orchestrator.architecture_docs import BEGIN, generated_section, package_imports
from orchestrator.lifecycle_docs import END

PAGE = Path(__file__).resolve().parents[2] / "docs" / "architecture.md"


def test_the_generated_part_of_the_architecture_page_matches_the_code() -> None:
    text = PAGE.read_text()
    assert BEGIN in text and END in text
    on_page = text.split(BEGIN, 1)[1].split(END, 1)[0].strip()
    assert on_page == generated_section().strip(), (
        "docs/architecture.md is out of date: run `python -m orchestrator.architecture_docs`"
    )


def test_the_packages_import_only_downwards() -> None:
    order = ("orchestrator", "states", "backends", "schemas")
    edges, modules = package_imports()
    assert all(modules[package] > 0 for package in order)
    assert all(order.index(source) < order.index(dest) for source, dest in edges)
