"""Diagrams of the lifecycle, built on demand by ``transitions``' GraphMachine from the table.

The machine that drives runs stays a plain ``Machine``; a GraphMachine is built only when a
diagram is asked for, with the visited states labelled by count and time and highlighted.
"""

from __future__ import annotations

import shutil
from pathlib import Path
from typing import Any

from transitions import State
from transitions.extensions import GraphMachine

from schemas.errors import MisconfigurationError
from states.record import LifecycleRecord
from states.table import STATES, expanded_transitions

__all__ = ["picture", "render", "to_dot", "to_mermaid"]

_VISITED_NODE = {"color": "darkgreen", "fillcolor": "honeydew", "peripheries": "1"}
_VISITED_EDGE = {"color": "darkgreen", "penwidth": "2"}


class _LabelledState(State):  # type: ignore[misc]
    """A state with a display label (name, visit count, time)."""

    def __init__(self, *args: Any, label: str | None = None, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.label = label or self.name


class _Diagram(GraphMachine):  # type: ignore[misc]
    """GraphMachine with a 'visited' style for states and edges the run went through."""

    state_cls = _LabelledState

    _base: dict[str, Any] = GraphMachine.style_attributes
    style_attributes = {
        **_base,
        "node": {**_base["node"], "visited": _VISITED_NODE},
        "edge": {**_base["edge"], "visited": _VISITED_EDGE, "previous": _VISITED_EDGE},
    }


class _CompactDiagram(_Diagram):  # type: ignore[misc]
    """The picture's layout: top to bottom, so that it reads at screen width."""

    machine_attributes = {**GraphMachine.machine_attributes, "rankdir": "TB", "nodesep": "0.4",
                          "ranksep": "0.35"}


class _Model:
    """The diagram machine's model; it only carries the state."""


def _label(state: str, count: int, seconds: float) -> str:
    times = f" ×{count}" if count > 1 else ""
    spent = f"{seconds:.1f} s" if seconds >= 1 else f"{seconds * 1000:.0f} ms"
    return f"{state}{times}, {spent}"


def _build(record: LifecycleRecord | None, engine: Any,
           picture: bool = False) -> tuple[_Model, _Diagram]:
    """The diagram machine, the run's path highlighted. ``picture``: laid out to be looked at
    (SVG, PNG): top to bottom, and of the ``fail`` edges (one from every state into teardown)
    only those the run took, the others said once in the title."""
    counts = record.counts() if record else {}
    spent = record.time_in() if record else {}
    edges = record.edges() if record else {}
    states = [{"name": s, "label": _label(s, counts[s], spent[s]) if s in counts else s}
              for s in STATES]
    transitions: list[dict[str, Any]] = []
    for table_row in expanded_transitions():
        row: dict[str, Any] = dict(table_row)
        taken = edges.get((row["source"], row["trigger"], row["dest"]), 0)
        if picture and row["trigger"] == "fail" and not taken:
            continue
        if taken:
            row["label"] = f"{row['trigger']} ×{taken}"
        transitions.append(row)
    model = _Model()
    kind, title = (_CompactDiagram, "orchestrator lifecycle (from any state, fail → teardown)") \
        if picture else (_Diagram, "orchestrator lifecycle")
    machine = kind(model=model, states=states, transitions=transitions, initial="init",
                   auto_transitions=False, graph_engine=engine, show_conditions=True,
                   title=title)
    if record is not None and record.entries:
        machine.set_state(record.state, model=model)
        graph: Any = machine.model_graphs[id(model)]
        graph.reset_styling()
        for state in counts:
            graph.set_node_style(state, "visited")
        for source, _, dest in edges:
            graph.custom_styles["edge"][source][dest] = "visited"
        graph.set_node_style(record.state, "active")
    return model, machine


def to_mermaid(record: LifecycleRecord | None = None) -> str:
    """Mermaid ``stateDiagram-v2`` text; visited states carry their count and time."""
    model, _ = _build(record, "mermaid")
    return str(model.get_graph().draw(None))  # type: ignore[attr-defined]


def to_dot(record: LifecycleRecord | None = None) -> str:
    """Graphviz DOT text; visited states and edges are green, the current state red."""
    model, _ = _build(record, "graphviz")
    return str(model.get_graph().source)  # type: ignore[attr-defined]


def picture(record: LifecycleRecord | None, fmt: str = "png") -> bytes:
    """The lifecycle drawn by Graphviz as ``fmt`` (``'png'`` or ``'svg'``) bytes.

    Raises:
        MisconfigurationError: ``dot`` is not installed, or ``fmt`` is another format.
    """
    if fmt not in ("svg", "png"):
        raise MisconfigurationError(
            f"cannot draw the lifecycle as {fmt!r}: use 'svg' or 'png' (to_dot() and "
            "to_mermaid() give text)")
    if shutil.which("dot") is None:
        raise MisconfigurationError(
            "rendering SVG or PNG needs Graphviz's `dot` program, which is not on PATH: install "
            "it (Debian/Ubuntu: apt-get install graphviz; macOS: brew install graphviz); "
            "to_dot() and to_mermaid() need nothing"
        )
    model, _ = _build(record, "graphviz", picture=True)
    return bytes(model.get_graph().pipe(format=fmt))  # type: ignore[attr-defined]


def render(record: LifecycleRecord | None, path: str | Path, fmt: str | None = None) -> str:
    """Write SVG or PNG (``fmt``, else chosen by the suffix of ``path``) with Graphviz, to
    ``path`` exactly; returns the path."""
    target = Path(path)
    fmt = fmt or target.suffix.lstrip(".").lower()
    if fmt not in ("svg", "png"):
        raise MisconfigurationError(
            f"cannot render the lifecycle to {str(target)!r}: use a .svg or .png file name "
            "(to_dot() and to_mermaid() give text)"
        )
    data = picture(record, fmt)
    target.parent.mkdir(parents=True, exist_ok=True)
    target.write_bytes(data)
    return str(target)
