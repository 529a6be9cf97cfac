"""Training-loop behaviour: return forms, step_end, outputs, accumulation, optimizers, tbptt."""

from __future__ import annotations

from typing import Any

import pytest
import torch
from torch import nn
from torch.nn import functional as F
from torch.utils.data import DataLoader, TensorDataset

import orchestrator as pl
from schemas.errors import HookOutputError, MisconfigurationError, NonFiniteLossError
from tests.helpers import BoringModel, TrainOnlyModel, quiet_trainer, regression_data


def _fit(tmp_path: Any, model: pl.LightningModule, **kwargs: Any) -> pl.Trainer:
    options: dict[str, Any] = dict(max_epochs=1, logger=False, checkpoint_callback=False)
    options.update(kwargs)
    trainer = quiet_trainer(tmp_path, **options)
    trainer.fit(model)
    return trainer


def test_training_step_may_return_a_bare_loss_tensor(tmp_path: Any) -> None:
    class BareLoss(TrainOnlyModel):
        def training_step(self, batch: Any, batch_idx: int) -> torch.Tensor:
            x, y = batch
            return F.mse_loss(self(x), y)

    trainer = _fit(tmp_path, BareLoss())
    assert trainer.global_step == 4
    assert "loss" in trainer.callback_metrics


def test_extra_keys_of_training_step_become_callback_metrics(tmp_path: Any) -> None:
    class Extra(TrainOnlyModel):
        def training_step(self, batch: Any, batch_idx: int) -> dict[str, Any]:
            out = super().training_step(batch, batch_idx)
            out["my_metric"] = torch.tensor(float(batch_idx))
            return out

    trainer = _fit(tmp_path, Extra())
    assert trainer.callback_metrics["my_metric"].item() == 3.0
    assert trainer.callback_metrics["train_loss"] is not None
    assert "tl" in trainer.progress_bar_metrics


def test_step_end_receives_step_output_and_replaces_it(tmp_path: Any) -> None:
    seen: list[Any] = []

    class StepEnd(TrainOnlyModel):
        def training_step(self, batch: Any, batch_idx: int) -> dict[str, Any]:
            x, y = batch
            return {"raw": F.mse_loss(self(x), y)}

        def training_step_end(self, outputs: dict[str, Any]) -> dict[str, Any]:
            seen.append(sorted(outputs))
            return {"loss": outputs["raw"] * 1.0, "log": {"from_end": outputs["raw"]}}

    trainer = _fit(tmp_path, StepEnd())
    assert seen == [["raw"]] * 4
    assert "from_end" in trainer.callback_metrics


def test_outputs_are_collected_only_for_an_overridden_epoch_end_and_detached(tmp_path: Any) -> None:
    received: list[Any] = []

    class Collects(TrainOnlyModel):
        def training_step(self, batch: Any, batch_idx: int) -> dict[str, Any]:
            out = super().training_step(batch, batch_idx)
            out["nested"] = [out["loss"] * 2, (out["loss"] * 3,), {"deep": out["loss"] * 4}]
            return out

        def training_epoch_end(self, outputs: list[Any]) -> dict[str, Any]:
            received.extend(outputs)
            mean = torch.stack([o["loss"] for o in outputs]).mean()
            return {"log": {"epoch_loss": mean}, "epoch_loss": mean}

    trainer = _fit(tmp_path, Collects())
    assert len(received) == 4
    for output in received:
        tensors = [output["loss"], output["nested"][0], output["nested"][1][0],
                   output["nested"][2]["deep"], output["log"]["train_loss"]]
        assert all(t.grad_fn is None and not t.requires_grad for t in tensors)
    assert "epoch_loss" in trainer.callback_metrics
    assert trainer.state.outputs.items == []


def test_no_outputs_are_kept_without_an_epoch_end_hook(tmp_path: Any) -> None:
    trainer = _fit(tmp_path, TrainOnlyModel())
    assert trainer.state.outputs.items == []


def test_python_numbers_in_log_become_tensors_by_default(tmp_path: Any) -> None:
    class Numbers(TrainOnlyModel):
        def training_step(self, batch: Any, batch_idx: int) -> dict[str, Any]:
            out = super().training_step(batch, batch_idx)
            out["log"] = {"lr": 0.05}
            out["progress_bar"] = {"batch": batch_idx}
            return out

    trainer = _fit(tmp_path, Numbers())
    assert isinstance(trainer.callback_metrics["lr"], torch.Tensor)
    with pytest.raises(HookOutputError, match=r"training_step .* at epoch 0, batch 0: .*the "
                                              r"value of 'log.lr' must be a tensor with strict"):
        _fit(tmp_path, Numbers(), strict_outputs=True)


