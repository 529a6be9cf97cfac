"""Checkpoints: what a file holds, atomic writes, exact resume, and every refused file."""

from __future__ import annotations

import os
import pickle
import re
import signal
from argparse import Namespace
from pathlib import Path
from typing import Any

import pytest
import torch
from torch import nn

import orchestrator as pl
from orchestrator.checkpoint_io import load_checkpoint
from schemas.errors import CheckpointError
from tests.helpers import BoringModel, quiet_trainer

SEED = 7
FULL_KEYS = {"manifest", "state_dict", "epoch", "global_step", "progress", "optimizer_states",
             "lr_schedulers", "callbacks", "rng", "lifecycle", "hyper_parameters"}


# helpers
def _trainer(root: Path, **kwargs: Any) -> pl.Trainer:
    defaults: dict[str, Any] = dict(logger=False, checkpoint_callback=False)
    defaults.update(kwargs)
    return quiet_trainer(root, **defaults)


def _fit(root: Path, model: pl.LightningModule, max_epochs: int, **kwargs: Any) -> pl.Trainer:
    trainer = _trainer(root, max_epochs=max_epochs, **kwargs)
    trainer.fit(model)
    return trainer


def _seeded(model_cls: type[pl.LightningModule] = BoringModel) -> pl.LightningModule:
    pl.seed_everything(SEED)
    return model_cls()


def _saved_checkpoint(tmp_path: Path, name: str = "run.ckpt", epochs: int = 1,
                      model_cls: type[pl.LightningModule] = BoringModel) -> Path:
    """Fit a seeded ``model_cls`` for ``epochs`` and save its checkpoint under tmp_path/ckpts."""
    trainer = _fit(tmp_path / "saved", _seeded(model_cls), epochs)
    path = tmp_path / "ckpts" / name
    trainer.save_checkpoint(path)
    return path


def _resume(tmp_path: Path, path: Path, model: pl.LightningModule | None = None,
            max_epochs: int = 2, **kwargs: Any) -> pl.Trainer:
    trainer = _trainer(tmp_path / "resumed", max_epochs=max_epochs,
                       resume_from_checkpoint=str(path), **kwargs)
    trainer.fit(model if model is not None else BoringModel())
    return trainer


def _module(trainer: pl.Trainer) -> Any:
    """The trainer's model (typed loosely, to read ``.layer``)."""
    assert trainer.model is not None
    return trainer.model


def _assert_same_params(a: pl.Trainer, b: pl.Trainer) -> None:
    sa, sb = _module(a).state_dict(), _module(b).state_dict()
    assert sa.keys() == sb.keys()
    for key in sa:
        assert torch.equal(sa[key], sb[key]), f"parameter {key} differs"


def _names_file(path: Path) -> str:
    return re.escape(repr(str(path)))


def _refused(path: Path) -> str:
    return "refused to load " + _names_file(path) + ".*would import or call code"


# contents
def test_save_checkpoint_writes_one_weights_only_loadable_file(tmp_path: Path) -> None:
    trainer = _fit(tmp_path, _seeded(), max_epochs=2)
    out = tmp_path / "out"
    path = out / "model.ckpt"
    trainer.save_checkpoint(path)

    assert sorted(p.name for p in out.iterdir()) == ["model.ckpt"]
    checkpoint = torch.load(path, weights_only=True)
    assert FULL_KEYS <= set(checkpoint)
    manifest = checkpoint["manifest"]
    assert manifest["kind"] == "orchestrator-checkpoint"
    assert manifest["format_version"] == 1
    assert manifest["library_version"] == pl.__version__
    assert isinstance(manifest["created_at"], str) and manifest["created_at"]
    assert checkpoint["epoch"] == trainer.current_epoch == 1
    assert checkpoint["global_step"] == trainer.global_step == 8
    assert checkpoint["progress"]["global_step"] == 8
    assert set(checkpoint["state_dict"]) == {"layer.weight", "layer.bias"}
    assert torch.equal(checkpoint["state_dict"]["layer.weight"], _module(trainer).layer.weight)
    assert len(checkpoint["optimizer_states"]) == 1
    assert checkpoint["lr_schedulers"] == []
    assert "sanity_val" in checkpoint["lifecycle"]["history"]


def test_namespace_hparams_are_stored_as_a_plain_dict(tmp_path: Path) -> None:
    model = _seeded()
    model.hparams = Namespace(lr=0.1, name="x", sizes=[1, 2])
    trainer = _fit(tmp_path, model, max_epochs=1)
    path = tmp_path / "hp.ckpt"
    trainer.save_checkpoint(path)

    hparams = torch.load(path, weights_only=True)["hyper_parameters"]
    assert type(hparams) is dict
    assert hparams == {"lr": 0.1, "name": "x", "sizes": [1, 2]}


