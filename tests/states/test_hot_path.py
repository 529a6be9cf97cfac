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
    assert sum(short.values()) <= 4  # two epochs: the DataLoader's seed and the RNG fork


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


# the one-frame path for the usual case
def _fit_weights(tmp_path: Any, **trainer_args: Any) -> list[torch.Tensor]:
    pl.seed_everything(3)
    model = Logging()
    quiet_trainer(tmp_path, max_epochs=2, logger=False, checkpoint_callback=False,
                  **trainer_args).fit(model)
    return [p.detach().clone() for p in model.parameters()]


def test_the_plain_path_trains_exactly_like_the_general_one(
    monkeypatch: pytest.MonkeyPatch, tmp_path: Any,
) -> None:
    from states.training import BatchRunner

    taken: list[bool] = []
    original = BatchRunner._run_plain

    def watched(self: BatchRunner, *args: Any) -> None:
        taken.append(True)
        original(self, *args)

    monkeypatch.setattr(BatchRunner, "_run_plain", watched)
    plain = _fit_weights(tmp_path)
    assert taken  # a module with one optimizer and no extras takes the one-frame path
    monkeypatch.setattr(BatchRunner, "_run_plain", BatchRunner.run)  # the general path instead
    general = _fit_weights(tmp_path)
    assert all(torch.equal(a, b) for a, b in zip(plain, general))


@pytest.mark.parametrize("option", [dict(gradient_clip_val=0.5), dict(accumulate_grad_batches=2),
                                    dict(terminate_on_nan=True), dict(precision="bf16")])
def test_anything_beyond_the_usual_case_takes_the_general_path(
    option: dict[str, Any], monkeypatch: pytest.MonkeyPatch, tmp_path: Any,
) -> None:
    from states.training import BatchRunner

    def refuse(self: BatchRunner, *args: Any) -> None:
        raise AssertionError(f"the one-frame path was taken with {option}")

    monkeypatch.setattr(BatchRunner, "_run_plain", refuse)
    _fit_weights(tmp_path, **option)


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
