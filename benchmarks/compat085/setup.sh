#!/usr/bin/env bash
# Build the harness under HARNESS_DIR (default /tmp/harness) from nothing: Lightning 0.8.5's
# wheel and tests (from PyPI), our tests/__init__.py + conftest.py + alias, synthetic MNIST,
# and the two venvs. Re-running rebuilds the tests and data; a venv is rebuilt only if missing
# (REBUILD_VENVS=1 rebuilds both).
set -euo pipefail
source "$(dirname "${BASH_SOURCE[0]}")/common.sh"
cd "$HARNESS_DIR"
echo "harness in $HARNESS_DIR (repo $REPO_ROOT)"

# 1. Lightning 0.8.5's wheel, unpacked
mkdir -p pl085
ls pl085/pytorch_lightning-0.8.5-*.whl >/dev/null 2>&1 ||
  "$PYTHON" -m pip download -q --no-deps pytorch-lightning==0.8.5 -d pl085
rm -rf pl085/whl
"$PYTHON" -m zipfile -e pl085/pytorch_lightning-0.8.5-*.whl pl085/whl

# 2. the tests, with our tests/__init__.py, conftest.py and alias (the wheel ships no
#    tests/__init__.py or conftest.py)
rm -rf tests test_temp
cp -r pl085/whl/tests tests
if [ -f tests/conftest.py ]; then echo "note: the wheel has tests/conftest.py; ours replaces it"; fi
cp "$HERE/harness/tests_init.py" tests/__init__.py
cp "$HERE/harness/conftest.py" tests/conftest.py
cp "$HERE/harness/tests_alias.py" tests/tests_alias.py
cp "$HERE/harness/pytest.ini" pytest.ini

# 4. baseline venv: real pytorch-lightning 0.8.5 on torch 2.13 (torch first: the local CPU build)
if [ "${REBUILD_VENVS:-0}" = 1 ] || [ ! -x "$VENV085/bin/python" ]; then
  rm -rf "$VENV085"
  "$PYTHON" -m venv "$VENV085"
  "$VENV085/bin/pip" install -q torch==2.13.0
  "$VENV085/bin/pip" install -q --no-deps pytorch-lightning==0.8.5
  "$VENV085/bin/pip" install -q tensorboard pyyaml future tqdm "numpy<2" "pandas<2.2" \
    "setuptools<70" pytest pytest-xdist pytest-timeout cloudpickle omegaconf imageio
  "$VENV085/bin/pip" install -q --no-deps test-tube
fi
# patches for 0.8.5 on torch 2.13 / Python 3.11 (idempotent)
PL="$("$VENV085/bin/python" -c 'import os, importlib.util as u; print(os.path.dirname(u.find_spec("pytorch_lightning").origin))')"
sed -i 's/_LRScheduler/LRScheduler/g' "$PL/trainer/optimizers.py" "$PL/trainer/lr_finder.py"
sed -i 's/^from collections import Mapping, Sequence$/from collections.abc import Mapping, Sequence/' \
  "$PL/utilities/apply_func.py"
sed -i 's/^from collections import Sequence$/from collections.abc import Sequence/' \
  "$PL/metrics/functional/classification.py"
sed -i 's/collections\.Sequence/collections.abc.Sequence/g' "$PL/core/lightning.py"  # tbptt split
"$VENV085/bin/python" -W ignore - <<'PY'
import importlib, pkgutil, torch, pytorch_lightning as pl
bad = []
for m in pkgutil.walk_packages(pl.__path__, "pytorch_lightning."):
    try:
        importlib.import_module(m.name)
    except Exception as e:
        bad.append(f"{m.name}: {type(e).__name__}: {e}")
print(f"venv085: pytorch_lightning {pl.__version__}, torch {torch.__version__}; "
      f"{len(bad)} modules fail to import" + "".join("\n  " + b for b in bad))
PY

# 5. orchestrator venv (never /work/main/.venv)
if [ "${REBUILD_VENVS:-0}" = 1 ] || [ ! -x "$VENVORCH/bin/python" ]; then
  rm -rf "$VENVORCH"
  "$PYTHON" -m venv "$VENVORCH"
  "$VENVORCH/bin/pip" install -q torch==2.13.0
  "$VENVORCH/bin/pip" install -q -e "$REPO_ROOT[dev]"
  "$VENVORCH/bin/pip" install -q omegaconf cloudpickle pandas imageio future pytest-timeout
  "$VENVORCH/bin/pip" install -q --no-deps test-tube
fi
"$VENVORCH/bin/python" -c 'import torch, orchestrator; print(f"venvorch: orchestrator {orchestrator.__version__} from {orchestrator.__file__}, torch {torch.__version__}")'

# 3. synthetic MNIST in HARNESS_DIR/Datasets (tests/base/datasets.py: PACKAGE_ROOT/Datasets)
rm -rf Datasets
"$VENV085/bin/python" "$HERE/make_mnist.py" "$HARNESS_DIR"
echo "setup done"
