#!/usr/bin/env bash
# Lightning 0.8.5's tests against real pytorch-lightning 0.8.5 (venv085): every test file in its
# own pytest process. Writes HARNESS_DIR/baseline_pass_wide.txt (every passing node id) and
# baseline_pass_issue.txt (those under ISSUE_PATHS, see common.sh).
set -euo pipefail
source "$(dirname "${BASH_SOURCE[0]}")/common.sh"
[ -d "$HARNESS_DIR/tests" ] || { echo "no $HARNESS_DIR/tests: run setup.sh first" >&2; exit 1; }
mkdir -p "$RESULTS"
(cd "$HARNESS_DIR" && find tests -name 'test_*.py' | sort) > "$RESULTS/baseline_files.txt"
# checkpoints of 0.8.5 hold pickled objects: torch 2.13's weights_only default would refuse them
run_files baseline "$VENV085" "$RESULTS/baseline_files.txt" TORCH_FORCE_NO_WEIGHTS_ONLY_LOAD=1
"$VENV085/bin/python" "$HERE/collect.py" baseline "$HARNESS_DIR"
