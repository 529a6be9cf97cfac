"""Metrics agreed across processes: the keys first, then the values (with a stand-in backend)."""

from __future__ import annotations

from types import SimpleNamespace
from typing import Any

import torch

from states.metrics import MetricStore
from states.reporting import agree_on_step_metrics, agreed


class _TwoRanks:
    """A stand-in for a 2-process backend: the other rank has ``other_keys``; reduce marks
    a value as reduced by returning it plus 1000 and records the order of the calls."""

    world_size = 2
    several_processes = True

    def __init__(self, other_keys: list[str], other_dicts: tuple[str, ...] = ()) -> None:
        self.other = sorted([(k, "scalar") for k in other_keys]
                            + [(k, "dict") for k in other_dicts])
        self.reduced: list[float] = []

    def gather_object(self, obj: Any) -> list[Any]:
        return [obj, self.other]

    def reduce(self, tensor: torch.Tensor, op: str = "mean") -> torch.Tensor:
        self.reduced.append(float(tensor))
        return tensor + 1000


def _ctx(backend: Any, store: MetricStore | None = None) -> Any:
    return SimpleNamespace(backend=backend, state=SimpleNamespace(metrics=store or MetricStore()))


def test_only_keys_every_process_has_are_reduced_in_sorted_order() -> None:
    backend = _TwoRanks(other_keys=["b", "a", "only_there"])
    values = {"b": torch.tensor(2.0), "a": 1.0, "only_here": torch.tensor(5.0),
              "text": "kept", "vector": torch.ones(3)}
    out = agreed(_ctx(backend), values)
    assert backend.reduced == [1.0, 2.0]  # a, then b: the same order on every rank
    assert float(out["a"]) == 1001.0 and float(out["b"]) == 1002.0
    assert float(out["only_here"]) == 5.0  # logged here alone: left as it is
    assert out["text"] == "kept" and torch.equal(out["vector"], torch.ones(3))


def test_nested_dicts_agree_level_by_level_and_a_kind_mismatch_stays_local() -> None:
    backend = _TwoRanks(other_keys=["a", "c"], other_dicts=("log",))
    values = {"log": {"a": 1.0, "b": 2.0}, "a": 3.0, "c": {"x": 4.0}}
    out = agreed(_ctx(backend), values)
    assert float(out["a"]) == 1003.0 and float(out["log"]["a"]) == 1001.0
    assert out["log"]["b"] == 2.0  # not on the other rank
    assert out["c"] == {"x": 4.0}  # a dict here, a scalar there: left as it is


def test_one_process_changes_nothing_and_calls_no_collective() -> None:
    backend = SimpleNamespace(world_size=1, several_processes=False)  # no gather_object, no reduce
    assert agreed(_ctx(backend), {"a": 1.0}) == {"a": 1.0}
    agree_on_step_metrics(_ctx(backend))


def test_the_latest_training_metrics_are_replaced_by_their_mean_before_callbacks() -> None:
    store = MetricStore()
    loss = torch.tensor(0.5, requires_grad=True) * 1
    store.add_training_step({"loss": loss, "log": {"train_score": torch.tensor(3.0)},
                             "progress_bar": {"tl": torch.tensor(4.0)}, "acc": torch.tensor(0.5)})
    store.add_epoch_end({"val_loss": torch.tensor(7.0)})  # reduced when it was recorded
    backend = _TwoRanks(other_keys=["acc", "loss", "tl", "train_score"])
    agree_on_step_metrics(_ctx(backend, store))
    metrics = {k: float(v) for k, v in store.callback_metrics.items()}
    assert metrics == {"loss": 1000.5, "train_score": 1003.0, "tl": 1004.0, "acc": 1000.5,
                       "val_loss": 7.0}
    assert float(store.progress_bar_metrics["tl"]) == 1004.0
