"""Hyperparameters as 0.8 code keeps them: AttributeDict, save_hyperparameters, the hparams
setter, checkpoints, YAML/CSV files and load_from_checkpoint (ours and Lightning 0.8's)."""

from __future__ import annotations

import argparse
import subprocess
import sys
import textwrap
import warnings
from pathlib import Path
from typing import Any

import pytest
import torch
from torch.nn import functional as F

import orchestrator as pl
from orchestrator.checkpoint_io import load_module_checkpoint
from orchestrator.exceptions import CheckpointError, HyperparametersError
from orchestrator.hparams import (
    AttributeDict,
    load_hparams_from_tags_csv,
    load_hparams_from_yaml,
    save_hparams_to_tags_csv,
    save_hparams_to_yaml,
)
from tests.helpers import BoringModel, quiet_trainer


# AttributeDict
def test_attribute_dict_keys_are_attributes() -> None:
    hparams = AttributeDict(lr=0.1)
    hparams.batch_size = 32
    assert hparams["batch_size"] == 32 and hparams.lr == 0.1
    with pytest.raises(AttributeError, match='Missing attribute "depth"'):
        _ = hparams.depth
    assert repr(hparams) == '"batch_size": 32\n"lr":         0.1'
    assert repr(AttributeDict()) == ""


# save_hyperparameters
class Saved(BoringModel):
    def __init__(self, lr: float = 0.05, hidden: int = 4, *args: Any, **kwargs: Any) -> None:
        super().__init__(lr=lr)
        self.save_hyperparameters()


class Named(BoringModel):
    def __init__(self, lr: float = 0.05, hidden: int = 4, note: str = "x") -> None:
        super().__init__(lr=lr)
        self.save_hyperparameters("lr", "note")


def test_save_hyperparameters_keeps_every_init_argument_and_the_kwargs() -> None:
    model = Saved(0.1, 8, "ignored positional", depth=3)
    assert model.hparams == {"lr": 0.1, "hidden": 8, "depth": 3}
    assert model.hparams.depth == 3 and model._hparams_name == "kwargs"


def test_save_hyperparameters_by_name_keeps_those() -> None:
    assert Named(lr=0.2).hparams == {"lr": 0.2, "note": "x"}


@pytest.mark.parametrize("given", [{"lr": 0.3}, argparse.Namespace(lr=0.3)], ids=["dict", "ns"])
def test_save_hyperparameters_of_one_object_keeps_it(given: Any) -> None:
    class FromObject(BoringModel):
        def __init__(self, config: Any) -> None:
            super().__init__()
            self.save_hyperparameters(config)

    model = FromObject(given)
    assert model.hparams == {"lr": 0.3} and model._hparams_name == "config"


def test_save_hyperparameters_of_an_unknown_name_says_which_exist() -> None:
    class Wrong(BoringModel):
        def __init__(self, lr: float = 0.1) -> None:
            super().__init__()
            self.save_hyperparameters("learning_rate")

    with pytest.raises(HyperparametersError, match=r"'learning_rate' is not an argument of "
                                                   r"Wrong.__init__; its arguments are \['lr'\]"):
        Wrong()


# the setter, as 0.8 code assigns
def test_assigning_a_namespace_gives_an_attribute_dict_merged_in() -> None:
    class Assigned(BoringModel):
        def __init__(self, hparams: argparse.Namespace) -> None:
            super().__init__()
            self.hparams = hparams

    model = Assigned(argparse.Namespace(lr=0.1, hidden=4))
    assert isinstance(model.hparams, AttributeDict) and model.hparams.lr == 0.1
    assert model._hparams_name == "hparams"
    model.hparams = {"extra": 1}  # 0.8.5 merges a second assignment
    assert model.hparams == {"lr": 0.1, "hidden": 4, "extra": 1}
    model.hparams = None
    assert model.hparams == {}


@pytest.mark.parametrize("value", [3, "lr=0.1", object()])
def test_hparams_that_are_not_a_dict_or_namespace_are_refused(value: Any) -> None:
    model = BoringModel()
    with pytest.raises(HyperparametersError, match="must be an argparse.Namespace or a dict"):
        model.hparams = value
    assert issubclass(HyperparametersError, TypeError)
    assert issubclass(HyperparametersError, ValueError)  # 0.8.5 raised a ValueError


# files
def test_hparams_round_trip_through_yaml_and_csv(tmp_path: Path) -> None:
    hparams = AttributeDict(lr=0.1, layers=[1, 2], name="net", nested={"a": 1})
    save_hparams_to_yaml(tmp_path / "hp.yaml", hparams)
    assert load_hparams_from_yaml(tmp_path / "hp.yaml") == hparams
    save_hparams_to_tags_csv(tmp_path / "hp.csv", argparse.Namespace(lr=0.1, name="net"))
    assert load_hparams_from_tags_csv(tmp_path / "hp.csv") == {"lr": 0.1, "name": "net"}
    assert load_hparams_from_yaml(tmp_path / "missing.yaml") == {}
    with pytest.raises(HyperparametersError, match="does not exist"):
        save_hparams_to_yaml(tmp_path / "no" / "hp.yaml", hparams)


# load_from_checkpoint
def _saved_run(tmp_path: Path, model: pl.LightningModule) -> str:
    trainer = quiet_trainer(tmp_path, max_epochs=1, logger=False)
    trainer.fit(model)
    return trainer.checkpoint_callback.best_model_path