def test_a_malformed_output_names_hook_epoch_batch_and_key(tmp_path: Any) -> None:
    class Typo(TrainOnlyModel):
        def training_step(self, batch: Any, batch_idx: int) -> dict[str, Any]:
            x, y = batch
            if batch_idx < 2:
                return {"loss": F.mse_loss(self(x), y)}
            return {"los": F.mse_loss(self(x), y)}

    with pytest.raises(HookOutputError, match=r"training_step returned \{'los': \.\.\.\} at epoch "
                                              r"0, batch 2: the key 'loss' is required \(did you "
                                              r"mean 'los'\?\)"):
        _fit(tmp_path, Typo())


def test_epoch_end_returning_a_list_is_an_error(tmp_path: Any) -> None:
    class BadEpochEnd(BoringModel):
        def validation_epoch_end(self, outputs: list[Any]) -> Any:
            return [1, 2]

    with pytest.raises(HookOutputError, match="validation_epoch_end returned a list of 2 items"):
        _fit(tmp_path, BadEpochEnd())


def test_terminate_on_nan_stops_with_an_error(tmp_path: Any) -> None:
    class NaNLoss(TrainOnlyModel):
        def training_step(self, batch: Any, batch_idx: int) -> dict[str, Any]:
            out = super().training_step(batch, batch_idx)
            if batch_idx == 1:
                out["loss"] = out["loss"] * float("nan")
            return out

    with pytest.raises(NonFiniteLossError,
                       match=r"loss returned in `training_step` is nan or inf \(nan\) "
                             r"at epoch 0, batch 1"):
        _fit(tmp_path, NaNLoss(), terminate_on_nan=True)
    with pytest.raises(ValueError):  # 0.8.5 raised a ValueError, and code catches that
        _fit(tmp_path, NaNLoss(), terminate_on_nan=True)
    _fit(tmp_path, NaNLoss())  # without the flag the run goes on


def test_terminate_on_nan_stops_at_a_non_finite_parameter_naming_it(tmp_path: Any) -> None:
    class NaNBias(TrainOnlyModel):
        def on_after_backward(self) -> None:
            if self.trainer.global_step == 2:
                torch.nn.init.constant_(self.layer.bias, float("nan"))

    model = NaNBias()
    with pytest.raises(NonFiniteLossError,
                       match=r"nan and/or inf values in `layer.bias` after the backward pass at "
                             r"epoch 0, batch 2"):
        _fit(tmp_path, model, terminate_on_nan=True)
    assert model.trainer.global_step == 2  # stopped before that step's optimizer step
    _fit(tmp_path, NaNBias())  # without the flag the run goes on


def _sgd_reference(batches: list[tuple[torch.Tensor, torch.Tensor]], accumulate: int,
                   lr: float = 0.05) -> nn.Linear:
    torch.manual_seed(0)
    layer = nn.Linear(8, 1)
    optimizer = torch.optim.SGD(layer.parameters(), lr=lr)
    for index, (x, y) in enumerate(batches):
        (F.mse_loss(layer(x), y) / accumulate).backward()
        if (index + 1) % accumulate == 0 or index + 1 == len(batches):
            optimizer.step()
            optimizer.zero_grad()
    return layer


def test_accumulate_grad_batches_matches_a_plain_loop(tmp_path: Any) -> None:
    torch.manual_seed(0)
    model = TrainOnlyModel(batch_size=8, n=48)  # 6 batches
    trainer = _fit(tmp_path, model, accumulate_grad_batches=4)
    assert trainer.global_step == 2  # steps after batch 4 and after the last batch
    batches = list(DataLoader(regression_data(48, seed=0), batch_size=8))
    reference = _sgd_reference(batches, accumulate=4)
    assert torch.allclose(model.layer.weight, reference.weight, atol=1e-6)


def test_accumulate_grad_batches_dict_counts_epochs_from_zero(tmp_path: Any) -> None:
    trainer = _fit(tmp_path, TrainOnlyModel(batch_size=8, n=32), max_epochs=3,
                   accumulate_grad_batches={1: 2, 2: 4})
    assert trainer.global_step == 4 + 2 + 1


