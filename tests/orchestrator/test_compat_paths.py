"""Lightning 0.8.5's import paths with ``orchestrator`` for ``pytorch_lightning``: every
compatibility path, each a thin re-export of the real object; and the behaviour of what they
re-export (rank zero, the decorators, the logger, seeding, the third-party loggers)."""

from __future__ import annotations

import ast
import importlib
import inspect
import logging
import multiprocessing
import os
import warnings
from argparse import Namespace
from pathlib import Path
from typing import Any

import numpy as np
import pytest
import torch
import torch.distributed as dist
from torch.utils.data import DataLoader, IterableDataset

import backends.accelerator
import orchestrator as pl
import orchestrator.trainer.trainer as trainer_module
from orchestrator import (
    checkpoint_io,
    collection,
    decorators,
    grads,
    hparams,
    module,
    module_hooks,
    module_io,
    rank_zero,
    summary,
)
from orchestrator import seed as seed_module
from orchestrator.decorators import auto_move_data, data_loader
from orchestrator.loggers import comet as comet_logs
from orchestrator.loggers import csv_logs
from orchestrator.loggers import mlflow as mlflow_logs
from orchestrator.loggers import neptune as neptune_logs
from orchestrator.loggers import test_tube as test_tube_logs
from orchestrator.loggers import wandb as wandb_logs
from orchestrator.rank_zero import rank_zero_info, rank_zero_only, rank_zero_warn
from orchestrator.seed import seed_everything
from schemas import errors
from states import data

# every compatibility module: its names, and the real object each one is
COMPAT: dict[str, dict[str, Any]] = {
    "orchestrator.core": {
        "LightningModule": module.LightningModule, "ModelSummary": summary.ModelSummary,
        "auto_move_data": decorators.auto_move_data, "data_loader": decorators.data_loader},
    "orchestrator.core.lightning": {"LightningModule": module.LightningModule},
    "orchestrator.core.memory": {
        "PARAMETER_NUM_UNITS": summary.PARAMETER_NUM_UNITS, "UNKNOWN_SIZE": summary.UNKNOWN_SIZE,
        "ModelSummary": summary.ModelSummary, "LayerSummary": summary.LayerSummary,
        "get_gpu_memory_map": summary.get_gpu_memory_map,
        "get_human_readable_count": summary.get_human_readable_count,
        "get_memory_profile": summary.get_memory_profile},
    "orchestrator.core.saving": {
        "ALLOWED_CONFIG_TYPES": hparams.ALLOWED_CONFIG_TYPES,
        "CHECKPOINT_PAST_HPARAMS_KEYS": module_io.CHECKPOINT_PAST_HPARAMS_KEYS,
        "PRIMITIVE_TYPES": hparams.PRIMITIVE_TYPES, "ModelIO": module_io.ModelIO,
        "convert": hparams.convert,
        "load_hparams_from_tags_csv": hparams.load_hparams_from_tags_csv,
        "load_hparams_from_yaml": hparams.load_hparams_from_yaml,
        "save_hparams_to_tags_csv": hparams.save_hparams_to_tags_csv,
        "save_hparams_to_yaml": hparams.save_hparams_to_yaml,
        "update_hparams": hparams.update_hparams},
    "orchestrator.core.decorators": {
        "auto_move_data": decorators.auto_move_data, "data_loader": decorators.data_loader},
    "orchestrator.core.hooks": {"ModelHooks": module_hooks.ModelHooks},
    "orchestrator.core.grads": {"GradInformation": grads.GradInformation},
    "orchestrator.utilities": {
        "AttributeDict": hparams.AttributeDict,
        "move_data_to_device": backends.accelerator.move_to,
        "rank_zero_info": rank_zero.rank_zero_info, "rank_zero_only": rank_zero.rank_zero_only,
        "rank_zero_warn": rank_zero.rank_zero_warn},
    "orchestrator.utilities.cloud_io": {"load": checkpoint_io.load_checkpoint},
    "orchestrator.utilities.exceptions": {
        "MisconfigurationException": errors.MisconfigurationError},
    "orchestrator.utilities.parsing": {
        "AttributeDict": hparams.AttributeDict, "clean_namespace": hparams.clean_namespace,
        "collect_init_args": hparams.collect_init_args, "get_init_args": hparams.init_args,
        "str_to_bool": hparams.str_to_bool},
    "orchestrator.utilities.seed": {"seed_everything": seed_module.seed_everything},
    "orchestrator.utilities.apply_func": {"move_data_to_device": backends.accelerator.move_to,
                                          "apply_to_collection": collection.apply_to_collection},
    "orchestrator.trainer": {"Trainer": trainer_module.Trainer,
                             "seed_everything": seed_module.seed_everything},
    "orchestrator.trainer.data_loading": {"_has_iterable_dataset": data.has_iterable_dataset,
                                          "_has_len": data.has_len,
                                          "multiprocessing": multiprocessing},
    "orchestrator.utilities.distributed": {
        "rank_zero_debug": rank_zero.rank_zero_debug, "rank_zero_info": rank_zero.rank_zero_info,
        "rank_zero_only": rank_zero.rank_zero_only, "rank_zero_warn": rank_zero.rank_zero_warn},
}
# 0.8.5 names on modules that are real homes of other things
ALIASES: dict[str, dict[str, Any]] = {
    "orchestrator": {"_logger": rank_zero.std_logger, "data_loader": decorators.data_loader,
                     "seed_everything": seed_module.seed_everything},
    "orchestrator.loggers": {"WandbLogger": wandb_logs.WandbLogger,
        "CometLogger": comet_logs.CometLogger, "NeptuneLogger": neptune_logs.NeptuneLogger,
        "MLFlowLogger": mlflow_logs.MLFlowLogger, "CSVLogger": csv_logs.CSVLogger,
        "TestTubeLogger": test_tube_logs.TestTubeLogger},
}
PATHS = [(path, name, real) for table in (COMPAT, ALIASES)
         for path, names in table.items() for name, real in names.items()]


