# Shared settings for setup.sh / run_baseline.sh / run_orchestrator.sh (sourced, not run).
HERE="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
REPO_ROOT="$(cd "$HERE/../.." && pwd)"
HARNESS_DIR="${HARNESS_DIR:-/tmp/harness}"
mkdir -p "$HARNESS_DIR"
HARNESS_DIR="$(cd "$HARNESS_DIR" && pwd)"
export HARNESS_DIR
PYTHON="${PYTHON:-python3}"
JOBS="${JOBS:-2}"                    # pytest processes at once (one test file each)
TEST_TIMEOUT="${TEST_TIMEOUT:-180}"  # seconds per test (pytest-timeout)
FILE_TIMEOUT="${FILE_TIMEOUT:-3000}" # seconds per test file, a last resort against hangs
VENV085="$HARNESS_DIR/venv085"
VENVORCH="$HARNESS_DIR/venvorch"
RESULTS="$HARNESS_DIR/results"
# the "issue set": the part of the suite the compatibility work is measured on
ISSUE_PATHS="tests/trainer/ tests/callbacks/ tests/core/ tests/models/test_hooks.py tests/models/test_restore.py tests/loggers/test_tensorboard.py"
export ISSUE_PATHS

# run_files LABEL VENV FILELIST [ENV=VALUE ...]: each test file of FILELIST (paths relative to
# HARNESS_DIR) in its own pytest process, JOBS at a time; junit xml and logs in RESULTS/LABEL
run_files() {
  local label="$1" venv="$2" list="$3"; shift 3
  local out="$RESULTS/$label"
  rm -rf "$out" && mkdir -p "$out/junit" "$out/logs" "$out/work" "$out/tmp"
  cp "$list" "$out/files.txt"
  export OUT="$out" VENV="$venv" TEST_TIMEOUT FILE_TIMEOUT
  echo "[$label] $(wc -l < "$list") test files, $JOBS at a time; logs in $out/logs"
  env "$@" xargs -P "$JOBS" -I{} bash "$HERE/run_file.sh" {} < "$list"
  "$venv/bin/python" "$HERE/collect.py" results "$out"
}