def test_multiple_optimizers_each_get_a_step(tmp_path: Any) -> None:
    calls: list[tuple[int, int]] = []
    stepped: list[int] = []

    class TwoOptimizers(TrainOnlyModel):
        def __init__(self) -> None:
            super().__init__()
            self.other = nn.Linear(8, 1)

        def training_step(self, batch: Any, batch_idx: int, optimizer_idx: int) -> dict[str, Any]:
            calls.append((batch_idx, optimizer_idx))
            x, y = batch
            layer = self.layer if optimizer_idx == 0 else self.other
            assert all(p.requires_grad for p in layer.parameters())
            frozen = self.other if optimizer_idx == 0 else self.layer
            assert not any(p.requires_grad for p in frozen.parameters())
            return {"loss": F.mse_loss(layer(x), y)}

        def optimizer_step(self, epoch: int, batch_idx: int, optimizer: Any, optimizer_idx: int,
                           *args: Any, **kwargs: Any) -> None:
            stepped.append(optimizer_idx)
            optimizer.step()

        def configure_optimizers(self) -> Any:
            return (torch.optim.SGD(self.layer.parameters(), lr=0.1),
                    torch.optim.Adam(self.other.parameters(), lr=0.1))

    model = TwoOptimizers()
    trainer = _fit(tmp_path, model, train_percent_check=0.5)
    assert calls == [(0, 0), (0, 1), (1, 0), (1, 1)]
    assert stepped == [0, 1, 0, 1]
    assert trainer.global_step == 2
    assert all(p.requires_grad for p in model.parameters())  # restored after the batch


def test_configure_optimizers_forms(tmp_path: Any) -> None:
    def module_returning(build: Any) -> pl.LightningModule:
        class Forms(TrainOnlyModel):
            def configure_optimizers(self) -> Any:
                return build(self)
        return Forms()

    sgd = lambda m: torch.optim.SGD(m.parameters(), lr=0.1)
    forms = [
        sgd,
        lambda m: [sgd(m)],
        lambda m: (sgd(m),),
        lambda m: ([sgd(m)], []),
        lambda m: {"optimizer": sgd(m)},
    ]
    for build in forms:
        trainer = _fit(tmp_path, module_returning(build))
        assert len(trainer.optimizers) == 1


def test_scheduler_dicts_with_interval_and_frequency(tmp_path: Any) -> None:
    class Scheduled(TrainOnlyModel):
        def configure_optimizers(self) -> Any:
            opt = torch.optim.SGD(self.parameters(), lr=1.0)
            per_step = torch.optim.lr_scheduler.StepLR(opt, step_size=1, gamma=0.5)
            return [opt], [{"scheduler": per_step, "interval": "step", "frequency": 2}]

    trainer = _fit(tmp_path, Scheduled(), max_epochs=1)  # 4 steps -> 2 scheduler steps
    assert trainer.optimizers[0].param_groups[0]["lr"] == pytest.approx(0.25)
    assert trainer.lr_schedulers[0]["interval"] == "step"

    class PerEpoch(TrainOnlyModel):
        def configure_optimizers(self) -> Any:
            opt = torch.optim.SGD(self.parameters(), lr=1.0)
            return [opt], [torch.optim.lr_scheduler.StepLR(opt, step_size=1, gamma=0.1)]

    trainer = _fit(tmp_path, PerEpoch(), max_epochs=3)  # after every epoch, the last included
    assert trainer.optimizers[0].param_groups[0]["lr"] == pytest.approx(0.001)


def test_epoch_scheduler_steps_after_the_last_epoch_too(tmp_path: Any) -> None:
    # 0.8.5: 3 epochs of StepLR(step_size=1, gamma=0.5) from lr 1.0 leave lr 0.125
    class Halving(TrainOnlyModel):
        def configure_optimizers(self) -> Any:
            opt = torch.optim.SGD(self.parameters(), lr=1.0)
            return [opt], [torch.optim.lr_scheduler.StepLR(opt, step_size=1, gamma=0.5)]

    trainer = _fit(tmp_path, Halving(), max_epochs=3)
    assert trainer.optimizers[0].param_groups[0]["lr"] == pytest.approx(0.125)


def test_reduce_on_plateau_reads_its_monitor(tmp_path: Any) -> None:
    class Plateau(BoringModel):
        def configure_optimizers(self) -> Any:
            opt = torch.optim.SGD(self.parameters(), lr=0.01)
            plateau = torch.optim.lr_scheduler.ReduceLROnPlateau(opt, patience=0, factor=0.5)
            return [opt], [{"scheduler": plateau, "monitor": "val_loss"}]

    _fit(tmp_path, Plateau(), max_epochs=2)

    class Missing(Plateau):
        def configure_optimizers(self) -> Any:
            opt = torch.optim.SGD(self.parameters(), lr=0.01)
            plateau = torch.optim.lr_scheduler.ReduceLROnPlateau(opt)
            return [opt], [{"scheduler": plateau, "monitor": "nope"}]

    with pytest.raises(ValueError, match=r"ReduceLROnPlateau monitors 'nope'.*available metrics"):
        _fit(tmp_path, Missing(), max_epochs=2)