@pytest.fixture(autouse=True)
def single_process(monkeypatch: pytest.MonkeyPatch) -> Any:
    """No rank in the environment, no pinned rank, no seed: each test sets what it needs."""
    for name in ("RANK", "LOCAL_RANK", "SLURM_PROCID", "PL_GLOBAL_SEED", "PYTHONHASHSEED"):
        monkeypatch.delenv(name, raising=False)
    yield
    rank_zero_only.rank = None


# the paths
@pytest.mark.parametrize(("path", "name", "real"), PATHS, ids=[f"{p}.{n}" for p, n, _ in PATHS])
def test_compat_path_is_the_real_object(path: str, name: str, real: Any) -> None:
    assert getattr(importlib.import_module(path), name) is real


@pytest.mark.parametrize("path", sorted(COMPAT))
def test_compat_module_is_a_thin_re_export(path: str) -> None:
    """It exports exactly the names listed above, and holds nothing but its imports."""
    compat = importlib.import_module(path)
    assert sorted(compat.__all__) == sorted(COMPAT[path])
    body = ast.parse(Path(inspect.getfile(compat)).read_text()).body
    for node in body[1:]:  # after the docstring
        is_all = isinstance(node, ast.Assign) and ast.unparse(node.targets[0]) == "__all__"
        assert isinstance(node, ast.ImportFrom | ast.Import) or is_all, ast.unparse(node)


def test_lazy_packages_on_the_top_level() -> None:
    assert pl.core is importlib.import_module("orchestrator.core")
    assert pl.utilities is importlib.import_module("orchestrator.utilities")


# rank zero
def test_rank_zero_only_reads_the_rank_from_the_environment(monkeypatch: pytest.MonkeyPatch
                                                            ) -> None:
    calls: list[int] = []
    record = rank_zero_only(calls.append)
    record(0)
    for name in ("RANK", "LOCAL_RANK", "SLURM_PROCID"):
        monkeypatch.setenv(name, "1")
        assert record(1) is None and rank_zero_only.rank == 1
        monkeypatch.delenv(name)
    monkeypatch.setenv("RANK", "0")
    monkeypatch.setenv("LOCAL_RANK", "3")  # RANK comes first
    record(2)
    assert calls == [0, 2]


def test_rank_zero_only_rank_can_be_pinned(monkeypatch: pytest.MonkeyPatch) -> None:
    calls: list[str] = []
    record = rank_zero_only(calls.append)
    rank_zero_only.rank = 1
    record("pinned to 1")
    monkeypatch.setenv("RANK", "1")
    rank_zero_only.rank = "0"  # as 0.8 set it, from os.environ
    record("pinned to 0")
    rank_zero_only.rank = None
    record("read from RANK=1")
    assert calls == ["pinned to 0"]
    for wrong in (-1, "one", 1.5, True):
        with pytest.raises(errors.MisconfigurationError, match=f"rank = {wrong!r}.*None"):
            rank_zero_only.rank = wrong


