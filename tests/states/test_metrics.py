"""The metric store keeps step outputs as detached tensors, without copying one twice."""

from __future__ import annotations

import torch

from states.metrics import MetricStore


def _loss() -> torch.Tensor:
    return (torch.ones(3, requires_grad=True) * 2).sum()


def test_the_loss_logged_as_itself_is_stored_once_and_detached() -> None:
    store, loss = MetricStore(), _loss()
    store.add_training_step({"loss": loss, "log": {"train_loss": loss},
                             "progress_bar": {"l": loss}})
    stored = store.callback_metrics["loss"]
    assert stored.grad_fn is None and not stored.requires_grad
    assert store.step_log["train_loss"] is stored
    assert store.progress_bar_metrics["l"] is stored
    assert store.callback_metrics["train_loss"] is stored


def test_other_logged_values_are_detached_each() -> None:
    store, loss = MetricStore(), _loss()
    other = loss * 3
    store.add_training_step({"loss": loss, "log": {"x": other}, "progress_bar": {"y": other}})
    for value in (store.step_log["x"], store.progress_bar_metrics["y"],
                  store.callback_metrics["x"], store.callback_metrics["y"]):
        assert value.grad_fn is None and float(value) == float(other.detach())
