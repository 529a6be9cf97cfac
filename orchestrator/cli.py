"""The command line: ``orchestrator graph``, ``orchestrator inspect`` and ``orchestrator demo``."""

from __future__ import annotations

import argparse
import json
import sys
from collections.abc import Sequence
from datetime import datetime
from pathlib import Path
from typing import Any

from orchestrator.checkpoint_io import load_checkpoint
from orchestrator.demo import add_arguments as add_demo_arguments
from orchestrator.demo import run as run_demo
from orchestrator.run_files import read_run_lifecycle
from schemas.errors import OrchestratorError
from states.graph import render, to_dot, to_mermaid
from states.lifecycle import LifecycleRecord
from states.record import collapsed_path

__all__ = ["main"]


def main(argv: Sequence[str] | None = None) -> int:
    """Run a command; errors are one line on stderr and exit status 1 or 2."""
    parser = _parser()
    args = parser.parse_args(argv)
    try:
        return int(args.handler(args) or 0)
    except (OrchestratorError, OSError, ValueError) as exc:
        print(f"orchestrator {args.command}: {exc}", file=sys.stderr)
        return 1


def _parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="orchestrator", description="Inspect and draw the "
                                     "training lifecycle of orchestrator runs.")
    commands = parser.add_subparsers(dest="command", required=True)

    graph = commands.add_parser("graph", help="draw the lifecycle state machine")
    graph.add_argument("--format", choices=("mermaid", "dot", "svg", "png"),
                       help="default: from the --output file's suffix (.png, .svg, .dot, .gv), "
                       "else mermaid")
    graph.add_argument("--output", "-o", help="file to write, by exactly this name (default: "
                       "standard output; svg and png need it)")
    source = graph.add_mutually_exclusive_group()
    source.add_argument("--checkpoint", help="highlight the state and path saved in a checkpoint")
    source.add_argument("--run", help="highlight a run's path, from its log directory")
    graph.add_argument("--mode", choices=("fit", "test"), help="with --run: which run to draw")
    graph.set_defaults(handler=_graph)

    inspect = commands.add_parser("inspect", help="describe a checkpoint")
    inspect.add_argument("checkpoint")
    inspect.add_argument("--json", action="store_true", help="print JSON")
    inspect.set_defaults(handler=_inspect)

    demo = commands.add_parser("demo", help="train the digits demo",
                               description="Train, checkpoint and test a small classifier of "
                               "the 8x8 digits (scikit-learn's), written as 0.8 code.")
    add_demo_arguments(demo)
    demo.set_defaults(handler=_demo)
    return parser


def _record_of(args: argparse.Namespace) -> LifecycleRecord | None:
    if args.checkpoint:
        checkpoint = load_checkpoint(args.checkpoint)
        if "lifecycle" not in checkpoint:
            raise ValueError(f"{args.checkpoint!r} holds weights only: it has no lifecycle")
        record = LifecycleRecord.from_dict(checkpoint["lifecycle"])
        if record.recorded_at is None:  # earlier files kept the time in the manifest only
            created = datetime.fromisoformat(checkpoint["manifest"]["created_at"])
            record.recorded_at = created.timestamp()
        return record
    if args.run:
        return read_run_lifecycle(args.run, args.mode)
    return None


_SUFFIX_FORMATS = {".png": "png", ".svg": "svg", ".dot": "dot", ".gv": "dot",
                   ".mmd": "mermaid", ".mermaid": "mermaid"}


def _graph_format(args: argparse.Namespace) -> str:
    """The format asked for: ``--format``, else the one the output's suffix names."""
    named = _SUFFIX_FORMATS.get(Path(args.output).suffix.lower()) if args.output else None
    if args.format and named and named != args.format:
        raise ValueError(f"--format {args.format} and --output {args.output!r} (a .{named} "
                         "name) disagree: drop --format, or give the file a matching name")
    return str(args.format or named or "mermaid")


def _graph(args: argparse.Namespace) -> int:
    record = _record_of(args)
    fmt = _graph_format(args)
    if fmt in ("svg", "png"):
        if not args.output:
            raise ValueError(f"--format {fmt} needs --output FILE")
        print(render(record, args.output, fmt))
        return 0
    text = to_mermaid(record) if fmt == "mermaid" else to_dot(record)
    if args.output:
        Path(args.output).write_text(text)
        print(args.output)
    else:
        print(text)
    return 0


def describe_checkpoint(path: str) -> dict[str, Any]:
    """What ``inspect`` reports: lifecycle state, progress, monitored metrics, manifest."""
    checkpoint = load_checkpoint(path)
    progress = checkpoint.get("progress", {})
    lifecycle = checkpoint.get("lifecycle", {})
    callbacks = checkpoint.get("callbacks", {})
    monitored = {
        name: {k: v for k, v in state.items() if k in ("monitor", "best_model_score",
                                                       "best_score", "wait_count")}
        for name, state in callbacks.items()
    }
    return {
        "file": str(path),
        "lifecycle_state": lifecycle.get("state"),
        "lifecycle_history": lifecycle.get("history", []),
        "epoch": checkpoint.get("epoch"),
        "global_step": checkpoint.get("global_step"),
        "batch_position": progress.get("batch_idx"),
        "epoch_finished": progress.get("epoch_finished"),
        "metrics": checkpoint.get("metrics", {}),
        "monitored": {k: v for k, v in monitored.items() if v},
        "manifest": checkpoint["manifest"],
    }


def _inspect(args: argparse.Namespace) -> int:
    report = describe_checkpoint(args.checkpoint)
    if args.json:
        print(json.dumps(report, indent=2, default=str))
        return 0
    manifest = report["manifest"]
    lines = [
        f"checkpoint      {report['file']}",
        f"lifecycle state {report['lifecycle_state']}",
        f"epoch           {report['epoch']}"
        + (" (finished)" if report["epoch_finished"] else ""),
        f"global step     {report['global_step']}",
        f"batch position  {report['batch_position']}",
        f"format          {manifest['kind']} v{manifest['format_version']}, written by "
        f"orchestrator {manifest['library_version']} at {manifest['created_at']}",
    ]
    if report["lifecycle_history"]:
        lines.append(f"path            {collapsed_path(report['lifecycle_history'])}")
    for name, value in sorted(report["metrics"].items()):
        lines.append(f"metric          {name} = {value:.6g}")
    for name, state in sorted(report["monitored"].items()):
        details = ", ".join(f"{k}={v}" for k, v in state.items())
        lines.append(f"callback        {name}: {details}")
    print("\n".join(lines))
    return 0


def _demo(args: argparse.Namespace) -> int:
    run_demo(args)
    return 0