def test_dict_hparams_are_stored_as_a_plain_dict(tmp_path: Path) -> None:
    model = _seeded()
    model.hparams = {"lr": 0.1, "name": "x", "sizes": [1, 2], "nested": {"depth": 3}}
    trainer = _fit(tmp_path, model, max_epochs=1)
    path = tmp_path / "hp.ckpt"
    trainer.save_checkpoint(path)

    hparams = torch.load(path, weights_only=True)["hyper_parameters"]
    assert hparams == {"lr": 0.1, "name": "x", "sizes": [1, 2], "nested": {"depth": 3}}


class _WithHparams(BoringModel):
    def __init__(self, lr: float = 0.1) -> None:
        super().__init__()
        self.save_hyperparameters()


def test_hparams_are_kept_under_lightnings_key_and_older_files_still_load(tmp_path: Path) -> None:
    """0.8.5's key (``hyper_parameters``, what ``LightningModule.CHECKPOINT_HYPER_PARAMS_KEY``
    names and 0.8 code reads); files this project wrote under ``hparams`` still load and resume."""
    trainer = _fit(tmp_path, _seeded(_WithHparams), max_epochs=1)
    path = tmp_path / "hp.ckpt"
    trainer.save_checkpoint(path)
    checkpoint = torch.load(path, weights_only=True)
    assert checkpoint[pl.LightningModule.CHECKPOINT_HYPER_PARAMS_KEY] == {"lr": 0.1}
    assert "hparams" not in checkpoint

    checkpoint["hparams"] = checkpoint.pop("hyper_parameters")  # the layout before
    checkpoint["hparams"]["lr"] = 0.5
    older = tmp_path / "older.ckpt"
    torch.save(checkpoint, older)
    assert _WithHparams.load_from_checkpoint(str(older)).hparams == {"lr": 0.5}
    resumed = _trainer(tmp_path / "resumed", max_epochs=2, resume_from_checkpoint=str(older))
    resumed.fit(_seeded(_WithHparams))
    assert resumed.current_epoch == 1  # (hparams come from __init__ on a resume, as in 0.8)


class _Custom:
    def __repr__(self) -> str:
        return "<Custom hparam>"


def test_non_plain_hparams_are_stored_as_their_repr(tmp_path: Path) -> None:
    model = _seeded()
    model.hparams = {"device": torch.device("cpu"), "thing": _Custom(), "lr": 0.1}
    trainer = _fit(tmp_path, model, max_epochs=1)
    path = tmp_path / "hp.ckpt"
    trainer.save_checkpoint(path)

    # weights_only=True would refuse a pickled _Custom; it loads because only its repr is stored
    hparams = torch.load(path, weights_only=True)["hyper_parameters"]
    assert hparams == {"device": repr(torch.device("cpu")), "thing": "<Custom hparam>", "lr": 0.1}
    assert b"_Custom" not in path.read_bytes()


# atomic writes
def test_save_leaves_no_temporary_files(tmp_path: Path) -> None:
    trainer = _fit(tmp_path / "run", _seeded(), max_epochs=1)
    out = tmp_path / "out"
    for _ in range(3):
        trainer.save_checkpoint(out / "a.ckpt")
    trainer.save_checkpoint(out / "b.ckpt")

    assert sorted(p.name for p in out.iterdir()) == ["a.ckpt", "b.ckpt"]


def test_save_over_an_existing_file_replaces_it(tmp_path: Path) -> None:
    path = tmp_path / "out" / "model.ckpt"
    path.parent.mkdir()
    path.write_bytes(b"an old, unrelated file")
    trainer = _fit(tmp_path / "run", _seeded(), max_epochs=1)
    trainer.save_checkpoint(path)
    assert torch.load(path, weights_only=True)["global_step"] == 4

    with torch.no_grad():  # new weights to save over the first file
        _module(trainer).layer.weight.add_(1.0)
    trainer.save_checkpoint(path)
    checkpoint = torch.load(path, weights_only=True)
    assert torch.equal(checkpoint["state_dict"]["layer.weight"], _module(trainer).layer.weight)
    assert sorted(p.name for p in path.parent.iterdir()) == ["model.ckpt"]


# exact resume
def _uninterrupted(tmp_path: Path, epochs: int,
                   model_cls: type[pl.LightningModule] = BoringModel) -> pl.Trainer:
    return _fit(tmp_path / "uninterrupted", _seeded(model_cls), epochs)