def test_load_from_checkpoint_rebuilds_a_module_that_saved_its_arguments(tmp_path: Path) -> None:
    trained = Saved(lr=0.2, hidden=6, depth=2)
    path = _saved_run(tmp_path, trained)
    loaded = Saved.load_from_checkpoint(path)
    assert loaded.hparams == {"lr": 0.2, "hidden": 6, "depth": 2} and loaded.lr == 0.2
    assert torch.equal(loaded.layer.weight, trained.layer.weight)
    assert Saved.load_from_checkpoint(path, hidden=9).hparams.hidden == 9


def test_load_from_checkpoint_passes_assigned_hparams_back_by_name(tmp_path: Path) -> None:
    class Assigned(BoringModel):
        def __init__(self, hparams: Any) -> None:
            super().__init__(lr=hparams.lr)
            self.hparams = hparams

    path = _saved_run(tmp_path, Assigned(argparse.Namespace(lr=0.07)))
    loaded = Assigned.load_from_checkpoint(path)
    assert loaded.hparams.lr == 0.07 and loaded.lr == 0.07
    yaml_file = tmp_path / "override.yaml"
    save_hparams_to_yaml(yaml_file, {"lr": 0.5})
    assert Assigned.load_from_checkpoint(path, hparams_file=str(yaml_file)).lr == 0.5


def test_load_from_checkpoint_refuses_weights_of_another_model(tmp_path: Path) -> None:
    class Wider(Saved):
        def __init__(self, *args: Any, **kwargs: Any) -> None:
            super().__init__(*args, **kwargs)
            self.layer = torch.nn.Linear(8, 2)

    path = _saved_run(tmp_path, Saved())
    with pytest.raises(CheckpointError, match="of another shape: layer.bias"):
        Wider.load_from_checkpoint(path)
    with pytest.raises(RuntimeError, match="size mismatch"):
        Wider.load_from_checkpoint(path, strict=False)


def test_load_from_metrics_is_the_deprecated_spelling(tmp_path: Path) -> None:
    path = _saved_run(tmp_path, Saved(lr=0.3))
    csv = tmp_path / "tags.csv"
    save_hparams_to_tags_csv(csv, {"lr": 0.4, "hidden": 4})
    with pytest.warns(DeprecationWarning, match="load_from_metrics is deprecated"):
        assert Saved.load_from_metrics(path, tags_csv=str(csv)).lr == 0.4


# a file in Lightning 0.8's layout, made with stand-ins of its pickled classes
_LIGHTNING_FILE = textwrap.dedent('''
    import argparse, os, sys, types, torch
    pl = types.ModuleType("pytorch_lightning")
    utils = types.ModuleType("pytorch_lightning.utilities")
    parsing = types.ModuleType("pytorch_lightning.utilities.parsing")
    class AttributeDict(dict):
        pass
    AttributeDict.__module__ = parsing.__name__
    parsing.AttributeDict = AttributeDict
    sys.modules.update({m.__name__: m for m in (pl, utils, parsing)})
    state = {k: v for k, v in torch.nn.Linear(8, 1).state_dict().items()}
    torch.save({"epoch": 3, "global_step": 12, "pytorch-lightning_version": "0.8.5",
                "state_dict": {"layer." + k: v for k, v in state.items()},
                "optimizer_states": [], "lr_schedulers": [], "hparams_name": "hparams",
                "hyper_parameters": AttributeDict(lr=0.25, ns=argparse.Namespace(depth=2))},
               sys.argv[1])
''')


def test_load_from_checkpoint_reads_a_lightning_0_8_file_without_running_its_code(
        tmp_path: Path) -> None:
    path = tmp_path / "lightning.ckpt"
    subprocess.run([sys.executable, "-c", _LIGHTNING_FILE, str(path)], check=True)

    class Ported(BoringModel):
        def __init__(self, hparams: Any) -> None:
            super().__init__(lr=hparams["lr"])
            self.hparams = hparams

    with warnings.catch_warnings():
        warnings.simplefilter("error")  # nothing to warn about
        model = Ported.load_from_checkpoint(path)
    assert model.hparams.lr == 0.25 and model.hparams.ns.depth == 2
    saved = load_module_checkpoint(path)
    assert torch.equal(model.layer.weight, saved["state_dict"]["layer.weight"])
    assert saved["epoch"] == 3 and saved["pytorch-lightning_version"] == "0.8.5"


def test_a_lightning_file_that_asks_for_code_is_still_refused(tmp_path: Path) -> None:
    class Evil:
        def __reduce__(self) -> Any:
            return (print, ("ran",))

    path = tmp_path / "evil.ckpt"
    torch.save({"state_dict": {}, "hyper_parameters": {"x": Evil()}}, path)
    with pytest.raises(CheckpointError, match="refused to load"):
        BoringModel.load_from_checkpoint(path)


def test_training_step_with_saved_hyperparameters_trains(tmp_path: Path) -> None:
    class Uses(BoringModel):
        def __init__(self, lr: float = 0.05) -> None:
            super().__init__()
            self.save_hyperparameters()

        def training_step(self, batch: Any, batch_idx: int) -> Any:
            x, y = batch
            return F.mse_loss(self(x), y) * self.hparams.lr / self.hparams["lr"]

    quiet_trainer(tmp_path, max_epochs=1, logger=False, checkpoint_callback=False).fit(Uses())
