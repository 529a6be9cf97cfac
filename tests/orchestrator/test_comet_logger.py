"""CometLogger offline (comet_ml's OfflineExperiment): the archive read back with comet_ml's
own pieces (its unzip, its message schemas and classes), compared step by step with
TensorBoard's events of the same run."""

from __future__ import annotations

import json
import os
import shutil
import sys
from pathlib import Path
from typing import Any

import pytest
from tensorboard.backend.event_processing.event_accumulator import EventAccumulator

import orchestrator as pl
from orchestrator.loggers import CometLogger, TensorBoardLogger
from schemas.errors import MisconfigurationError
from tests.helpers import BoringModel

comet_ml = pytest.importorskip("comet_ml")

QUIET = {"log_code": False, "log_graph": False, "auto_param_logging": False,
         "auto_metric_logging": False, "parse_args": False, "auto_output_logging": None,
         "log_env_details": False, "log_git_metadata": False, "log_git_patch": False,
         "display_summary_level": 0}
OWN = {"curr_step", "process duration"}  # what comet logs of its own


class _Logged(BoringModel):
    def __init__(self) -> None:
        super().__init__(batch_size=8, n=64)
        self.hparams = {"lr": 0.05, "hidden": 16, "optim": {"name": "sgd"}}


def _read_archive(zip_path: str) -> tuple[dict[str, Any], list[tuple[str, float, int]],
                                          dict[str, Any]]:
    from comet_ml.config import (
        OFFLINE_EXPERIMENT_JSON_FILE_NAME,
        OFFLINE_EXPERIMENT_MESSAGES_JSON_FILE_NAME,
    )
    from comet_ml.messages import MetricMessage, ParameterMessage
    from comet_ml.offline import unzip_offline_archive
    from comet_ml.schemas import (
        get_experiment_file_validator,
        get_metric_msg_validator,
        get_parameter_msg_validator,
    )

    folder = unzip_offline_archive(zip_path)
    meta = json.loads(Path(folder, OFFLINE_EXPERIMENT_JSON_FILE_NAME).read_text())
    get_experiment_file_validator().validate(meta)
    metric_schema, param_schema = get_metric_msg_validator(), get_parameter_msg_validator()
    metrics, params = [], {}
    for line in Path(folder, OFFLINE_EXPERIMENT_MESSAGES_JSON_FILE_NAME).read_text().splitlines():
        message = json.loads(line)
        payload = message["payload"]
        if message["type"] == MetricMessage.type:
            metric_schema.validate(payload)
            metric = MetricMessage.from_message_dict(payload).metric
            if metric["metricName"] not in OWN:
                metrics.append((metric["metricName"], metric["metricValue"], metric["step"]))
        elif message["type"] == ParameterMessage.type:
            param_schema.validate(payload)
            param = ParameterMessage.from_message_dict(payload)
            if param.get_param_name() not in OWN:
                params[param.get_param_name()] = param._get_param_dict()["paramValue"]
    return meta, metrics, params


def test_metrics_and_hyperparameters_read_back_from_the_offline_archive(tmp_path: Path) -> None:
    logger = CometLogger(save_dir=str(tmp_path / "comet"), project_name="boring",
                         workspace="team", experiment_name="first", **QUIET)
    board = TensorBoardLogger(str(tmp_path), name="tb")
    trainer = pl.Trainer(max_epochs=3, logger=[logger, board], row_log_interval=2,
                         default_root_dir=str(tmp_path), progress_bar_refresh_rate=0,
                         weights_summary=None, checkpoint_callback=False)
    trainer.fit(_Logged())
    archives = os.listdir(tmp_path / "comet")
    assert len(archives) == 1 and archives[0].endswith(".zip")
    meta, metrics, params = _read_archive(str(tmp_path / "comet" / archives[0]))
    assert meta["project_name"] == "boring" and meta["workspace"] == "team"
    assert meta["offline_id"] == archives[0][:-len(".zip")]
    assert params == {"lr": 0.05, "hidden": 16, "optim/name": "sgd"}
    theirs = EventAccumulator(board.log_dir)
    theirs.Reload()
    tags = theirs.Tags()["scalars"]
    assert {"train_loss", "val_loss", "epoch"} <= set(tags)
    for tag in tags:
        expected = [(e.step, e.value) for e in theirs.Scalars(tag)]
        ours = [(step, value) for name, value, step in metrics if name == tag]
        assert [step for step, _ in ours] == [step for step, _ in expected], tag
        assert [value for _, value in ours] == pytest.approx([v for _, v in expected]), tag


def test_name_and_version_are_the_project_and_the_experiment_key(tmp_path: Path) -> None:
    logger = CometLogger(save_dir=str(tmp_path), project_name="boring", **QUIET)
    assert logger.name == "boring" and logger.save_dir == str(tmp_path)
    key = logger.version
    logger.log_metrics({"loss": 0.5}, step=3)
    logger.finalize("success")
    assert os.listdir(tmp_path) == [f"{key}.zip"]
    _, metrics, _ = _read_archive(str(tmp_path / f"{key}.zip"))
    assert metrics == [("loss", 0.5, 3)]


def test_without_api_key_or_save_dir_the_error_says_which(tmp_path: Path) -> None:
    with pytest.raises(MisconfigurationError, match=r"api_key .* or save_dir .*got neither"):
        CometLogger(project_name="boring")


def test_without_comet_ml_the_error_names_the_extra(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setitem(sys.modules, "comet_ml", None)
    with pytest.raises(ImportError, match=r"pip install 'orchestrator\[comet\]'"):
        CometLogger(save_dir="x")


@pytest.mark.skipif(shutil.which("dot") is None, reason="needs Graphviz's dot")
def test_the_lifecycle_goes_to_the_archive_as_images_and_texts(tmp_path: Path) -> None:
    from comet_ml.offline import unzip_offline_archive
    from comet_ml.schemas import get_upload_msg_validator

    logger = CometLogger(save_dir=str(tmp_path / "comet"), lifecycle=True, **QUIET)
    trainer = pl.Trainer(max_epochs=2, logger=logger, default_root_dir=str(tmp_path),
                         progress_bar_refresh_rate=0, weights_summary=None,
                         checkpoint_callback=False)
    trainer.fit(_Logged())
    (archive,) = os.listdir(tmp_path / "comet")
    folder = unzip_offline_archive(str(tmp_path / "comet" / archive))
    validator, images, texts = get_upload_msg_validator(), {}, {}
    for line in Path(folder, "messages.json").read_text().splitlines():
        message = json.loads(line)
        if message["type"] != "file_upload":
            continue
        payload = message["payload"]
        validator.validate(payload)
        params, data = payload["additional_params"], Path(folder, payload["file_path"])
        if params.get("figName") == "lifecycle":
            images[params["step"]] = data.read_bytes()
        elif params.get("type") == "text-sample":
            texts[params["step"]] = data.read_text()
    steps = sorted(images)
    assert steps and steps[-1] == len(trainer.lifecycle.history)  # teardown drawn last
    assert sorted(texts) == steps
    assert all(image.startswith(b"\x89PNG") for image in images.values())
    assert "stateDiagram-v2" in texts[steps[-1]] and "Class teardown s_active" in texts[steps[-1]]
