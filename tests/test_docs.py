"""Every runnable ```python block in docs/*.md runs, and the porting page's hook table is true."""

from __future__ import annotations

import linecache
import os
import re
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest

import orchestrator as pl
from tests.helpers import BoringModel, quiet_trainer
from tests.orchestrator.test_hook_order import CALLBACK_HOOKS, MODULE_HOOKS

REPO = Path(__file__).resolve().parent.parent
DOCS = REPO / "docs"
_FENCE = re.compile(r"^```python[^\n]*\n(.*?)^```", re.MULTILINE | re.DOTALL)
_SKIP = "# not run"


def _blocks() -> list[Any]:
    """(file, line, code) for every ```python block whose first line is not ``# not run``."""
    found = []
    for file in sorted(DOCS.glob("*.md")):
        text = file.read_text()
        for match in _FENCE.finditer(text):
            code = match.group(1)
            if code.lstrip().startswith(_SKIP):
                continue
            line = text.count("\n", 0, match.start(1)) + 1
            found.append(pytest.param(file.name, line, code, id=f"{file.name}:{line}"))
    return found


@pytest.mark.parametrize(("file", "line", "code"), _blocks())
def test_doc_example_runs(file: str, line: int, code: str, tmp_path: Path,
                          monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.chdir(tmp_path)
    if re.search(r'distributed_backend="(ddp_cpu|fsdp)"', code):
        # forks workers: run as a user runs it, a script in a fresh process (a process that
        # already ran backward with a GPU visible cannot fork workers that train)
        done = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True,
                              timeout=300, env={**os.environ, "PYTHONPATH": os.pathsep.join(
                                  [str(REPO), *filter(None, [os.environ.get("PYTHONPATH")])])})
        assert done.returncode == 0, done.stderr[-3000:]
        return
    name = f"docs/{file}:{line}"
    source = "\n" * (line - 1) + code  # line numbers in tracebacks are the Markdown file's
    linecache.cache[name] = (len(source), None, source.splitlines(keepends=True), name)
    exec(compile(source, name, "exec"), {"__name__": "__doc__"})


def test_every_doc_page_has_runnable_examples() -> None:
    files = {param.values[0] for param in _blocks()}
    assert {"config.md", "outputs.md", "porting.md"} <= files


# the hook-order table of docs/porting.md, checked against a recorded run
def _table_rows() -> list[tuple[str, str, str]]:
    """(run, Lightning 0.8.5 hook, orchestrator hook) for each row of the table."""
    text = (DOCS / "porting.md").read_text()
    body = text.split("<!-- hook-table:start -->")[1].split("<!-- hook-table:end -->")[0]
    rows = []
    for line in body.splitlines():
        cells = [c.strip().strip("`") for c in line.strip().strip("|").split("|")]
        if len(cells) == 4 and cells[0] in ("fit", "test"):
            rows.append((cells[0], cells[1], cells[2]))
    return rows


def _record(tmp_path: Path) -> dict[str, list[str]]:
    calls: list[str] = []

    def module_hook(name: str) -> Any:
        parent = getattr(BoringModel, name)

        def hook(self: Any, *args: Any, **kwargs: Any) -> Any:
            calls.append(name)
            return parent(self, *args, **kwargs)
        return hook

    def callback_hook(name: str) -> Any:
        return lambda self, *args: calls.append(f"CB.{name}")

    model = type("Recorded", (BoringModel,), {n: module_hook(n) for n in MODULE_HOOKS})(
        batch_size=16, n=32)
    callback = type("Recorder", (pl.callbacks.Callback,),
                    {n: callback_hook(n) for n in CALLBACK_HOOKS})()
    trainer = quiet_trainer(tmp_path, max_epochs=1, num_sanity_val_steps=1, logger=False,
                            callbacks=[callback])
    trainer.fit(model)
    fit = list(calls)
    calls.clear()
    trainer.test()
    return {"fit": fit, "test": list(calls)}


def test_hook_table_matches_a_recorded_run(tmp_path: Path) -> None:
    rows = _table_rows()
    recorded = _record(tmp_path)
    for run in ("fit", "test"):
        column = [ours for kind, _, ours in rows if kind == run and ours]
        assert column == recorded[run], f"the {run} column of docs/porting.md has drifted"


def test_hook_table_matches_the_085_recording() -> None:
    reference = Path("/work/shared/reference/seed-system-hook-order.md")
    if not reference.is_file():
        pytest.skip("the recording of Lightning 0.8.5 is not on this machine")
    block = re.search(r"```\n(.*?)```", reference.read_text(), re.DOTALL)
    assert block is not None
    lines = [line.strip() for line in block.group(1).splitlines() if line.strip()]
    split = lines.index("---- test ----")
    rows = _table_rows()
    for run, expected in (("fit", lines[:split]), ("test", lines[split + 1:])):
        assert [old for kind, old, _ in rows if kind == run and old] == expected
