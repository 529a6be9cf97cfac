"""apply_to_collection (0.8.5's utilities.apply_func) and the loggers' dummies."""

from __future__ import annotations

import copy
import numbers
import pickle
from collections import OrderedDict, namedtuple
from typing import Any

import pytest
import torch

from orchestrator import rank_zero
from orchestrator.collection import apply_to_collection
from orchestrator.loggers.base import (
    DummyExperiment,
    DummyLogger,
    LightningLoggerBase,
    rank_zero_experiment,
)

Pair = namedtuple("Pair", ["left", "right"])


def test_apply_to_collection_reaches_every_element_of_the_type_and_keeps_containers() -> None:
    data = {"a": torch.tensor([1.0]), "b": [torch.tensor([2.0])], "c": (torch.tensor([3.0]),),
            "d": Pair(left=5.0, right="x"), "e": "text", "f": 12, "g": OrderedDict(h=[1.5])}
    doubled = apply_to_collection(data, (torch.Tensor, numbers.Number), lambda x: x * 2)
    assert type(doubled) is dict and list(doubled) == list(data)
    assert torch.equal(doubled["a"], torch.tensor([2.0]))
    assert isinstance(doubled["b"], list) and torch.equal(doubled["b"][0], torch.tensor([4.0]))
    assert isinstance(doubled["c"], tuple) and torch.equal(doubled["c"][0], torch.tensor([6.0]))
    assert doubled["d"] == Pair(left=10.0, right="x")
    assert (doubled["e"], doubled["f"]) == ("text", 24)
    assert type(doubled["g"]) is OrderedDict and doubled["g"] == OrderedDict(h=[3.0])


def test_apply_to_collection_passes_extra_arguments_and_leaves_other_types() -> None:
    assert apply_to_collection([1, "2", 3], int, lambda x, k, *, m: x * k + m, 10, m=1) == [
        11, "2", 31]
    marker = object()
    assert apply_to_collection(marker, int, lambda x: x) is marker


def test_dummy_experiment_does_nothing_and_copies() -> None:
    experiment = DummyExperiment()
    assert experiment.add_scalar("loss", 1.0, global_step=3) is None
    assert experiment.anything() is None
    assert isinstance(copy.deepcopy(experiment), DummyExperiment)
    assert isinstance(pickle.loads(pickle.dumps(experiment)), DummyExperiment)


def test_dummy_logger_takes_every_call() -> None:
    logger = DummyLogger()
    logger.log_metrics({"loss": 1.0}, 0)
    logger.log_hyperparams({"lr": 0.1})
    logger.agg_and_log_metrics({"loss": 1.0}, 1)
    logger.close()
    assert isinstance(logger.experiment, DummyExperiment)
    assert (logger.name, logger.version, logger.save_dir) == ("", "", None)


class _Recording(LightningLoggerBase):
    @property
    @rank_zero_experiment
    def experiment(self) -> Any:
        return "real"

    name = "recording"
    version = 0

    def log_metrics(self, metrics: dict[str, float], step: int | None = None) -> None:
        pass

    def log_hyperparams(self, params: Any) -> None:
        pass


@pytest.mark.parametrize(("rank", "real"), [(0, True), (1, False)])
def test_rank_zero_experiment_is_real_on_rank_zero_only(rank: int, real: bool) -> None:
    rank_zero.rank_zero_only.rank = rank
    try:
        experiment = _Recording().experiment
    finally:
        rank_zero.rank_zero_only.rank = None
    assert (experiment == "real") is real
    assert real or isinstance(experiment, DummyExperiment)
