"""Read the junit xml of a run and compare runs.

  collect.py results OUT     OUT/junit/*.xml -> OUT/results.tsv (node id, outcome, reason)
  collect.py baseline HDIR   -> HDIR/baseline_pass_wide.txt, HDIR/baseline_pass_issue.txt
  collect.py compare HDIR    orchestrator vs baseline: counts, HDIR/failures.txt
"""

import os
import sys
import xml.etree.ElementTree as ET

ISSUE_PATHS = os.environ.get("ISSUE_PATHS", "").split()


def _one_line(text: str, limit: int = 300) -> str:
    lines = [ln.strip() for ln in (text or "").splitlines() if ln.strip()]
    line = lines[0] if lines else ""
    return line if len(line) <= limit else line[:limit] + "..."


def _reason(elem) -> str:
    """One line: pytest's message (for a bare assert, after the source line that failed), or
    where that is cut or only a heading (a child process's 'ProcessRaisedException:', a
    'collection failure'), the heading and the last 'E ' line of the report."""
    message = elem.get("message", "")
    first = message.strip().splitlines()[0].strip() if message.strip() else ""
    e_lines = [ln[1:].strip() for ln in (elem.text or "").splitlines() if ln.startswith("E ")]
    heading = first.endswith(":") or first == "collection failure"
    if first.startswith("assert "):  # a bare assert: show the line that failed, too
        src = [ln[1:].strip() for ln in (elem.text or "").splitlines() if ln.startswith(">")]
        return _one_line(f"{src[-1]}  ->  {first}" if src else first)
    if first and not heading and "more lines; full report" not in message:
        return _one_line(first)
    last = e_lines[-1] if e_lines else ""
    return _one_line(f"{first} ... {last}" if first and last else first or last or elem.text)


def parse_junit(path: str):
    """(node id, outcome, reason) for each test case; a collection error has the file as id."""
    rows = []
    for case in ET.parse(path).getroot().iter("testcase"):
        file, cls, name = case.get("file"), case.get("classname", ""), case.get("name", "")
        if not cls:  # a collection error: classname "", name "tests.x.test_y"
            nodeid = file or name.replace(".", "/") + ".py"
        else:
            mod = file[:-3].replace("/", ".")
            rest = cls[len(mod):].lstrip(".") if cls.startswith(mod) else ""
            nodeid = "::".join([file, *([p for p in rest.split(".") if p]), name])
        outcome, reason = "passed", ""
        for tag in ("failure", "error", "skipped"):
            child = case.find(tag)
            if child is not None:
                outcome, reason = {"failure": "failed"}.get(tag, tag), _reason(child)
                break
        rows.append((nodeid, outcome, reason))
    return rows


def cmd_results(out: str) -> None:
    rows = []
    for f in open(os.path.join(out, "files.txt")).read().split():
        slug = f[:-3].replace("/", ".")
        xml = os.path.join(out, "junit", slug + ".xml")
        if os.path.isfile(xml):
            rows += parse_junit(xml)
        else:  # crashed or killed before pytest wrote its report
            log = os.path.join(out, "logs", slug + ".log")
            tail = open(log, errors="replace").read().strip().splitlines()[-1:] if \
                os.path.isfile(log) else []
            rows.append((f, "crashed", "no junit report (process crashed or timed out): "
                         + _one_line(tail[0] if tail else "")))
    with open(os.path.join(out, "results.tsv"), "w") as fh:
        for row in rows:
            fh.write("\t".join(row) + "\n")
    counts = {}
    for _, outcome, _ in rows:
        counts[outcome] = counts.get(outcome, 0) + 1
    print(f"[{os.path.basename(out)}] " + ", ".join(f"{k} {v}" for k, v in sorted(counts.items())))


def _read_results(out: str):
    rows = [ln.rstrip("\n").split("\t") for ln in open(os.path.join(out, "results.tsv"))]
    return {r[0]: (r[1], r[2] if len(r) > 2 else "") for r in rows}


def _in_issue_set(nodeid: str) -> bool:
    return any(nodeid.startswith(p) for p in ISSUE_PATHS)


def _write(path: str, ids) -> None:
    with open(path, "w") as fh:
        fh.writelines(i + "\n" for i in ids)


def cmd_baseline(hdir: str) -> None:
    res = _read_results(os.path.join(hdir, "results", "baseline"))
    wide = sorted(i for i, (o, _) in res.items() if o == "passed")
    issue = [i for i in wide if _in_issue_set(i)]
    _write(os.path.join(hdir, "baseline_pass_wide.txt"), wide)
    _write(os.path.join(hdir, "baseline_pass_issue.txt"), issue)
    print(f"baseline passes: wide set {len(wide)}, issue set {len(issue)}")


def cmd_compare(hdir: str) -> None:
    def ids(name):  # one node id a line (an id may hold spaces: "test_x[a b]")
        return [i for i in open(os.path.join(hdir, name)).read().split("\n") if i]

    base_wide, base_issue = ids("baseline_pass_wide.txt"), ids("baseline_pass_issue.txt")
    res = _read_results(os.path.join(hdir, "results", "orchestrator"))
    file_errors = {i: r for i, (o, r) in res.items() if "::" not in i}

    def outcome(nodeid):
        if nodeid in res:
            return res[nodeid]
        f = nodeid.split("::")[0]
        if f in file_errors:
            return "not run", "file did not run: " + file_errors[f]
        return "not run", "not collected here"

    passed = [i for i in base_wide if outcome(i)[0] == "passed"]
    _write(os.path.join(hdir, "orchestrator_pass_wide.txt"), passed)
    fails = [(i, *outcome(i)) for i in base_wide if outcome(i)[0] != "passed"]
    with open(os.path.join(hdir, "failures.txt"), "w") as fh:
        for nodeid, out, reason in fails:
            fh.write(f"{nodeid}\t{out}: {reason}\n")
    n_issue = sum(1 for i in base_issue if outcome(i)[0] == "passed")
    print(f"issue set: {n_issue} of {len(base_issue)}")
    print(f"wide set: {len(passed)} of {len(base_wide)}")
    print(f"failures: {len(fails)} (baseline-passing ids not passing here) in "
          f"{os.path.join(hdir, 'failures.txt')}")


if __name__ == "__main__":
    {"results": cmd_results, "baseline": cmd_baseline, "compare": cmd_compare}[sys.argv[1]](
        sys.argv[2])