def test_resume_from_checkpoint_at_epoch_boundary_matches_uninterrupted_run(
        tmp_path: Path) -> None:
    full = _uninterrupted(tmp_path, 4)
    path = _saved_checkpoint(tmp_path, epochs=2)

    resumed = _resume(tmp_path, path, _seeded(), max_epochs=4)

    _assert_same_params(resumed, full)
    assert resumed.global_step == full.global_step == 16
    assert resumed.current_epoch == full.current_epoch == 3
    assert "sanity_val" in full.lifecycle.history
    assert "sanity_val" not in resumed.lifecycle.history
    assert resumed.lifecycle.outcome == "completed"


def test_fit_with_ckpt_path_matches_uninterrupted_run(tmp_path: Path) -> None:
    full = _uninterrupted(tmp_path, 4)
    path = _saved_checkpoint(tmp_path, epochs=2)

    trainer = _trainer(tmp_path / "resumed", max_epochs=4)
    trainer.fit(_seeded(), ckpt_path=path)

    _assert_same_params(trainer, full)
    assert trainer.global_step == 16
    assert trainer.current_epoch == 3
    assert "sanity_val" not in trainer.lifecycle.history


def test_resume_continues_step_and_epoch_counters(tmp_path: Path) -> None:
    steps: list[int] = []

    class Counting(BoringModel):
        def on_batch_start(self, batch: Any) -> None:
            steps.append(self.global_step)

    path = _saved_checkpoint(tmp_path, epochs=2, model_cls=Counting)
    steps.clear()
    trainer = _resume(tmp_path, path, Counting(), max_epochs=3)

    assert steps == [8, 9, 10, 11]  # one more epoch of 4 batches, counted on from step 8
    assert trainer.global_step == 12
    assert trainer.current_epoch == 2


class _AdamStepLR(BoringModel):
    def configure_optimizers(self) -> Any:
        optimizer = torch.optim.Adam(self.parameters(), lr=0.05)
        return [optimizer], [torch.optim.lr_scheduler.StepLR(optimizer, step_size=1, gamma=0.5)]


def test_resume_restores_adam_state_and_scheduler(tmp_path: Path) -> None:
    full = _uninterrupted(tmp_path, 4, _AdamStepLR)
    path = _saved_checkpoint(tmp_path, epochs=2, model_cls=_AdamStepLR)
    saved = torch.load(path, weights_only=True)
    assert saved["optimizer_states"][0]["state"], "Adam keeps state after two epochs"
    assert len(saved["lr_schedulers"]) == 1

    resumed = _resume(tmp_path, path, _seeded(_AdamStepLR), max_epochs=4)

    _assert_same_params(resumed, full)
    full_lr = full.optimizers[0].param_groups[0]["lr"]
    assert resumed.optimizers[0].param_groups[0]["lr"] == full_lr
    assert full_lr < 0.05  # the scheduler did step
    assert resumed.global_step == full.global_step


# refused files
def test_missing_file_raises(tmp_path: Path) -> None:
    path = tmp_path / "nope.ckpt"
    with pytest.raises(CheckpointError, match=_names_file(path) + ".*does not exist"):
        _resume(tmp_path, path)
    with pytest.raises(FileNotFoundError):  # 0.8.5's error for it, which its users catch
        _resume(tmp_path, path)


@pytest.fixture
def served(tmp_path: Path) -> Any:
    """``tmp_path`` served over HTTP on a local port; yields its base URL."""
    import functools
    import threading
    from http.server import SimpleHTTPRequestHandler, ThreadingHTTPServer

    class Quiet(SimpleHTTPRequestHandler):
        def log_message(self, *args: Any) -> None:
            pass

    handler = functools.partial(Quiet, directory=str(tmp_path))
    with ThreadingHTTPServer(("127.0.0.1", 0), handler) as server:
        threading.Thread(target=server.serve_forever, daemon=True).start()
        yield f"http://127.0.0.1:{server.server_address[1]}"
        server.shutdown()


def test_a_checkpoint_at_a_url_loads_resumes_and_tests(tmp_path: Path, served: str) -> None:
    """As 0.8.5 (which read URLs through torch.hub): load_from_checkpoint, resume_from_checkpoint
    and test(ckpt_path=...) take an http(s) URL; the file is checked as a local one."""
    path = _saved_checkpoint(tmp_path)
    url = f"{served}/{path.relative_to(tmp_path).as_posix()}"
    loaded = BoringModel.load_from_checkpoint(url).state_dict()
    local = BoringModel.load_from_checkpoint(str(path)).state_dict()
    assert all(torch.equal(loaded[key], local[key]) for key in local)
    resumed = _trainer(tmp_path / "resumed", max_epochs=2, resume_from_checkpoint=url)
    resumed.fit(_seeded())
    assert resumed.current_epoch == 1
    resumed.test(ckpt_path=url)
    assert resumed.tested_ckpt_path == url

    with pytest.raises(CheckpointError, match=re.escape(f"{served}/nope.ckpt") + ".*HTTP 404"):
        BoringModel.load_from_checkpoint(f"{served}/nope.ckpt")
    (tmp_path / "torn.ckpt").write_bytes(b"not a checkpoint")
    with pytest.raises(CheckpointError,
                       match=re.escape(f"{served}/torn.ckpt") + ".*not a checkpoint"):
        _resume(tmp_path, f"{served}/torn.ckpt")  # type: ignore[arg-type]


