"""Programs written for Lightning 0.8, run in their own process with ``pytorch_lightning``
resolving to orchestrator and nothing else changed; each checks its own results and prints a
last line that the test reads."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest

HERE = Path(__file__).parent
REPO = HERE.parent.parent


def _run(program: str, *args: str) -> str:
    done = subprocess.run(
        [sys.executable, "-m", "tests.programs085.lightning_alias", str(HERE / program), *args],
        cwd=REPO, capture_output=True, text=True, timeout=300)
    assert done.returncode == 0, done.stderr[-3000:]
    return done.stdout.strip().splitlines()[-1]


@pytest.mark.slow
def test_the_template_with_argparse_save_hyperparameters_setup_and_reload(
        tmp_path: Path) -> None:
    last = _run("template.py", "--max_epochs", "3", "--default_root_dir", str(tmp_path),
                "--progress_bar_refresh_rate", "0", "--hidden_dim", "24")
    assert last.startswith("best=epoch=")
    assert float(last.split("test_acc=")[1]) > 0.5
    assert list(tmp_path.glob("lightning_logs/version_0/events.out.tfevents.*"))


@pytest.mark.slow
def test_a_two_optimizer_gan_with_the_learning_rate_logger(tmp_path: Path) -> None:
    assert _run("gan.py", str(tmp_path)) == "g_loss steps=[0, 8] lr-Adam=[0.01, 0.005]"


@pytest.mark.slow
def test_fine_tuning_a_frozen_backbone_with_functional_metrics(tmp_path: Path) -> None:
    assert _run("finetune.py", str(tmp_path)).startswith("val_acc frozen=")


@pytest.mark.slow
def test_checkpoints_written_by_lightning_08_and_07_load(tmp_path: Path) -> None:
    assert _run("load08.py", str(tmp_path)).startswith("loaded hidden=12 test_loss=")


def test_the_alias_gives_orchestrators_own_modules() -> None:
    done = subprocess.run(
        [sys.executable, "-c", "from tests.programs085.lightning_alias import install; "
         "install(); import pytorch_lightning as pl, orchestrator; "
         "from pytorch_lightning.utilities.exceptions import MisconfigurationException as M; "
         "from orchestrator.exceptions import MisconfigurationError as E; "
         "print(pl is orchestrator, M is E)"],
        cwd=REPO, capture_output=True, text=True, timeout=120)
    assert done.stdout.split() == ["True", "True"], done.stderr
