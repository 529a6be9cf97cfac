"""The demo as a user sees it: ``orchestrator demo`` in a terminal of 160 columns."""

from __future__ import annotations

import fcntl
import os
import pty
import re
import struct
import subprocess
import sys
import termios
from pathlib import Path

import pytest

pytestmark = pytest.mark.slow
REPO = Path(__file__).resolve().parents[2]
COLUMNS = 160
_ESCAPE = re.compile(r"\x1b\[(\d*)([A-Za-z])")


def screen(output: str, columns: int = COLUMNS) -> list[str]:
    """The lines a terminal of ``columns`` shows after ``output``: carriage returns go back
    to the line's start, ESC[nA moves up, ESC[K clears the rest of the line, long lines
    wrap."""
    rows: list[list[str]] = [[]]
    row = col = 0
    position = 0
    while position < len(output):
        escape = _ESCAPE.match(output, position)
        if escape:
            count, code = int(escape.group(1) or 1), escape.group(2)
            if code == "A":
                row = max(row - count, 0)
            elif code == "K":
                del rows[row][col:]
            position = escape.end()
            continue
        char = output[position]
        position += 1
        if char == "\r":
            col = 0
        elif char == "\n":
            row, col = row + 1, 0
        elif char >= " ":
            if col == columns:
                row, col = row + 1, 0
            while len(rows) <= row:
                rows.append([])
            line = rows[row]
            line.extend(" " * (col - len(line)))
            line[col:col + 1] = [char]
            col += 1
        while len(rows) <= row:
            rows.append([])
    lines = ["".join(line).rstrip() for line in rows]
    while lines and not lines[-1]:
        lines.pop()
    return lines


def _in_a_terminal(command: list[str], cwd: Path) -> str:
    parent, child = pty.openpty()
    fcntl.ioctl(child, termios.TIOCSWINSZ, struct.pack("HHHH", 50, COLUMNS, 0, 0))
    env = {**os.environ, "COLUMNS": str(COLUMNS), "PYTHONPATH": os.pathsep.join(
        [str(REPO), *filter(None, [os.environ.get("PYTHONPATH")])])}
    process = subprocess.Popen(command, cwd=cwd, stdin=child, stdout=child, stderr=child,
                               env=env, close_fds=True)
    os.close(child)
    chunks = []
    while True:
        try:
            data = os.read(parent, 65536)
        except OSError:  # the child side closed
            break
        if not data:
            break
        chunks.append(data)
    assert process.wait(timeout=300) == 0, b"".join(chunks).decode(errors="replace")[-3000:]
    os.close(parent)
    return b"".join(chunks).decode(errors="replace")


def test_the_screen_renderer_follows_carriage_returns_moves_and_wraps() -> None:
    assert screen("abc\rX\n") == ["Xbc"]
    assert screen("one\ntwo\x1b[A\rONE\n\n") == ["ONE", "two"]
    assert screen("x" * 170, columns=160) == ["x" * 160, "x" * 10]
    assert screen("keep\rke\x1b[K") == ["ke"]


def test_ten_epochs_of_the_demo_fit_in_thirty_lines(tmp_path: Path) -> None:
    sklearn = pytest.importorskip("sklearn")
    assert sklearn
    output = _in_a_terminal([sys.executable, "-m", "orchestrator", "demo", "--max-epochs", "10",
                             "--root", str(tmp_path / "runs")], tmp_path)
    lines = screen(output)
    assert len(lines) <= 30, "\n".join(lines)
    text = "\n".join(lines)
    assert " | INFO " not in text  # the weights summary has no loguru header
    assert re.search(r"train_epoch ⇄ val_check ×\d+ → teardown", text), text
    assert re.search(r"test accuracy: 0\.9\d", text), text
    assert (tmp_path / "runs" / "lightning_logs" / "version_0").is_dir()  # --root was taken


def test_the_demo_options_are_listed_and_taken_by_both_entry_points(tmp_path: Path) -> None:
    for prefix in (["-m", "orchestrator", "demo"], ["-m", "orchestrator.demo"]):
        done = subprocess.run([sys.executable, *prefix, "--help"], capture_output=True,
                              text=True, cwd=REPO, timeout=60)
        assert done.returncode == 0, done.stderr
        for option in ("--max-epochs", "--root", "--seed"):
            assert option in done.stdout, (prefix, done.stdout)
