#!/usr/bin/env bash
# run_file.sh TESTFILE: one Lightning test file in its own pytest process (called by run_files in
# common.sh, with HARNESS_DIR, OUT, VENV, TEST_TIMEOUT, FILE_TIMEOUT set). Each file gets its own
# working directory (tests write lightning_logs/ to the cwd; test_hparams reads MNIST/ there,
# a link to the synthetic data) and its own pytest basetemp.
set -u
f="$1"
slug="$(echo "${f%.py}" | tr '/' '.')"
wd="$OUT/work/$slug"
mkdir -p "$wd" && ln -sfn "$HARNESS_DIR/Datasets/MNIST" "$wd/MNIST"
cd "$wd" || exit 1
start=$(date +%s)
timeout -k 30 "$FILE_TIMEOUT" "$VENV/bin/python" -m pytest -p no:cacheprovider -rA \
  --timeout="$TEST_TIMEOUT" -c "$HARNESS_DIR/pytest.ini" --rootdir="$HARNESS_DIR" \
  --basetemp="$OUT/tmp/$slug" --junitxml="$OUT/junit/$slug.xml" "$HARNESS_DIR/$f" \
  > "$OUT/logs/$slug.log" 2>&1
rc=$?
echo "$rc" > "$OUT/logs/$slug.rc"
echo "  $f: rc=$rc, $(( $(date +%s) - start ))s, $(tail -n 1 "$OUT/logs/$slug.log" | cut -c1-100)"