@pytest.mark.parametrize("returned", ["adam", [1, 2], ([], []), {"lr_scheduler": None}])
def test_bad_configure_optimizers_is_a_clear_error(tmp_path: Any, returned: Any) -> None:
    class Bad(TrainOnlyModel):
        def configure_optimizers(self) -> Any:
            return returned

    with pytest.raises(ValueError, match="configure_optimizers returned"):
        _fit(tmp_path, Bad())


def test_truncated_bptt_splits_time_and_carries_detached_hiddens(tmp_path: Any) -> None:
    seen: list[tuple[int, int, bool, bool]] = []

    class Sequence(pl.LightningModule):
        def __init__(self) -> None:
            super().__init__()
            self.rnn = nn.GRU(3, 4, batch_first=True)
            self.head = nn.Linear(4, 1)

        def training_step(self, batch: Any, batch_idx: int, hiddens: Any) -> dict[str, Any]:
            x, y = batch
            seen.append((batch_idx, x.size(1), hiddens is None,
                         hiddens is not None and hiddens.grad_fn is None))
            out, hiddens = self.rnn(x, hiddens)
            loss = F.mse_loss(self.head(out), y)
            return {"loss": loss, "hiddens": hiddens}

        def configure_optimizers(self) -> Any:
            return torch.optim.SGD(self.parameters(), lr=0.1)

        def train_dataloader(self) -> DataLoader:
            x, y = torch.randn(4, 10, 3), torch.randn(4, 10, 1)
            return DataLoader(TensorDataset(x, y), batch_size=2)

    _fit(tmp_path, Sequence(), truncated_bptt_steps=4)
    assert seen == [(0, 4, True, False), (0, 4, False, True), (0, 2, False, True),
                    (1, 4, True, False), (1, 4, False, True), (1, 2, False, True)]


def test_multiple_val_dataloaders_pass_dataloader_idx(tmp_path: Any) -> None:
    received: list[Any] = []

    class TwoVal(BoringModel):
        def validation_step(self, batch: Any, batch_idx: int, dataloader_idx: int) -> Any:
            return {"val_loss": super().validation_step(batch, batch_idx)["val_loss"],
                    "idx": dataloader_idx}

        def validation_epoch_end(self, outputs: list[list[Any]]) -> dict[str, Any]:
            received.append([[o["idx"] for o in per] for per in outputs])
            return {"val_loss": torch.stack([o["val_loss"] for per in outputs for o in per]).mean()}

        def val_dataloader(self) -> list[DataLoader]:
            return [DataLoader(regression_data(16, seed=1), batch_size=8),
                    DataLoader(regression_data(24, seed=2), batch_size=8)]

    _fit(tmp_path, TwoVal(), num_sanity_val_steps=0)
    assert received == [[[0, 0], [1, 1, 1]]]


def test_gradient_clip_val_bounds_the_gradient_norm(tmp_path: Any) -> None:
    norms: list[float] = []

    class Clipped(TrainOnlyModel):
        def training_step(self, batch: Any, batch_idx: int) -> dict[str, Any]:
            out = super().training_step(batch, batch_idx)
            return {"loss": out["loss"] * 1000}

        def optimizer_step(self, *args: Any, **kwargs: Any) -> None:
            grads = [p.grad for p in self.parameters()]
            norms.append(torch.norm(torch.stack([g.norm() for g in grads])).item())
            super().optimizer_step(*args, **kwargs)

    _fit(tmp_path, Clipped(), gradient_clip_val=0.5)
    assert norms and max(norms) <= 0.5 + 1e-4


def test_on_batch_start_returning_minus_one_ends_the_epoch(tmp_path: Any) -> None:
    class Skipper(TrainOnlyModel):
        def on_batch_start(self, batch: Any) -> Any:
            return -1 if self.trainer.progress.batch_idx == 2 else None

    trainer = _fit(tmp_path, Skipper(), max_epochs=2)
    assert trainer.global_step == 4


