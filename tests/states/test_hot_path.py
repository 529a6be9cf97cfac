"""The per-batch path: no host synchronisation, no retained graphs, no lifecycle triggers."""

from __future__ import annotations

from collections import Counter
from typing import Any

import pytest
import torch
from torch.nn import functional as F

import orchestrator as pl
from tests.helpers import TrainOnlyModel, quiet_trainer

CONVERSIONS = ("item", "tolist", "numpy", "cpu", "__float__", "__int__", "__bool__", "__index__")


@pytest.fixture
def conversions(monkeypatch: pytest.MonkeyPatch) -> Counter[str]:
    """Counts every tensor-to-host conversion made through the torch.Tensor methods."""
    counts: Counter[str] = Counter()
    for name in CONVERSIONS:
        original = getattr(torch.Tensor, name)

        def counted(self: torch.Tensor, *args: Any, _name: str = name,
                    _original: Any = original, **kwargs: Any) -> Any:
            counts[_name] += 1
            return _original(self, *args, **kwargs)

        monkeypatch.setattr(torch.Tensor, name, counted)
    return counts


class Logging(TrainOnlyModel):
    """Returns 'log' and 'progress_bar' tensors every step, as seed-era code does."""

    def training_step(self, batch: Any, batch_idx: int) -> dict[str, Any]:
        x, y = batch
        loss = F.mse_loss(self(x), y)
        return {"loss": loss, "log": {"train_loss": loss, "double": loss * 2},
                "progress_bar": {"pb": loss}, "extra": loss.detach()}


def _conversions_of_fit(tmp_path: Any, conversions: Counter[str], batches: int,
                        **kwargs: Any) -> Counter[str]:
    conversions.clear()
    options: dict[str, Any] = dict(max_epochs=2, logger=False, checkpoint_callback=False)
    options.update(kwargs)
    trainer = quiet_trainer(tmp_path, **options)
    trainer.fit(Logging(batch_size=8, n=8 * batches))
    assert trainer.global_step == 2 * batches
    return Counter(conversions)


def test_training_steps_that_do_not_log_make_no_host_conversion(
    tmp_path: Any, conversions: Counter[str]
) -> None:
    # per-epoch work (opening the DataLoader) may convert; a step must not: doubling the
    # number of steps leaves the count unchanged
    short = _conversions_of_fit(tmp_path, conversions, batches=12)
    long = _conversions_of_fit(tmp_path, conversions, batches=24)
    assert long == short, (dict(short), dict(long))
    # two epochs: the DataLoader's seed and the RNG fork; and the log row of each epoch's
    # first batch (0.8.5), one .item() per logged value ('train_loss', 'double')
    assert sum(short.values()) <= 4 + 2 * 2


def test_conversions_happen_only_at_log_rows(tmp_path: Any, conversions: Counter[str]) -> None:
    short = _conversions_of_fit(tmp_path, conversions, 12, row_log_interval=4, logger=True)
    long = _conversions_of_fit(tmp_path, conversions, 24, row_log_interval=4, logger=True)
    extra_rows = (48 - 24) // 4
    # one .item() per logged value ('train_loss', 'double') in each extra row, nothing else
    assert long - short == Counter({"item": extra_rows * 2}), (dict(short), dict(long))


def test_the_progress_bar_reads_metrics_only_when_it_redraws(
    tmp_path: Any, conversions: Counter[str]
) -> None:
    import io

    def bar() -> pl.callbacks.ProgressBar:  # never redraws mid-epoch
        return pl.callbacks.ProgressBar(refresh_rate=1, file=io.StringIO(),
                                        max_refresh_per_second=1e-9)

    short = _conversions_of_fit(tmp_path, conversions, 12, callbacks=[bar()])
    long = _conversions_of_fit(tmp_path, conversions, 24, callbacks=[bar()])
    assert long == short, (dict(short), dict(long))


# the lean step: the one training step with every optional phase left out
def _fit_weights(tmp_path: Any, **trainer_args: Any) -> list[torch.Tensor]:
    pl.seed_everything(3)
    model = Logging()
    quiet_trainer(tmp_path, max_epochs=2, logger=False, checkpoint_callback=False,
                  **trainer_args).fit(model)
    return [p.detach().clone() for p in model.parameters()]


