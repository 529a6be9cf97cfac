"""Output folders are checked before a fit trains, and a checkpoint that cannot be written is
reported naming the file, with nothing partial left (issue 17 #6, #8)."""

from __future__ import annotations

import errno
import re
from pathlib import Path
from typing import Any

import pytest
import torch

import orchestrator as pl
from orchestrator.callbacks import ModelCheckpoint
from orchestrator.checkpoint_io import load_checkpoint, write_atomically
from schemas.errors import CheckpointWriteError, ConfigError
from tests.helpers import BoringModel, quiet_trainer


class _CountingModel(BoringModel):
    def __init__(self) -> None:
        super().__init__()
        self.steps = 0

    def training_step(self, batch: Any, batch_idx: int) -> Any:
        self.steps += 1
        return super().training_step(batch, batch_idx)


def _a_file(tmp_path: Path) -> Path:
    path = tmp_path / "results.txt"
    path.write_text("the user's data\n")
    return path


@pytest.mark.parametrize("argument", ["default_root_dir", "weights_save_path"])
def test_a_trainer_folder_that_is_a_file_is_refused_before_training(
        tmp_path: Path, argument: str) -> None:
    file = _a_file(tmp_path)
    kwargs: dict[str, Any] = {argument: str(file)}
    if argument == "weights_save_path":
        kwargs["default_root_dir"] = str(tmp_path / "root")
    model = _CountingModel()
    trainer = pl.Trainer(max_epochs=1, progress_bar_refresh_rate=0, weights_summary=None,
                         **kwargs)
    with pytest.raises(ConfigError, match=re.escape(f"Trainer({argument})={str(file)!r} cannot "
                                                    "be written: it is a file, not a folder")):
        trainer.fit(model)
    assert model.steps == 0 and file.read_text() == "the user's data\n"


def test_a_file_inside_the_checkpoint_folder_path_is_refused_naming_the_callback(
        tmp_path: Path) -> None:
    file = _a_file(tmp_path)
    model = _CountingModel()
    trainer = quiet_trainer(tmp_path, max_epochs=1,
                            checkpoint_callback=ModelCheckpoint(dirpath=file / "ckpts"))
    with pytest.raises(ConfigError, match=re.escape("ModelCheckpoint(dirpath)=") + ".*"
                       + re.escape(f"{str(file)!r} in its path is a file")):
        trainer.fit(model)
    assert model.steps == 0


def test_a_logger_folder_that_is_a_file_is_refused_naming_the_logger(tmp_path: Path) -> None:
    file = _a_file(tmp_path)
    trainer = quiet_trainer(tmp_path, max_epochs=1,
                            logger=pl.loggers.TensorBoardLogger(save_dir=str(file)))
    with pytest.raises(ConfigError, match=re.escape("TensorBoardLogger(save_dir)=")):
        trainer.fit(BoringModel())


def test_the_check_creates_no_folder_and_leaves_no_probe(tmp_path: Path) -> None:
    from orchestrator.output_dirs import check_output_dirs

    trainer = pl.Trainer(default_root_dir=str(tmp_path / "a" / "b"), progress_bar_refresh_rate=0)
    check_output_dirs(trainer)
    assert list(tmp_path.iterdir()) == []


def test_a_checkpoint_into_a_file_path_names_the_file_and_keeps_the_others(
        tmp_path: Path) -> None:
    kept = tmp_path / "kept.ckpt"
    write_atomically({"w": torch.ones(3)}, kept)
    file = _a_file(tmp_path)
    with pytest.raises(CheckpointWriteError, match=re.escape(
            f"could not write the checkpoint {str(file / 'x.ckpt')!r}: a part of its folder "
            "path is a file")) as info:
        write_atomically({"w": torch.ones(3)}, file / "x.ckpt")
    assert isinstance(info.value, OSError) and info.value.errno in (errno.ENOTDIR, errno.EEXIST)
    assert torch.equal(torch.load(kept, weights_only=True)["w"], torch.ones(3))
    assert sorted(p.name for p in tmp_path.iterdir()) == ["kept.ckpt", "results.txt"]


def test_torch_s_short_write_is_reported_as_the_disk_refusing_it(
        tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    # torch's zip writer reports a full disk this way (seen on a 2 MB tmpfs)
    def short_write(obj: Any, handle: Any) -> None:
        handle.write(b"PK\x03\x04partial")
        raise RuntimeError("[enforce fail at inline_container.cc:672] . unexpected pos 603712 "
                           "vs 603604")

    monkeypatch.setattr(torch, "save", short_write)
    with pytest.raises(CheckpointWriteError, match=re.escape(str(tmp_path / "a.ckpt"))):
        write_atomically({"w": torch.ones(3)}, tmp_path / "a.ckpt")
    assert list(tmp_path.iterdir()) == []  # no partial or temporary file


def test_an_unpicklable_body_is_not_reported_as_a_disk_problem(tmp_path: Path) -> None:
    with pytest.raises(Exception) as info:
        write_atomically({"w": lambda: 1}, tmp_path / "a.ckpt")
    assert not isinstance(info.value, CheckpointWriteError)
    assert list(tmp_path.iterdir()) == []


def test_a_checkpoint_written_after_the_check_still_loads(tmp_path: Path) -> None:
    trainer = quiet_trainer(tmp_path, max_epochs=1)
    trainer.fit(BoringModel())
    assert load_checkpoint(trainer.checkpoint_callback.best_model_path)["global_step"] > 0