def test_backward_hook_can_be_overridden(tmp_path: Any) -> None:
    losses: list[float] = []

    class OwnBackward(TrainOnlyModel):
        def backward(self, trainer: Any, loss: torch.Tensor, optimizer: Any, idx: int) -> None:
            losses.append(loss.item())
            loss.backward()

    _fit(tmp_path, OwnBackward())
    assert len(losses) == 4


def test_optimizer_step_overrides_get_0_8_5s_arguments_as_their_signature_takes(
        tmp_path: Any) -> None:
    calls: list[tuple[Any, ...]] = []

    class Eight(TrainOnlyModel):  # 0.8.5's documented signature, no defaults
        def optimizer_step(self, current_epoch, batch_idx, optimizer, optimizer_idx,  # type: ignore[no-untyped-def]
                           second_order_closure, on_tpu, using_native_amp, using_lbfgs):
            calls.append((second_order_closure, on_tpu, using_native_amp, using_lbfgs))
            optimizer.step()

    class Five(TrainOnlyModel):  # 0.7's: the closure only
        def optimizer_step(self, epoch, batch_idx, optimizer, optimizer_idx,  # type: ignore[no-untyped-def]
                           second_order_closure=None):
            calls.append((second_order_closure,))
            optimizer.step()

    class Four(TrainOnlyModel):
        def optimizer_step(self, epoch, batch_idx, optimizer, optimizer_idx):  # type: ignore[no-untyped-def]
            calls.append(())
            optimizer.step()

    for model, expected in ((Eight(), (None, False, False, False)), (Five(), (None,)),
                            (Four(), ())):
        calls.clear()
        trainer = _fit(tmp_path, model, max_epochs=1)
        assert calls and all(call == expected for call in calls)
        assert trainer.global_step == len(calls)


def test_optimizer_frequencies_take_turns_by_batch(tmp_path: Any) -> None:
    turns: list[int] = []

    class Alternating(TrainOnlyModel):
        def training_step(self, batch: Any, batch_idx: int, optimizer_idx: int) -> Any:
            turns.append(optimizer_idx)
            return super().training_step(batch, batch_idx)

        def configure_optimizers(self) -> Any:
            first = torch.optim.SGD(self.parameters(), lr=0.1)
            second = torch.optim.SGD(self.parameters(), lr=0.01)
            return [{"optimizer": first, "frequency": 3}, {"optimizer": second, "frequency": 1}]

    trainer = _fit(tmp_path, Alternating(n=128), max_epochs=1)  # 8 batches
    assert turns == [0, 0, 0, 1, 0, 0, 0, 1]
    assert trainer.global_step == 8

    class Bad(Alternating):
        def configure_optimizers(self) -> Any:
            return [{"optimizer": torch.optim.SGD(self.parameters(), lr=0.1), "frequency": 0}]

    with pytest.raises(MisconfigurationError, match=r"frequencies \[0\].*int >= 1"):
        _fit(tmp_path, Bad(n=128), max_epochs=1)


def test_configure_optimizers_returning_none_warns_and_runs_without_an_optimizer(
        tmp_path: Any) -> None:
    """0.8.5 and Lightning 2: training_step and backward run, the weights stay as they were."""
    steps: list[int] = []

    class NoOptimizer(TrainOnlyModel):
        def configure_optimizers(self) -> Any:
            return None

        def training_step(self, batch: Any, batch_idx: int) -> Any:
            steps.append(batch_idx)
            return super().training_step(batch, batch_idx)

    model = NoOptimizer()
    before = [p.detach().clone() for p in model.parameters()]
    with pytest.warns(UserWarning, match="configure_optimizers returned None: this fit will "
                                         "run with no optimizer"):
        trainer = _fit(tmp_path, model, max_epochs=1)
    assert steps and trainer.global_step == len(steps)
    assert all(torch.equal(a, b) for a, b in zip(before, model.parameters()))
    assert all(p.grad is not None for p in model.parameters())  # backward ran


