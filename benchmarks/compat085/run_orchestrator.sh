#!/usr/bin/env bash
# The same test files against orchestrator (venvorch, HARNESS_ALIAS=1: pytorch_lightning is
# orchestrator), each in its own pytest process; counts passes among the baseline's passing ids
# and writes HARNESS_DIR/failures.txt (baseline-passing ids that do not pass here, with why).
set -euo pipefail
source "$(dirname "${BASH_SOURCE[0]}")/common.sh"
[ -f "$HARNESS_DIR/baseline_pass_wide.txt" ] || { echo "run run_baseline.sh first" >&2; exit 1; }
mkdir -p "$RESULTS"
cut -d: -f1 "$HARNESS_DIR/baseline_pass_wide.txt" | sort -u > "$RESULTS/orchestrator_files.txt"
# venvorch's orchestrator is an editable install of this repo: record which tree was measured
tree_state() { git -C "$REPO_ROOT" rev-parse HEAD; git -C "$REPO_ROOT" status --short | sed 's/^/  /'; \
  git -C "$REPO_ROOT" diff HEAD | sha1sum | sed 's/^/  diff sha1 /'; }
before="$(tree_state)"
run_files orchestrator "$VENVORCH" "$RESULTS/orchestrator_files.txt" HARNESS_ALIAS=1
after="$(tree_state)"
echo "$before" > "$RESULTS/orchestrator/repo_state.txt"
echo "orchestrator at $before" | head -n 1
[ "$before" = "$after" ] || { echo "WARNING: the repo changed during the run; now: $after" |
  tee -a "$RESULTS/orchestrator/repo_state.txt"; }
"$VENVORCH/bin/python" "$HERE/collect.py" compare "$HARNESS_DIR"