def test_checkpoint_error_is_a_value_error() -> None:
    assert issubclass(CheckpointError, ValueError)


def test_torn_file_raises_naming_the_file(tmp_path: Path) -> None:
    path = _saved_checkpoint(tmp_path)
    data = path.read_bytes()
    path.write_bytes(data[: len(data) // 2])

    with pytest.raises(CheckpointError, match=_names_file(path) + " is truncated: its "
                       + str(len(data) // 2) + " bytes") as info:
        _resume(tmp_path, path)
    assert "would import or call code" not in str(info.value)


def test_random_bytes_file_raises_naming_the_file(tmp_path: Path) -> None:
    path = tmp_path / "random.ckpt"
    path.write_bytes(torch.randint(0, 256, (4096,), generator=torch.Generator().manual_seed(0),
                                   dtype=torch.uint8).numpy().tobytes())
    with pytest.raises(CheckpointError, match=_names_file(path)):
        _resume(tmp_path, path)


def test_empty_file_raises_naming_the_file(tmp_path: Path) -> None:
    path = tmp_path / "empty.ckpt"
    path.write_bytes(b"")
    with pytest.raises(CheckpointError, match=_names_file(path)):
        _resume(tmp_path, path)


def test_foreign_torch_file_raises_mentioning_manifest(tmp_path: Path) -> None:
    path = tmp_path / "foreign.pt"
    torch.save({"a": 1}, path)
    with pytest.raises(CheckpointError, match=_names_file(path) + ".*'manifest'"):
        _resume(tmp_path, path)


def test_other_format_version_raises_naming_both_versions(tmp_path: Path) -> None:
    path = _saved_checkpoint(tmp_path)
    checkpoint = torch.load(path, weights_only=True)
    checkpoint["manifest"]["format_version"] = 999
    torch.save(checkpoint, path)

    with pytest.raises(CheckpointError, match=_names_file(path) + ".*format 999.*format 1\\b"):
        _resume(tmp_path, path)


class _Wider(BoringModel):
    def __init__(self) -> None:
        super().__init__()
        self.layer = nn.Linear(8, 2)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return self.layer(x)[:, :1]


class _Extra(BoringModel):
    def __init__(self) -> None:
        super().__init__()
        self.extra = nn.Linear(1, 1)


def test_checkpoint_for_a_wider_layer_names_the_mis_shaped_keys(tmp_path: Path) -> None:
    path = _saved_checkpoint(tmp_path)
    with pytest.raises(CheckpointError,
                       match=_names_file(path) + ".*another model.*layer\\.weight") as info:
        _resume(tmp_path, path, _Wider())
    assert "layer.bias" in str(info.value)
    assert "_Wider" in str(info.value)


def test_checkpoint_for_a_model_without_a_layer_names_the_missing_keys(tmp_path: Path) -> None:
    path = _saved_checkpoint(tmp_path)
    with pytest.raises(CheckpointError,
                       match=_names_file(path) + ".*missing from the checkpoint: "
                             "extra\\.bias, extra\\.weight"):
        _resume(tmp_path, path, _Extra())


def test_checkpoint_with_an_extra_layer_names_the_unexpected_keys(tmp_path: Path) -> None:
    path = _saved_checkpoint(tmp_path, model_cls=_Extra)
    expected = ".*not in the model: extra\\.bias, extra\\.weight"
    with pytest.raises(CheckpointError, match=_names_file(path) + expected):
        _resume(tmp_path, path, BoringModel())


class _Evil:
    def __init__(self, marker: Path) -> None:
        self.marker = marker

    def __reduce__(self) -> tuple[Any, ...]:
        return (os.system, ("touch " + str(self.marker),))


def test_the_evil_payload_is_live(tmp_path: Path) -> None:
    """Control: an ordinary unpickler runs the payload (so the refusal tests mean something)."""
    marker = tmp_path / "control-marker"
    pickle.loads(pickle.dumps(_Evil(marker)))
    assert marker.exists()


@pytest.mark.parametrize("protocol", [2, pickle.DEFAULT_PROTOCOL])
def test_malicious_raw_pickle_is_refused_without_running_it(tmp_path: Path,
                                                            protocol: int) -> None:
    marker = tmp_path / "pwned-raw"
    path = tmp_path / "evil.ckpt"
    path.write_bytes(pickle.dumps(_Evil(marker), protocol=protocol))

    with pytest.raises(CheckpointError, match=_refused(path)):
        _resume(tmp_path, path)
    assert not marker.exists()


def test_malicious_torch_zip_is_refused_without_running_it(tmp_path: Path) -> None:
    marker = tmp_path / "pwned-zip"
    path = tmp_path / "evil-zip.ckpt"
    torch.save({"manifest": {}, "state_dict": _Evil(marker)}, path)
    assert not marker.exists()

    with pytest.raises(CheckpointError, match=_refused(path)):
        _resume(tmp_path, path)
    assert not marker.exists()


def test_malicious_file_is_refused_by_test_ckpt_path(tmp_path: Path) -> None:
    marker = tmp_path / "pwned-test"
    path = tmp_path / "evil.ckpt"
    torch.save(_Evil(marker), path)
    trainer = _trainer(tmp_path / "t")
    with pytest.raises(CheckpointError, match="refused to load " + _names_file(path)):
        trainer.test(BoringModel(), ckpt_path=path)
    assert not marker.exists()


# test(ckpt_path=...)
def test_test_with_ckpt_path_loads_the_checkpoint_weights(tmp_path: Path) -> None:
    trainer = _fit(tmp_path / "run", _seeded(), max_epochs=2)
    path = tmp_path / "model.ckpt"
    trainer.save_checkpoint(path)
    expected = trainer.test()

    model = _module(trainer)
    with torch.no_grad():
        for p in model.parameters():
            p.add_(1.0)
    perturbed = trainer.test()
    assert perturbed != expected

    assert trainer.test(ckpt_path=path) == expected
    saved = torch.load(path, weights_only=True)["state_dict"]
    assert torch.equal(model.layer.weight, saved["layer.weight"])

    fresh_trainer = _trainer(tmp_path / "fresh")
    assert fresh_trainer.test(BoringModel(), ckpt_path=path) == expected


# weights-only checkpoints
def test_weights_only_checkpoint_holds_only_weights(tmp_path: Path) -> None:
    trainer = _fit(tmp_path / "run", _seeded(), max_epochs=1)
    path = tmp_path / "weights.ckpt"
    trainer.save_checkpoint(path, weights_only=True)

    checkpoint = torch.load(path, weights_only=True)
    assert checkpoint["manifest"]["weights_only"] is True
    assert "state_dict" in checkpoint
    for key in ("optimizer_states", "lr_schedulers", "rng", "progress", "callbacks"):
        assert key not in checkpoint


def test_resume_from_weights_only_checkpoint_raises(tmp_path: Path) -> None:
    trainer = _fit(tmp_path / "run", _seeded(), max_epochs=1)
    path = tmp_path / "weights.ckpt"
    trainer.save_checkpoint(path, weights_only=True)

    with pytest.raises(CheckpointError, match=_names_file(path) + ".*holds weights only"):
        _resume(tmp_path, path)


def test_test_accepts_a_weights_only_checkpoint(tmp_path: Path) -> None:
    trainer = _fit(tmp_path / "run", _seeded(), max_epochs=1)
    path = tmp_path / "weights.ckpt"
    trainer.save_checkpoint(path, weights_only=True)
    expected = trainer.test()

    assert _trainer(tmp_path / "t").test(BoringModel(), ckpt_path=path) == expected


# ModelCheckpoint
def test_model_checkpoint_save_last_writes_a_loadable_last_ckpt(tmp_path: Path) -> None:
    directory = tmp_path / "ckpts"
    callback = pl.callbacks.ModelCheckpoint(dirpath=directory, save_last=True)
    trainer = _trainer(tmp_path, max_epochs=3, checkpoint_callback=callback)
    trainer.fit(_seeded())

    last = directory / "last.ckpt"
    assert callback.last_model_path == str(last)
    checkpoint = torch.load(last, weights_only=True)
    assert checkpoint["global_step"] == trainer.global_step == 12
    assert checkpoint["epoch"] == trainer.current_epoch == 2
    assert torch.equal(checkpoint["state_dict"]["layer.weight"], _module(trainer).layer.weight)
    assert not [p.name for p in directory.iterdir() if p.name.startswith(".")]

    resumed = _resume(tmp_path, last, BoringModel(), max_epochs=4)
    assert resumed.global_step == 16


def test_random_bytes_are_reported_as_unreadable_not_as_code(tmp_path: Path) -> None:
    path = tmp_path / "noise.ckpt"
    path.write_bytes(bytes(range(256)) * 4)
    with pytest.raises(CheckpointError, match="is not a checkpoint: a torch checkpoint is a "
                       "zip file, and this one begins with") as info:
        load_checkpoint(path)
    assert "import or call code" not in str(info.value)
    assert str(path) in str(info.value)


def test_an_iterable_dataset_is_fast_forwarded_on_resume_with_a_warning(tmp_path: Path) -> None:
    from loguru import logger
    from torch.utils.data import DataLoader, IterableDataset

    class Stream(IterableDataset):
        def __iter__(self) -> Any:
            generator = torch.Generator().manual_seed(0)
            for _ in range(6):
                yield torch.randn(8, 8, generator=generator), torch.randn(8, 1, generator=generator)

    class Streaming(BoringModel):
        val_dataloader = pl.LightningModule.val_dataloader  # type: ignore[assignment]

        def train_dataloader(self) -> DataLoader:
            return DataLoader(Stream(), batch_size=None)

    class SaveAfter(pl.callbacks.Callback):
        def on_batch_end(self, trainer: Any, pl_module: Any) -> None:
            if trainer.global_step == 4:
                trainer.save_checkpoint(str(tmp_path / "stream.ckpt"))

    def trainer(**kwargs: Any) -> pl.Trainer:
        return quiet_trainer(tmp_path, max_epochs=1, logger=False, checkpoint_callback=False,
                             **kwargs)

    pl.seed_everything(0)
    full = Streaming()
    trainer(callbacks=[SaveAfter()]).fit(full)
    warnings: list[str] = []
    sink = logger.add(lambda message: warnings.append(str(message)), level="WARNING")
    try:
        pl.seed_everything(0)
        resumed = Streaming()
        trainer(resume_from_checkpoint=str(tmp_path / "stream.ckpt")).fit(resumed)
    finally:
        logger.remove(sink)
    assert any("fast-forwarding past 4 batches" in w for w in warnings)
    for a, b in zip(full.parameters(), resumed.parameters()):
        assert torch.equal(a, b)


def test_restored_epoch_outputs_and_metrics_go_to_the_run_s_device(tmp_path: Path) -> None:
    # a checkpoint is loaded onto the CPU; on a GPU run the epoch-end hook stacks the restored
    # outputs with new ones, so they must be where the new ones come from ("meta" stands in)
    import io

    from backends.accelerator import move_to
    from orchestrator.checkpoint_state import state_entries
    from states.stateful import StateEntry, restore

    bar = pl.callbacks.ProgressBar(file=io.StringIO())  # with a bar, the running loss is kept
    trainer = quiet_trainer(tmp_path, max_epochs=1, logger=False, checkpoint_callback=False,
                            callbacks=[bar])
    trainer.fit(BoringModel())
    entries = [e for e in state_entries(trainer)
               if isinstance(e, StateEntry) and e.key in ("metric_store", "epoch_outputs")]
    saved = {"callback_metrics": {"val_loss": torch.tensor(0.5)}, "progress_bar_metrics": {},
             "logged_metrics": {"a": 1.0}, "running_losses": torch.ones(3),
             "step_log": {"train_loss": torch.tensor(2.0)}}
    restore(entries, {"epoch_outputs": [{"loss": torch.ones(()), "n": 3}],
                      "metric_store": saved}, "resume",
            lambda value: move_to(value, torch.device("meta")))
    outputs, metrics = trainer.state.outputs.items, trainer.state.metrics
    assert outputs[0]["loss"].is_meta and outputs[0]["n"] == 3
    assert all(t.is_meta for t in metrics.running_losses)
    assert metrics.step_log["train_loss"].is_meta
    assert metrics.callback_metrics["val_loss"].is_meta
    assert metrics.logged_metrics == {"a": 1.0}


@pytest.mark.parametrize(("umask", "mode"), [(0o022, 0o644), (0o077, 0o600), (0o002, 0o664)])
def test_checkpoints_and_the_lifecycle_file_honour_the_umask(
        tmp_path: Path, umask: int, mode: int) -> None:
    """Issue 17: files were written 0600 (tempfile.mkstemp) whatever the umask; torch.save and
    open() give 0666 less the umask, so teammates on a shared disk can read them."""
    before = os.umask(umask)
    try:
        trainer = quiet_trainer(tmp_path, max_epochs=1, logger=True)
        trainer.fit(BoringModel())
        trainer.save_checkpoint(tmp_path / "manual.ckpt")
    finally:
        os.umask(before)
    written = [tmp_path / "manual.ckpt", *tmp_path.rglob("*.ckpt"),
               *tmp_path.rglob("lifecycle.json")]
    assert len(written) >= 3
    assert {path.name: path.stat().st_mode & 0o777 for path in written} == {
        path.name: mode for path in written}
    assert not list(tmp_path.rglob(".*.tmp"))  # no temporary file left behind


class _SignalInValidation(pl.Callback):
    """Sends its own process SIGTERM after validation batch 1 of the first mid-epoch check,
    and counts the batches (of training and validation) that still run."""

    def __init__(self) -> None:
        self.sent = False
        self.after: list[str] = []

    def on_validation_batch_end(self, trainer: Any, pl_module: Any) -> None:
        if self.sent:
            self.after.append("validation")
        elif trainer.lifecycle.state == "val_check":
            self.sent = True
            os.kill(os.getpid(), signal.SIGTERM)

    def on_batch_end(self, trainer: Any, pl_module: Any) -> None:
        if self.sent:
            self.after.append("training")


def test_sigterm_inside_validation_saves_within_the_batch_and_resumes_exactly(
        tmp_path: Path) -> None:
    # issue 17 #4: the validation batch running finishes, then the checkpoint is saved
    kwargs: dict[str, Any] = dict(max_epochs=2, val_check_interval=0.5, num_sanity_val_steps=0)
    whole = _fit(tmp_path / "whole", _seeded(), **kwargs)
    switch = _SignalInValidation()
    interrupted = _fit(tmp_path / "cut", _seeded(), callbacks=[switch], **kwargs)
    assert interrupted.interrupted and switch.after == []
    path = next((tmp_path / "cut").rglob("interrupted.ckpt"))
    saved = load_checkpoint(path)
    assert saved["lifecycle"]["state"] == "val_check"
    resumed = _resume(tmp_path, path, _seeded(), **kwargs)
    assert resumed.global_step == whole.global_step
    for name, value in whole.model.state_dict().items():
        assert torch.equal(value, resumed.model.state_dict()[name]), name


def _flipped(path: Path, offset: int, into: Path) -> Path:
    data = bytearray(path.read_bytes())
    data[offset] ^= 0xFF
    into.write_bytes(bytes(data))
    return into


def _record_spans(path: Path) -> dict[str, tuple[int, int]]:
    """Each zip record's name, and where its bytes lie."""
    import struct
    import zipfile

    spans, data = {}, path.read_bytes()
    for info in zipfile.ZipFile(path).infolist():
        name_length, extra_length = struct.unpack_from("<HH", data, info.header_offset + 26)
        start = info.header_offset + 30 + name_length + extra_length
        spans[info.filename] = (start, info.compress_size)
    return spans


def test_a_flipped_byte_in_any_record_is_caught_naming_the_file_and_the_record(
        tmp_path: Path) -> None:
    # issue 17 #2: the zip's CRC-32s are checked at load; nothing silently different resumes
    path = _saved_checkpoint(tmp_path)
    spans = _record_spans(path)
    assert any(name.endswith("data.pkl") for name in spans) and len(spans) > 4
    for index, (record, (start, size)) in enumerate(spans.items()):
        for offset in {start, start + size // 2, start + size - 1}:
            flipped = _flipped(path, offset, tmp_path / f"flip-{index}-{offset}.ckpt")
            with pytest.raises(CheckpointError, match=_names_file(flipped) + " is damaged: "
                               "record " + re.escape(repr(record))):
                load_checkpoint(flipped)
    with pytest.raises(CheckpointError, match="damaged: record .*data.pkl"):
        _resume(tmp_path, _flipped(path, spans[next(n for n in spans if n.endswith("data.pkl"))]
                                   [0] + 3, tmp_path / "resumed-from.ckpt"))


def test_the_refusal_of_a_code_running_pickle_is_the_only_thing_said(tmp_path: Path) -> None:
    import warnings

    path = tmp_path / "evil.ckpt"
    path.write_bytes(pickle.dumps(_Evil(tmp_path / "marker"), protocol=2))
    with warnings.catch_warnings(record=True) as caught, pytest.raises(CheckpointError):
        warnings.simplefilter("always")
        load_checkpoint(path)
    assert [str(w.message) for w in caught] == []
    assert not (tmp_path / "marker").exists()


class _AdamModel(BoringModel):
    def configure_optimizers(self) -> torch.optim.Optimizer:
        return torch.optim.Adam(self.parameters(), lr=0.01)


class _ReversedAdamModel(BoringModel):
    def configure_optimizers(self) -> torch.optim.Optimizer:
        return torch.optim.Adam([self.layer.bias, self.layer.weight], lr=0.01)


class _TwoGroupsModel(BoringModel):
    def configure_optimizers(self) -> torch.optim.Optimizer:
        return torch.optim.Adam([{"params": [self.layer.weight]},
                                 {"params": [self.layer.bias], "lr": 0.1}], lr=0.01)


class _TwoOptimizersModel(BoringModel):
    def configure_optimizers(self) -> Any:
        return [torch.optim.SGD(self.parameters(), lr=0.1),
                torch.optim.SGD(self.parameters(), lr=0.2)]


def test_resuming_into_another_optimizer_class_names_the_file_the_index_and_both(
        tmp_path: Path) -> None:
    # issue 17 #7: an SGD checkpoint into Adam failed later with a bare KeyError: 'betas'
    path = _saved_checkpoint(tmp_path)  # BoringModel trains with SGD
    with pytest.raises(CheckpointError, match=_names_file(path) + " holds the state of "
                       "optimizer 0 as SGD, but configure_optimizers returned Adam there"):
        _resume(tmp_path, path, _AdamModel())


def test_an_earlier_file_without_classes_is_checked_by_its_group_keys(tmp_path: Path) -> None:
    from orchestrator.checkpoint_io import write_atomically

    path = _saved_checkpoint(tmp_path)
    checkpoint = load_checkpoint(path)
    checkpoint["optimizer_states"][0].pop("class")
    write_atomically(checkpoint, path)
    with pytest.raises(CheckpointError, match=_names_file(path) + ".*optimizer 0 .*lack "
                       "'amsgrad', 'betas'.*Adam"):
        _resume(tmp_path, path, _AdamModel())


@pytest.mark.parametrize(("trained", "resumed", "words"), [
    (_AdamModel, _ReversedAdamModel, "parameter 0 of group 0 has the shape (1, 8) in the "
                                     "checkpoint and (1,) here"),
    (_AdamModel, _TwoGroupsModel, "has 1 parameter group(s) in the checkpoint and 2 here"),
    (_TwoGroupsModel, _AdamModel, "has 2 parameter group(s) in the checkpoint and 1 here"),
    (BoringModel, _TwoOptimizersModel, "holds 1 optimizer state(s) but configure_optimizers "
                                       "returned 2"),
])
def test_resuming_into_other_parameter_groups_names_what_differs(
        tmp_path: Path, trained: type[pl.LightningModule], resumed: type[pl.LightningModule],
        words: str) -> None:
    path = _saved_checkpoint(tmp_path, model_cls=trained)
    with pytest.raises(CheckpointError, match=_names_file(path) + ".*" + re.escape(words)):
        _resume(tmp_path, path, resumed())


def test_the_same_optimizers_resume_as_before(tmp_path: Path) -> None:
    path = _saved_checkpoint(tmp_path, model_cls=_TwoGroupsModel)
    assert load_checkpoint(path)["optimizer_states"][0]["class"] == "torch.optim.adam.Adam"
    assert _resume(tmp_path, path, _TwoGroupsModel()).global_step == 8


class _EpochSchedulerModel(BoringModel):
    def configure_optimizers(self) -> Any:
        optimizer = torch.optim.SGD(self.parameters(), lr=0.1)
        return [optimizer], [torch.optim.lr_scheduler.ExponentialLR(optimizer, gamma=0.5)]


class _SaveAtFirstEpochEnd(pl.Callback):
    def __init__(self, path: Path) -> None:
        self.path = path

    def on_epoch_end(self, trainer: Any, pl_module: Any) -> None:
        if trainer.current_epoch == 0:
            trainer.save_checkpoint(self.path)


def test_a_resume_before_the_epoch_scheduler_steps_gives_no_false_torch_warning(
        tmp_path: Path) -> None:
    # issue 17 #12: the resumed run's first scheduler step came before any optimizer step in
    # the process, and torch warned "Detected call of `lr_scheduler.step()` before ..."
    import warnings

    path = tmp_path / "epoch0.ckpt"
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        whole = _fit(tmp_path / "whole", _seeded(_EpochSchedulerModel), 2,
                     callbacks=[_SaveAtFirstEpochEnd(path)])
        resumed = _resume(tmp_path, path, _seeded(_EpochSchedulerModel), max_epochs=2)
    assert [str(w.message) for w in caught if "lr_scheduler" in str(w.message)] == []
    assert resumed.optimizers[0].param_groups[0]["lr"] == pytest.approx(0.025)
    _assert_same_params(whole, resumed)


class _SignalInSanityCheck(pl.Callback):
    def __init__(self) -> None:
        self.sent = False
        self.after = 0

    def on_validation_batch_end(self, trainer: Any, pl_module: Any) -> None:
        if self.sent:
            self.after += 1
        elif trainer.lifecycle.state == "sanity_val":
            self.sent = True
            os.kill(os.getpid(), signal.SIGTERM)

    def on_batch_end(self, trainer: Any, pl_module: Any) -> None:
        self.after += 1


def test_sigterm_in_the_sanity_check_ends_the_run_there_without_a_checkpoint(
        tmp_path: Path) -> None:
    switch = _SignalInSanityCheck()
    trainer = _fit(tmp_path, _seeded(), 1, num_sanity_val_steps=-1, callbacks=[switch])
    assert trainer.interrupted and switch.sent and switch.after == 0
    assert trainer.global_step == 0 and not list(tmp_path.rglob("*.ckpt"))