_OPTIONAL = ("to_device", "split", "toggle", "check_finite", "collect", "backward",
             "after_backward", "sync_gate", "clip", "optimizer_step", "before_zero_grad",
             "zero_grad")


def _assembled(monkeypatch: pytest.MonkeyPatch) -> list[Any]:
    """Records every training step the runs of the test assemble."""
    import states.runners
    from states.step import assemble_step

    built: list[Any] = []

    def recording(run: Any) -> Any:
        built.append(assemble_step(run))
        return built[-1]

    monkeypatch.setattr(states.runners, "assemble_step", recording)
    return built


def test_the_lean_step_trains_exactly_like_one_with_every_phase_spelled_out(
    monkeypatch: pytest.MonkeyPatch, tmp_path: Any,
) -> None:
    built = _assembled(monkeypatch)
    lean = _fit_weights(tmp_path)
    assert all(getattr(built[0], phase) is None for phase in _OPTIONAL)
    # the same phases, each given as the call the lean step makes inline
    import states.step

    original = states.step.TrainingStep.__init__

    def spelled_out(self: Any, run: Any, phases: dict[str, Any]) -> None:
        phases = dict(phases, backward=lambda loss, opt, idx: loss.backward(),
                      optimizer_step=lambda opt, idx, batch_idx, closure: opt.step(),
                      zero_grad=lambda epoch, batch_idx, opt, idx: opt.zero_grad())
        original(self, run, phases)

    monkeypatch.setattr(states.step.TrainingStep, "__init__", spelled_out)
    general = _fit_weights(tmp_path)
    assert all(torch.equal(a, b) for a, b in zip(lean, general))


@pytest.mark.parametrize(("option", "phase"), [
    (dict(gradient_clip_val=0.5), "clip"), (dict(terminate_on_nan=True), "check_finite")])
def test_an_option_adds_its_phase_to_the_step(
    option: dict[str, Any], phase: str, monkeypatch: pytest.MonkeyPatch, tmp_path: Any,
) -> None:
    built = _assembled(monkeypatch)
    _fit_weights(tmp_path, **option)
    assert getattr(built[0], phase) is not None
    assert all(getattr(built[0], other) is None for other in _OPTIONAL if other != phase)


def test_accumulation_and_autocast_change_the_step_not_its_phases(
    monkeypatch: pytest.MonkeyPatch, tmp_path: Any,
) -> None:
    built = _assembled(monkeypatch)
    _fit_weights(tmp_path, accumulate_grad_batches=2)
    _fit_weights(tmp_path, precision="bf16")
    accumulating, autocast = built
    assert accumulating.factor == 2
    assert accumulating.forward == accumulating.run.module.training_step
    assert autocast.forward != autocast.run.module.training_step  # wrapped in autocast


def test_a_step_keeps_the_previous_loss_until_its_own_forward_has_run(tmp_path: Any) -> None:
    # As in a plain loop, where `loss` is reassigned after the next forward: the parameters'
    # gradient accumulators stay alive and are reused instead of rebuilt every step. Backward
    # has already freed the saved tensors; the epoch's end lets go of the last loss.
    import weakref

    class Watched(TrainOnlyModel):
        def __init__(self) -> None:
            super().__init__(batch_size=8, n=32)
            self.losses: list[Any] = []
            self.alive_in_forward: list[list[bool]] = []

        def training_step(self, batch: Any, batch_idx: int) -> dict[str, Any]:
            x, y = batch
            loss = F.mse_loss(self(x), y)
            self.alive_in_forward.append([ref() is not None for ref in self.losses])
            self.losses.append(weakref.ref(loss))
            return {"loss": loss}

        def on_epoch_end(self) -> None:
            self.alive_at_epoch_end = [ref() is not None for ref in self.losses]

    model = Watched()
    quiet_trainer(tmp_path, max_epochs=1, logger=False, checkpoint_callback=False).fit(model)
    # in each step's forward only the previous step's loss is still held
    assert model.alive_in_forward == [[], [True], [False, True], [False, False, True]]
    assert not any(model.alive_at_epoch_end)