def test_init_optimizers_reads_configure_optimizers_as_a_fit_does() -> None:
    model = TrainOnlyModel()
    opt_a = torch.optim.Adam(model.parameters(), lr=0.002)
    opt_b = torch.optim.SGD(model.parameters(), lr=0.002)
    step_a = torch.optim.lr_scheduler.StepLR(opt_a, 10)
    plateau = torch.optim.lr_scheduler.ReduceLROnPlateau(opt_b)
    entry = dict(scheduler=step_a, interval="epoch", frequency=1, reduce_on_plateau=False,
                 monitor="val_loss")
    cases: list[tuple[Any, tuple[list[Any], list[Any], list[int]]]] = [
        (opt_a, ([opt_a], [], [])),
        ((opt_a, opt_b), ([opt_a, opt_b], [], [])),
        (([opt_a], [step_a]), ([opt_a], [entry], [])),
        ({"optimizer": opt_a, "lr_scheduler": step_a}, ([opt_a], [entry], [])),
        (({"optimizer": opt_a, "lr_scheduler": step_a, "frequency": 1},
          {"optimizer": opt_b, "lr_scheduler": {"scheduler": plateau, "name": "p"},
           "frequency": 5}),
         ([opt_a, opt_b], [entry, dict(entry, scheduler=plateau, reduce_on_plateau=True,
                                       name="p")], [1, 5])),
    ]
    for returned, expected in cases:
        model.configure_optimizers = lambda returned=returned: returned  # type: ignore[method-assign]
        assert pl.Trainer.init_optimizers(model) == expected
    model.configure_optimizers = lambda: None  # type: ignore[method-assign]
    with pytest.warns(UserWarning, match="will run with no optimizer"):
        optimizers, schedulers, frequencies = pl.Trainer.init_optimizers(model)
    assert (len(optimizers), schedulers, frequencies) == (1, [], [])


def test_truncated_bptt_slices_lists_of_per_sample_sequences(tmp_path: Any) -> None:
    """0.8.5's split: a list of lists in the batch is one sequence per sample, sliced in time
    like the tensors."""
    seen: list[tuple[int, list[int]]] = []

    class ListTargets(pl.LightningModule):
        def __init__(self) -> None:
            super().__init__()
            self.head = nn.Linear(3, 1)

        def training_step(self, batch: Any, batch_idx: int, hiddens: Any) -> dict[str, Any]:
            x, targets = batch
            seen.append((x.size(1), [len(sequence) for sequence in targets]))
            y = torch.tensor(targets, dtype=x.dtype).unsqueeze(-1)
            return {"loss": F.mse_loss(self.head(x), y), "hiddens": None}

        def configure_optimizers(self) -> Any:
            return torch.optim.SGD(self.parameters(), lr=0.1)

        def train_dataloader(self) -> Any:
            x = torch.randn(2, 5, 3)
            targets = [[float(t) for t in range(5)] for _ in range(2)]
            return [(x, targets)]  # one batch: a tensor and a list of per-sample lists

    _fit(tmp_path, ListTargets(), truncated_bptt_steps=2)
    assert seen == [(2, [2, 2]), (2, [2, 2]), (1, [1, 1])]


class _Quadratic(pl.LightningModule):
    """Fits y = 2x with one weight: LBFGS gets there in one step of a few evaluations."""

    def __init__(self, calls: list[int]) -> None:
        super().__init__()
        self.w = nn.Parameter(torch.zeros(1))
        self.calls = calls

    def training_step(self, batch: Any, batch_idx: int) -> dict[str, Any]:
        self.calls.append(batch_idx)
        x, y = batch
        return {"loss": F.mse_loss(x * self.w, y)}

    def configure_optimizers(self) -> Any:
        return torch.optim.LBFGS(self.parameters(), lr=1.0, max_iter=5)

    def train_dataloader(self) -> Any:
        x = torch.linspace(-1, 1, 8).unsqueeze(1)
        return DataLoader(TensorDataset(x, 2 * x), batch_size=8)


def test_lbfgs_steps_with_a_closure_that_reevaluates_the_batch(tmp_path: Any) -> None:
    calls: list[int] = []
    model = _Quadratic(calls)
    _fit(tmp_path, model, max_epochs=1)
    assert model.w.item() == pytest.approx(2.0, abs=1e-4)
    assert len(calls) > 1 and set(calls) == {0}  # training_step again inside the step


def test_an_optimizer_step_override_gets_the_closure_for_lbfgs(tmp_path: Any) -> None:
    received: list[Any] = []

    class Override(_Quadratic):
        def optimizer_step(self, epoch: int, batch_idx: int, optimizer: Any,
                           optimizer_idx: int, second_order_closure: Any = None,
                           on_tpu: bool = False, using_native_amp: bool = False,
                           using_lbfgs: bool = False) -> None:
            received.append((callable(second_order_closure), using_lbfgs))
            optimizer.step(second_order_closure)

    model = Override([])
    _fit(tmp_path, model, max_epochs=1)
    assert received == [(True, True)]
    assert model.w.item() == pytest.approx(2.0, abs=1e-4)
