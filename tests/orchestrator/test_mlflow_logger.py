"""MLFlowLogger on mlflow's own store: every metric at its step and the parameters, read back
through mlflow's client; the run's status; an error naming the extra without mlflow."""

from __future__ import annotations

import shutil
import sys
from pathlib import Path

import pytest

import orchestrator as pl
from orchestrator.loggers import MLFlowLogger, TensorBoardLogger
from tests.helpers import BoringModel

mlflow = pytest.importorskip("mlflow")


class _Logged(BoringModel):
    def __init__(self) -> None:
        super().__init__(batch_size=8, n=64)
        self.hparams = {"lr": 0.05, "hidden": 16}


def test_every_metric_at_its_step_read_back_through_mlflows_client(tmp_path: Path) -> None:
    from tensorboard.backend.event_processing.event_accumulator import EventAccumulator

    logger = MLFlowLogger("digits", save_dir=str(tmp_path / "mlruns"), tags={"team": "x"},
                          lifecycle=True)
    board = TensorBoardLogger(str(tmp_path), name="tb")
    trainer = pl.Trainer(max_epochs=3, logger=[logger, board], row_log_interval=2,
                         default_root_dir=str(tmp_path), progress_bar_refresh_rate=0,
                         weights_summary=None, checkpoint_callback=False)
    trainer.fit(_Logged())
    # a fresh client on the same store, as another process (mlflow ui) would read it
    client = mlflow.tracking.MlflowClient(tracking_uri=logger.tracking_uri)
    run = client.get_run(logger.run_id)
    assert run.info.status == "FINISHED"
    assert run.data.params == {"lr": "0.05", "hidden": "16"}
    assert run.data.tags["team"] == "x"
    assert client.get_experiment(run.info.experiment_id).name == "digits"
    events = EventAccumulator(board.log_dir)
    events.Reload()
    for tag in events.Tags()["scalars"]:
        theirs = [(e.step, e.value) for e in events.Scalars(tag)]
        ours = [(m.step, m.value) for m in client.get_metric_history(logger.run_id, tag)]
        assert [s for s, _ in sorted(ours)] == [s for s, _ in sorted(theirs)], tag
        assert [v for _, v in sorted(ours)] == pytest.approx([v for _, v in sorted(theirs)])
    assert {"train_loss", "val_loss"} <= set(run.data.metrics)
    assert (tmp_path / "mlruns" / "mlflow.db").is_file()
    # the lifecycle as artifacts, the latest kept: the run's end, teardown
    listed = {f.path for f in client.list_artifacts(logger.run_id, "lifecycle")}
    assert "lifecycle/lifecycle.mmd" in listed
    mermaid = Path(client.download_artifacts(logger.run_id, "lifecycle/lifecycle.mmd",
                                             str(tmp_path))).read_text()
    assert "Class teardown s_active" in mermaid
    if shutil.which("dot"):
        assert "lifecycle/lifecycle.png" in listed
    assert str(tmp_path / "mlruns" / "artifacts") in run.info.artifact_uri


def test_a_failed_fit_marks_the_run_failed(tmp_path: Path) -> None:
    class Fails(_Logged):
        def training_step(self, batch, batch_idx):  # type: ignore[no-untyped-def]
            raise RuntimeError("deliberate")

    logger = MLFlowLogger(save_dir=str(tmp_path / "mlruns"))
    trainer = pl.Trainer(max_epochs=1, logger=logger, default_root_dir=str(tmp_path),
                         progress_bar_refresh_rate=0, weights_summary=None,
                         checkpoint_callback=False)
    with pytest.raises(RuntimeError, match="deliberate"):
        trainer.fit(Fails())
    assert logger.experiment.get_run(logger.run_id).info.status == "FAILED"
    assert logger.name == logger.experiment_id and logger.version == logger.run_id


def test_without_mlflow_the_error_names_the_extra(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setitem(sys.modules, "mlflow.tracking", None)
    with pytest.raises(ImportError, match=r"pip install 'orchestrator\[mlflow\]'"):
        MLFlowLogger()