def test_a_bad_rank_variable_is_named(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("SLURM_PROCID", "x1")
    with pytest.raises(errors.MisconfigurationError, match="SLURM_PROCID='x1'"):
        rank_zero.current_rank()


def test_rank_zero_only_asks_torch_distributed_first(tmp_path: Path,
                                                     monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("RANK", "1")
    dist.init_process_group("gloo", init_method=f"file://{tmp_path / 'store'}", rank=0,
                            world_size=1)
    try:
        assert rank_zero.current_rank() == 0 and rank_zero_only.rank == 0
    finally:
        dist.destroy_process_group()
    assert rank_zero.current_rank() == 1


def test_rank_zero_warn_points_at_its_caller(monkeypatch: pytest.MonkeyPatch) -> None:
    with pytest.warns(DeprecationWarning, match="old argument") as caught:
        rank_zero_warn("old argument", DeprecationWarning)
    assert caught[0].filename == __file__
    monkeypatch.setenv("RANK", "1")
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        rank_zero_warn("not on rank 1")


def test_rank_zero_info_goes_to_the_orchestrator_logger(caplog: pytest.LogCaptureFixture,
                                                        monkeypatch: pytest.MonkeyPatch) -> None:
    with caplog.at_level(logging.INFO, logger="orchestrator"):
        rank_zero_info("epoch %d done", 3)
        monkeypatch.setenv("RANK", "1")
        rank_zero_info("not on rank 1")
    assert [(r.name, r.getMessage(), r.filename) for r in caplog.records] == [
        ("orchestrator", "epoch 3 done", os.path.basename(__file__))]


def test_logger_is_the_standard_orchestrator_logger(caplog: pytest.LogCaptureFixture) -> None:
    log = pl._logger
    assert isinstance(log, logging.Logger) and log.name == "orchestrator"
    assert log.level == logging.INFO
    assert any(type(handler) is logging.StreamHandler for handler in log.handlers)
    with caplog.at_level(logging.INFO, logger="orchestrator"):
        log.info("hello from a 0.8 script")
    assert caplog.messages == ["hello from a 0.8 script"]


# decorators
class Recorder(pl.LightningModule):
    def __init__(self) -> None:
        super().__init__()
        self.layer = torch.nn.Linear(2, 1)
        self.seen: list[Any] = []

    @auto_move_data
    def forward(self, x: torch.Tensor, extra: Any = None) -> torch.Tensor:
        self.seen.append((x, extra))
        return x


def test_auto_move_data_moves_nested_arguments_to_the_module_device() -> None:
    model = Recorder().to("meta")  # a device other than the CPU, on any machine
    model(torch.zeros(3, 2), extra={"mask": [torch.ones(3)], "n": 4})
    x, extra = model.seen[0]
    assert x.device == model.device == torch.device("meta")
    assert extra["mask"][0].device.type == "meta" and extra["n"] == 4


def test_auto_move_data_uses_transfer_batch_to_device() -> None:
    class Custom(Recorder):
        def transfer_batch_to_device(self, batch: Any, device: torch.device) -> Any:
            self.transfers.append((batch, device))
            return batch

    model = Custom()
    model.transfers = []
    x = torch.zeros(1, 2)
    model.forward(x, extra=1)
    assert model.transfers == [((x,), torch.device("cpu")), ({"extra": 1}, torch.device("cpu"))]


def test_auto_move_data_leaves_other_objects_alone() -> None:
    class Plain:
        @auto_move_data
        def forward(self, x: Any) -> Any:
            return x

    tensor = torch.zeros(1)
    assert Plain().forward(tensor) is tensor
    assert Recorder.forward.__name__ == "forward"


def test_data_loader_warns_and_returns_the_method() -> None:
    def train_dataloader(self: Any) -> list[int]:
        return [1, 2]

    with pytest.warns(DeprecationWarning, match="@data_loader on .*train_dataloader.*remove it"):
        decorated = data_loader(train_dataloader)
    assert decorated is train_dataloader and decorated(None) == [1, 2]


# seeding
def test_seed_everything_takes_numpy_integers() -> None:
    assert seed_everything(np.int64(3)) == 3
    first = torch.rand(1)
    assert seed_everything(3) == 3
    assert torch.equal(torch.rand(1), first)
    assert os.environ["PL_GLOBAL_SEED"] == os.environ["PYTHONHASHSEED"] == "3"


def test_seed_everything_none_picks_a_seed_and_keeps_it() -> None:
    chosen = seed_everything(None)
    assert isinstance(chosen, int) and 0 <= chosen < 2**32
    assert os.environ["PL_GLOBAL_SEED"] == str(chosen)
    assert seed_everything() == chosen  # read back from PL_GLOBAL_SEED


def test_seed_everything_none_reads_pl_global_seed(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("PL_GLOBAL_SEED", "17")
    assert seed_everything(None) == 17
    monkeypatch.setenv("PL_GLOBAL_SEED", "seventeen")
    with pytest.raises(errors.ConfigError, match="PL_GLOBAL_SEED='seventeen'"):
        seed_everything(None)


@pytest.mark.parametrize("wrong", [-1, 2**32, np.int64(-5)])
def test_seed_everything_out_of_range_warns_and_picks_a_valid_seed(wrong: Any) -> None:
    with pytest.warns(UserWarning, match=f"seed_everything\\({int(wrong)}\\).*out of range") as w:
        chosen = seed_everything(wrong)
    assert 0 <= chosen < 2**32 and w[0].filename == __file__
    assert os.environ["PL_GLOBAL_SEED"] == str(chosen)


@pytest.mark.parametrize("wrong", ["abc", 1.5, True])
def test_seed_everything_rejects_non_integers(wrong: Any) -> None:
    with pytest.raises(ValueError, match=f"seed_everything\\({wrong!r}\\).*integer"):
        seed_everything(wrong)


# parsing helpers
def test_str_to_bool() -> None:
    assert [hparams.str_to_bool(v) for v in ("YES", "t", "On", "1", "n", "False", "off")] == [
        True, True, True, True, False, False, False]
    with pytest.raises(ValueError, match="str_to_bool\\('maybe'\\): not a truth value"):
        hparams.str_to_bool("maybe")


def test_clean_namespace_drops_callables() -> None:
    space = Namespace(lr=0.1, fn=print, cls=int)
    plain = {"lr": 0.1, "fn": print}
    hparams.clean_namespace(space)
    hparams.clean_namespace(plain)
    assert vars(space) == plain == {"lr": 0.1}


def test_collect_init_args_walks_the_super_chain() -> None:
    class Base:
        def __init__(self, lr: float, **kwargs: Any) -> None:
            super().__init__()
            self.found = hparams.collect_init_args(inspect.currentframe(), [])

    class Child(Base):
        def __init__(self, lr: float, layers: int) -> None:
            super().__init__(lr=lr)

    assert Child(0.1, 2).found == [{"lr": 0.1}, {"lr": 0.1, "layers": 2}]


def test_the_0_8_data_loading_helpers() -> None:
    class Stream(IterableDataset):
        def __iter__(self) -> Any:
            return iter(range(4))

    assert data.has_len(DataLoader(list(range(8)), batch_size=4))
    assert not data.has_len(DataLoader(Stream(), batch_size=2))
    assert data.has_iterable_dataset(DataLoader(Stream(), batch_size=2))
    with pytest.raises(errors.MisconfigurationError, match="length 0: it yields no batch"):
        data.has_len(DataLoader([], batch_size=2))


def test_the_0_8_logging_mixin_reduces_a_gathered_dp_output() -> None:
    from orchestrator.trainer.logging import TrainerLoggingMixin

    mixin = TrainerLoggingMixin()
    out = torch.tensor([[1.0], [3.0], [5.0]])
    assert mixin.reduce_distributed_output(out, num_gpus=1) is out
    assert mixin.reduce_distributed_output(out, num_gpus=2) == 3.0
    nested = {"per_gpu": torch.tensor([1.0, 3.0]), "scalar": torch.tensor(7.0),
              "per_sample": torch.arange(6.0), "inner": {"per_gpu": torch.tensor([2.0, 4.0])}}
    reduced = mixin.reduce_distributed_output(nested, num_gpus=2)
    assert float(reduced["per_gpu"]) == 2.0 and float(reduced["inner"]["per_gpu"]) == 3.0
    assert float(reduced["scalar"]) == 7.0 and reduced["per_sample"].shape == (6,)
    assert mixin.metrics_to_scalars({"a": torch.tensor(1.5), "b": 2}) == {"a": 1.5, "b": 2.0}


# 0.8.5's module paths of names that live in a package's __init__ here
MODULE_PATHS = {
    "orchestrator.metrics.classification": "orchestrator.metrics",
    "orchestrator.metrics.regression": "orchestrator.metrics",
    "orchestrator.metrics.functional.classification": "orchestrator.metrics.functional",
    "orchestrator.metrics.functional.regression": "orchestrator.metrics.functional",
    "orchestrator.profiler.profilers": "orchestrator.profiler",
    "orchestrator.callbacks.gradient_accumulation_scheduler": "orchestrator.callbacks",
}


@pytest.mark.parametrize(("path", "home"), sorted(MODULE_PATHS.items()))
def test_a_0_8_module_path_re_exports_its_package_names(path: str, home: str) -> None:
    import ast

    module, package = importlib.import_module(path), importlib.import_module(home)
    assert module.__all__ and all(getattr(module, n) is getattr(package, n)
                                  for n in module.__all__)
    tree = ast.parse(Path(module.__file__).read_text())
    kinds = {type(node).__name__ for node in tree.body[1:]}
    assert kinds <= {"ImportFrom", "Assign"}, kinds  # imports and __all__ only
