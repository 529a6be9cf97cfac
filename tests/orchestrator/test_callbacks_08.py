"""The 0.8.5 callbacks in real runs: LearningRateLogger, GradientAccumulationScheduler,
ProgressBarBase and ProgressBar."""

from __future__ import annotations

import copy as copy_module
import io
import math
import pickle
import re
from argparse import Namespace
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest
import torch
from torch.utils.data import DataLoader, IterableDataset

import orchestrator as pl
from orchestrator.callbacks import (
    Callback,
    GradientAccumulationScheduler,
    LearningRateLogger,
    ProgressBar,
    ProgressBarBase,
)
from orchestrator.loggers import TensorBoardLogger
from schemas.errors import ConfigError, MisconfigurationError
from tests.helpers import (
    TEMPLATE_HPARAMS,
    BoringModel,
    TemplateModel,
    TrainOnlyModel,
    quiet_trainer,
    regression_data,
    scalar_tags,
    scalars,
)

BATCHES = 4  # training, validation and test batches of BoringModel() (n=64, batch_size=16)


# helpers




class Scheduled(BoringModel):
    """BoringModel whose ``configure_optimizers`` is ``configure(self)``."""

    def __init__(self, configure: Callable[[BoringModel], Any], **kwargs: Any) -> None:
        super().__init__(**kwargs)
        self.configure = configure

    def configure_optimizers(self) -> Any:
        return self.configure(self)


def sgd(model: BoringModel, lr: float = 0.1) -> torch.optim.SGD:
    return torch.optim.SGD(model.parameters(), lr=lr)


def two_groups(model: BoringModel) -> torch.optim.SGD:
    layer = model.layer
    return torch.optim.SGD([{"params": [layer.weight]}, {"params": [layer.bias], "lr": 0.2}],
                           lr=0.1)


def lr_fit(tmp_path: Path, configure: Callable[[BoringModel], Any], epochs: int = 2,
           **kwargs: Any) -> tuple[LearningRateLogger, pl.Trainer]:
    lr_logger = LearningRateLogger()
    kwargs.setdefault("logger", TensorBoardLogger(save_dir=str(tmp_path)))
    trainer = quiet_trainer(tmp_path, max_epochs=epochs, num_sanity_val_steps=0,
                            checkpoint_callback=False, callbacks=[lr_logger], **kwargs)
    trainer.fit(Scheduled(configure))
    return lr_logger, trainer


class SavesAtFirstValidation(Callback):
    """Saves ``path`` after the first validation: mid-epoch with ``val_check_interval=0.5``."""

    def __init__(self, path: Path) -> None:
        self.path = path

    def on_validation_end(self, trainer: Any, pl_module: Any) -> None:
        if not self.path.exists():
            trainer.save_checkpoint(self.path)


def mid_epoch_checkpoint(tmp_path: Path) -> Path:
    """A checkpoint of BoringModel at epoch 0, batch 2 of 4, after that batch's validation."""
    path = tmp_path / "mid.ckpt"
    quiet_trainer(tmp_path / "first", max_epochs=1, val_check_interval=0.5, logger=False,
                  num_sanity_val_steps=0, checkpoint_callback=False,
                  callbacks=[SavesAtFirstValidation(path)]).fit(BoringModel())
    return path


# LearningRateLogger
def test_lr_logger_logs_a_step_scheduler_before_every_batch(tmp_path: Path) -> None:
    def configure(model: BoringModel) -> Any:
        optimizer = sgd(model)
        halving = torch.optim.lr_scheduler.StepLR(optimizer, step_size=1, gamma=0.5)
        return [optimizer], [{"scheduler": halving, "interval": "step"}]

    lr_logger, trainer = lr_fit(tmp_path, configure)

    expected = [0.1 * 0.5 ** k for k in range(2 * BATCHES)]  # the lr of optimizer step k
    assert lr_logger.lr_sch_names == ["lr-SGD"]
    assert list(lr_logger.lrs) == ["lr-SGD"]
    assert lr_logger.lrs["lr-SGD"] == pytest.approx(expected)
    written = scalars(trainer.logger.log_dir, "lr-SGD")
    assert [step for step, _ in written] == list(range(2 * BATCHES))
    assert [value for _, value in written] == pytest.approx(expected)


def test_lr_logger_logs_an_epoch_scheduler_at_every_epoch_start(tmp_path: Path) -> None:
    def configure(model: BoringModel) -> Any:
        optimizer = sgd(model)
        return [optimizer], [torch.optim.lr_scheduler.ExponentialLR(optimizer, gamma=0.5)]

    lr_logger, trainer = lr_fit(tmp_path, configure, epochs=3)

    assert lr_logger.lrs == {"lr-SGD": pytest.approx([0.1, 0.05, 0.025])}
    written = scalars(trainer.logger.log_dir, "lr-SGD")
    assert [step for step, _ in written] == [0, BATCHES, 2 * BATCHES]
    assert [value for _, value in written] == pytest.approx([0.1, 0.05, 0.025])


def test_lr_logger_names_each_parameter_group(tmp_path: Path) -> None:
    def configure(model: BoringModel) -> Any:
        optimizer = two_groups(model)
        return [optimizer], [torch.optim.lr_scheduler.ExponentialLR(optimizer, gamma=0.5)]

    lr_logger, trainer = lr_fit(tmp_path, configure)

    assert lr_logger.lr_sch_names == ["lr-SGD"]
    assert lr_logger.lrs == {"lr-SGD/pg1": pytest.approx([0.1, 0.05]),
                             "lr-SGD/pg2": pytest.approx([0.2, 0.1])}
    tags = scalar_tags(trainer.logger.log_dir)
    assert {"lr-SGD/pg1", "lr-SGD/pg2"} <= set(tags)
    assert "lr-SGD" not in tags
    assert [v for _, v in scalars(trainer.logger.log_dir, "lr-SGD/pg2")] == pytest.approx(
        [0.2, 0.1])


def test_lr_logger_numbers_schedulers_of_the_same_optimizer_class(tmp_path: Path) -> None:
    def configure(model: BoringModel) -> Any:
        optimizer = sgd(model)
        return [optimizer], [torch.optim.lr_scheduler.StepLR(optimizer, step_size=100)
                             for _ in range(3)]

    lr_logger, trainer = lr_fit(tmp_path, configure)

    assert lr_logger.lr_sch_names == ["lr-SGD", "lr-SGD-1", "lr-SGD-2"]
    assert lr_logger.lrs == {name: [0.1, 0.1] for name in ("lr-SGD", "lr-SGD-1", "lr-SGD-2")}
    assert {"lr-SGD", "lr-SGD-1", "lr-SGD-2"} <= set(scalar_tags(trainer.logger.log_dir))


def test_lr_logger_numbers_schedulers_with_several_parameter_groups(tmp_path: Path) -> None:
    # Lightning 0.8.5 gave both 'lr-SGD/pg1'; the second scheduler is 'lr-SGD-1' here
    def configure(model: BoringModel) -> Any:
        optimizer = two_groups(model)
        return [optimizer], [torch.optim.lr_scheduler.StepLR(optimizer, step_size=100)
                             for _ in range(2)]

    lr_logger, _ = lr_fit(tmp_path, configure, epochs=1)

    assert lr_logger.lr_sch_names == ["lr-SGD", "lr-SGD-1"]
    assert lr_logger.lrs == {"lr-SGD/pg1": [0.1], "lr-SGD/pg2": [0.2],
                             "lr-SGD-1/pg1": [0.1], "lr-SGD-1/pg2": [0.2]}


def test_lr_logger_with_the_template_model_s_two_schedulers(tmp_path: Path) -> None:
    lr_logger = LearningRateLogger()
    trainer = quiet_trainer(tmp_path, max_epochs=2, num_sanity_val_steps=0,
                            checkpoint_callback=False, callbacks=[lr_logger])
    model = TemplateModel(Namespace(**TEMPLATE_HPARAMS))
    trainer.fit(model)

    batches = int(trainer.num_training_batches)
    assert lr_logger.lr_sch_names == ["lr-Adam", "lr-Adam-1"]  # per step, per epoch
    assert len(lr_logger.lrs["lr-Adam"]) == 2 * batches
    assert len(lr_logger.lrs["lr-Adam-1"]) == 2
    assert lr_logger.lrs["lr-Adam"][0] == pytest.approx(TEMPLATE_HPARAMS["learning_rate"])
    assert len(scalars(trainer.logger.log_dir, "lr-Adam")) == 2 * batches


def test_lr_logger_uses_the_name_of_the_scheduler_dict(tmp_path: Path) -> None:
    def configure(model: BoringModel) -> Any:
        optimizer = sgd(model)
        scheduler = torch.optim.lr_scheduler.StepLR(optimizer, step_size=100)
        return [optimizer], [{"scheduler": scheduler, "name": "my_lr"}]

    lr_logger, trainer = lr_fit(tmp_path, configure)

    assert lr_logger.lr_sch_names == ["my_lr"]
    assert lr_logger.lrs == {"my_lr": [0.1, 0.1]}
    assert "my_lr" in scalar_tags(trainer.logger.log_dir)


def test_lr_logger_without_a_logger_says_how_to_add_one(tmp_path: Path) -> None:
    def configure(model: BoringModel) -> Any:
        optimizer = sgd(model)
        return [optimizer], [torch.optim.lr_scheduler.StepLR(optimizer, step_size=1)]

    with pytest.raises(MisconfigurationError, match=r"needs a logger.*Trainer\(logger=True\)"):
        lr_fit(tmp_path, configure, logger=False)


def test_lr_logger_under_fast_dev_run_keeps_the_values(tmp_path: Path) -> None:
    def configure(model: BoringModel) -> Any:
        optimizer = sgd(model)
        halving = torch.optim.lr_scheduler.StepLR(optimizer, step_size=1, gamma=0.5)
        return [optimizer], [{"scheduler": halving, "interval": "step"}]

    lr_logger = LearningRateLogger()
    trainer = pl.Trainer(fast_dev_run=True, default_root_dir=str(tmp_path),
                         weights_summary=None, progress_bar_refresh_rate=0,
                         callbacks=[lr_logger])
    trainer.fit(Scheduled(configure))

    assert trainer.logger is None
    assert lr_logger.lrs == {"lr-SGD": pytest.approx([0.1])}

def test_lr_logger_without_schedulers_warns_and_logs_nothing(tmp_path: Path) -> None:
    with pytest.warns(RuntimeWarning, match=r"no learning-rate schedulers"):
        lr_logger, trainer = lr_fit(tmp_path, sgd)

    assert lr_logger.lrs == {}
    assert not [t for t in scalar_tags(trainer.logger.log_dir) if t.startswith("lr-")]


def test_lr_logger_needs_the_scheduler_s_optimizer(tmp_path: Path) -> None:
    class Stepper:
        def step(self) -> None: ...

    with pytest.raises(MisconfigurationError, match=r"no attribute 'optimizer'"):
        lr_fit(tmp_path, lambda model: ([sgd(model)], [Stepper()]))


def test_lr_logger_starts_afresh_in_every_fit(tmp_path: Path) -> None:
    def configure(model: BoringModel) -> Any:
        optimizer = sgd(model)
        return [optimizer], [torch.optim.lr_scheduler.ExponentialLR(optimizer, gamma=0.5)]

    lr_logger = LearningRateLogger()
    for run in range(2):
        trainer = quiet_trainer(tmp_path / str(run), max_epochs=2, num_sanity_val_steps=0,
                                checkpoint_callback=False, callbacks=[lr_logger])
        trainer.fit(Scheduled(configure))
        assert lr_logger.lr_sch_names == ["lr-SGD"]
        assert lr_logger.lrs == {"lr-SGD": pytest.approx([0.1, 0.05])}


# GradientAccumulationScheduler
@pytest.mark.parametrize(("scheduling", "error", "match"), [
    ({}, TypeError, r"scheduling=\{\}\): pass a non-empty dict"),
    (None, TypeError, r"scheduling=None\): pass a non-empty dict"),
    ([(0, 2)], TypeError, r"pass a non-empty dict"),
    ({"1": 2}, TypeError, r"must be ints, got '1': 2 \(str: int\)"),
    ({0: 2.0}, TypeError, r"must be ints, got 0: 2.0 \(int: float\)"),
    ({0: True}, TypeError, r"must be ints, got 0: True \(int: bool\)"),
    ({-1: 2, 3: 4}, IndexError, r"epoch -1 is negative; epochs count from 0"),
    ({0: 0}, ConfigError, r"the factor 0 at epoch 0 is below 1; use 1 for no accumulation"),
], ids=["empty", "none", "list", "str-epoch", "float-factor", "bool-factor", "negative",
        "zero-factor"])
def test_accumulation_schedule_rejects(scheduling: Any, error: type[Exception],
                                       match: str) -> None:
    with pytest.raises(error, match=match):
        GradientAccumulationScheduler(scheduling)


def test_accumulation_schedule_adds_epoch_zero_without_changing_the_dict() -> None:
    given = {3: 2, 6: 4}
    accumulator = GradientAccumulationScheduler(given)

    assert accumulator.scheduling == {3: 2, 6: 4, 0: 1}
    assert accumulator.epochs == [0, 3, 6]
    assert given == {3: 2, 6: 4}
    assert [accumulator.factor_at(e) for e in range(8)] == [1, 1, 1, 2, 2, 2, 4, 4]
    assert GradientAccumulationScheduler({0: 3}).scheduling == {0: 3}


class AccumulationSeen(Callback):
    """Records ``trainer.accumulate_grad_batches`` at each epoch start (after the scheduler)."""

    def __init__(self) -> None:
        self.seen: list[int] = []

    def on_epoch_start(self, trainer: Any, pl_module: Any) -> None:
        self.seen.append(trainer.accumulate_grad_batches)


def test_accumulation_schedule_sets_the_factor_at_every_epoch_start(tmp_path: Path) -> None:
    seen = AccumulationSeen()
    trainer = quiet_trainer(tmp_path, max_epochs=4, logger=False, checkpoint_callback=False,
                            callbacks=[GradientAccumulationScheduler({1: 2, 3: 3}), seen])
    trainer.fit(TrainOnlyModel(n=32))

    assert seen.seen == [1, 2, 2, 3]
    assert trainer.accumulate_grad_batches == 3


def test_accumulation_schedule_applies_to_a_run_resumed_mid_epoch(tmp_path: Path) -> None:
    path = mid_epoch_checkpoint(tmp_path)
    seen = AccumulationSeen()
    trainer = quiet_trainer(tmp_path, max_epochs=1, val_check_interval=0.5, logger=False,
                            checkpoint_callback=False,
                            callbacks=[GradientAccumulationScheduler({0: 2}), seen])
    trainer.fit(BoringModel(), ckpt_path=path)

    assert seen.seen == []  # the resumed epoch does not start again
    assert trainer.accumulate_grad_batches == 2  # set as training starts


def test_accumulation_schedule_changes_the_optimizer_steps(tmp_path: Path) -> None:
    trainer = quiet_trainer(tmp_path, max_epochs=2, logger=False, checkpoint_callback=False,
                            callbacks=[GradientAccumulationScheduler({1: 2})])
    trainer.fit(TrainOnlyModel())

    assert trainer.global_step == BATCHES + BATCHES // 2  # epoch 0 steps 4 times, epoch 1 twice


# ProgressBarBase
class CountingBar(ProgressBarBase):
    """A minimal custom bar: counts (through the base) and records the totals it saw."""

    def __init__(self) -> None:
        super().__init__()
        self.shown = True
        self.train_positions: list[int] = []

    def enable(self) -> None:
        self.shown = True

    def disable(self) -> None:
        self.shown = False

    def on_batch_end(self, trainer: Any, pl_module: Any) -> None:
        super().on_batch_end(trainer, pl_module)
        self.train_positions.append(self.train_batch_idx)


def test_progress_bar_base_counts_batches_and_knows_totals(tmp_path: Path) -> None:
    bar = CountingBar()
    trainer = quiet_trainer(tmp_path, max_epochs=2, num_sanity_val_steps=1, callbacks=[bar])
    assert bar.trainer is trainer
    assert (bar.total_train_batches, bar.total_val_batches, bar.total_test_batches) == (0, 0, 0)
    model = BoringModel()
    trainer.fit(model)

    assert bar.train_positions == list(range(1, BATCHES + 1)) * 2  # from 1 in every epoch
    assert (bar.total_train_batches, bar.total_val_batches) == (BATCHES, BATCHES)
    assert bar.train_batch_idx == BATCHES and bar.val_batch_idx == BATCHES
    assert bar.test_batch_idx == 0
    trainer.test(model)
    assert bar.total_test_batches == bar.test_batch_idx == BATCHES


def test_progress_bar_base_needs_enable_and_disable() -> None:
    bar = ProgressBarBase()
    with pytest.raises(NotImplementedError, match=r"ProgressBarBase must implement disable\(\)"):
        bar.disable()
    with pytest.raises(NotImplementedError, match=r"must implement enable\(\)"):
        bar.enable()


def test_total_val_batches_is_zero_in_epochs_without_validation(tmp_path: Path) -> None:
    bar = CountingBar()
    trainer = quiet_trainer(tmp_path, max_epochs=1, check_val_every_n_epoch=2,
                            num_sanity_val_steps=0, callbacks=[bar])
    trainer.fit(BoringModel())

    assert bar.total_val_batches == 0
    assert bar.val_batch_idx == 0


# ProgressBar
def bar_fit(tmp_path: Path, model: pl.LightningModule | None = None, bar: Any = None,
            **kwargs: Any) -> tuple[Any, pl.Trainer, io.StringIO]:
    stream = io.StringIO()
    bar = bar if bar is not None else ProgressBar(file=stream)
    bar.file = stream
    kwargs.setdefault("max_epochs", 1)
    kwargs.setdefault("checkpoint_callback", False)
    trainer = quiet_trainer(tmp_path, callbacks=[bar], **kwargs)
    trainer.fit(model if model is not None else BoringModel())
    return bar, trainer, stream


def test_progress_bar_totals_and_counts_after_fit_and_test(tmp_path: Path) -> None:
    stream = io.StringIO()
    bar = ProgressBar(file=stream)
    trainer = quiet_trainer(tmp_path, max_epochs=2, callbacks=[bar])
    model = BoringModel()
    trainer.fit(model)

    main, val = bar.main_progress_bar, bar.val_progress_bar
    assert main.total == main.n == BATCHES + BATCHES  # the last epoch's training + validation
    assert val.total == val.n == BATCHES
    assert bar.train_batch_idx == BATCHES and bar.val_batch_idx == BATCHES
    assert bar.test_progress_bar is None
    assert bar.main_bar is None  # closed

    trainer.test(model)
    test = bar.test_progress_bar
    assert test.total == test.n == bar.test_batch_idx == BATCHES
    assert bar.main_progress_bar is main  # a test leaves the training bars alone


def test_main_bar_counts_every_validation_of_the_epoch(tmp_path: Path) -> None:
    bar, _, _ = bar_fit(tmp_path, val_check_interval=0.5, num_sanity_val_steps=0)

    assert bar.main_progress_bar.total == bar.main_progress_bar.n == BATCHES + 2 * BATCHES
    assert bar.val_progress_bar.total == BATCHES


def test_main_bar_of_an_epoch_without_validation(tmp_path: Path) -> None:
    bar, _, _ = bar_fit(tmp_path, check_val_every_n_epoch=2, num_sanity_val_steps=0)

    assert bar.main_progress_bar.total == bar.main_progress_bar.n == BATCHES
    assert bar.val_progress_bar is None


class KeepsSanityBar(ProgressBar):
    """Overrides ``init_sanity_tqdm`` (as users do) and keeps the bar it made."""

    def init_sanity_tqdm(self) -> Any:
        self.sanity_bar = super().init_sanity_tqdm()
        return self.sanity_bar


@pytest.mark.parametrize(("steps", "expected"), [(3, 3), (10, BATCHES), (-1, BATCHES)])
def test_sanity_check_bar(tmp_path: Path, steps: int, expected: int) -> None:
    bar, _, stream = bar_fit(tmp_path, bar=KeepsSanityBar(), num_sanity_val_steps=steps)

    assert bar.sanity_bar.desc.startswith("Validation sanity check")
    assert bar.sanity_bar.total == bar.sanity_bar.n == expected
    assert bar.val_progress_bar is not bar.sanity_bar  # validation has its own bar
    assert "Validation sanity check" in stream.getvalue()


class TwoValLoaders(BoringModel):
    """Validation over two loaders, of 4 and 2 batches."""

    def val_dataloader(self) -> list[DataLoader]:
        return [DataLoader(regression_data(64, seed=1), batch_size=16),
                DataLoader(regression_data(32, seed=3), batch_size=16)]

    def validation_step(self, batch: Any, batch_idx: int, dataloader_idx: int = 0) -> Any:
        return super().validation_step(batch, batch_idx)

    def validation_epoch_end(self, outputs: list[list[dict[str, Any]]]) -> dict[str, Any]:
        return super().validation_epoch_end([o for loader in outputs for o in loader])


def test_bars_total_every_validation_loader(tmp_path: Path) -> None:
    bar, _, _ = bar_fit(tmp_path, TwoValLoaders(), bar=KeepsSanityBar(), num_sanity_val_steps=3)

    assert bar.sanity_bar.total == bar.sanity_bar.n == 3 + 2
    assert bar.total_val_batches == bar.val_progress_bar.total == bar.val_progress_bar.n == 6
    assert bar.main_progress_bar.total == bar.main_progress_bar.n == BATCHES + 6


def test_main_bar_of_a_run_resumed_mid_epoch_goes_on_from_there(tmp_path: Path) -> None:
    path = mid_epoch_checkpoint(tmp_path)
    stream = io.StringIO()
    bar = ProgressBar(file=stream)
    trainer = quiet_trainer(tmp_path, max_epochs=1, val_check_interval=0.5, logger=False,
                            checkpoint_callback=False, callbacks=[bar])
    trainer.fit(BoringModel(), ckpt_path=path)

    total = BATCHES + 2 * BATCHES  # 4 training batches, two validations of 4
    assert bar.main_progress_bar.total == bar.main_progress_bar.n == total
    assert bar.train_batch_idx == BATCHES
    text = stream.getvalue()
    assert f"{2 + BATCHES}/{total}" in text  # 2 batches and 1 validation were done before
    assert re.search(r"<-|-[\d.]+it/s", text) is None  # no negative time or rate


def test_progress_bar_draws_epochs_validation_and_the_version(tmp_path: Path) -> None:
    bar, trainer, stream = bar_fit(tmp_path, max_epochs=2)
    text = stream.getvalue()

    assert "Epoch 1" in text and "Epoch 2" in text  # counted from 1, as 0.8.5
    assert f"{2 * BATCHES}/{2 * BATCHES}" in text
    assert "Validating" in text
    assert "v_num=0" in text and "loss=" in text and "tl=" in text

    bar.file = test_stream = io.StringIO()
    trainer.test()
    shown = test_stream.getvalue()
    assert "Testing" in shown and f"{BATCHES}/{BATCHES}" in shown
    assert "loss=" not in shown and "v_num" not in shown and "Epoch" not in shown


class CountedReads(TrainOnlyModel):
    """Counts the reads of the progress bar's metrics (each a host sync on a GPU)."""

    reads = 0

    def get_progress_bar_dict(self) -> dict[str, Any]:
        self.reads += 1
        return super().get_progress_bar_dict()


@pytest.mark.parametrize(("refresh_rate", "per_second", "reads"), [
    (1, 1e9, BATCHES + 1),  # every batch, and the epoch's end
    (2, 1e9, BATCHES // 2 + 1),
    (50, 1e9, 1),  # only the epoch's end
    (1, 1e-9, 1),  # max_refresh_per_second holds back every mid-epoch redraw
])
def test_metrics_are_read_only_when_the_main_bar_is_redrawn(
        tmp_path: Path, refresh_rate: int, per_second: float, reads: int) -> None:
    model = CountedReads()
    bar = ProgressBar(refresh_rate=refresh_rate, max_refresh_per_second=per_second)
    bar, _, _ = bar_fit(tmp_path, model, bar=bar, logger=False)

    assert model.reads == reads
    assert bar.main_progress_bar.n == BATCHES  # counted whether drawn or not


def test_validation_and_test_bars_redraw_every_refresh_rate_batches(tmp_path: Path) -> None:
    positions: list[tuple[str, int, int]] = []

    class Watched(ProgressBar):
        def on_validation_batch_end(self, trainer: Any, pl_module: Any) -> None:
            super().on_validation_batch_end(trainer, pl_module)
            positions.append(("val", self.val_batch_idx, self.val_progress_bar.n))

        def on_test_batch_end(self, trainer: Any, pl_module: Any) -> None:
            super().on_test_batch_end(trainer, pl_module)
            positions.append(("test", self.test_batch_idx, self.test_progress_bar.n))

    bar, trainer, _ = bar_fit(tmp_path, bar=Watched(refresh_rate=3), num_sanity_val_steps=0)
    trainer.test()

    assert positions == [(stage, i, i) for stage in ("val", "test") for i in range(1, 5)]


def test_refresh_rate_zero_draws_nothing_but_counts(tmp_path: Path) -> None:
    bar, trainer, stream = bar_fit(tmp_path, bar=ProgressBar(refresh_rate=0))
    trainer.test()

    assert stream.getvalue() == ""
    assert bar.is_disabled and not bar.is_enabled
    assert bar.main_progress_bar.disable
    assert (bar.train_batch_idx, bar.val_batch_idx, bar.test_batch_idx) == (BATCHES,) * 3


def test_disable_and_enable(tmp_path: Path) -> None:
    bar = ProgressBar()
    bar.disable()
    bar, _, stream = bar_fit(tmp_path, bar=bar)
    assert stream.getvalue() == "" and bar.is_disabled

    bar.enable()
    assert bar.is_enabled
    bar, _, stream = bar_fit(tmp_path, bar=bar)
    assert "Epoch 1" in stream.getvalue()


def test_process_position_moves_the_bars_down(tmp_path: Path) -> None:
    bar, _, _ = bar_fit(tmp_path, bar=ProgressBar(process_position=1), num_sanity_val_steps=0)

    assert bar.process_position == 1
    assert abs(bar.main_progress_bar.pos) == 2
    assert abs(bar.val_progress_bar.pos) == 3


def test_overridden_init_validation_tqdm_is_used(tmp_path: Path) -> None:
    class Renamed(ProgressBar):
        def init_validation_tqdm(self) -> Any:
            bar = super().init_validation_tqdm()
            bar.set_description("running validation ...")
            return bar

    _, _, stream = bar_fit(tmp_path, bar=Renamed(), num_sanity_val_steps=0)
    assert "running validation ..." in stream.getvalue()


@pytest.mark.parametrize(("kwargs", "match"), [
    ({"refresh_rate": -1}, r"ProgressBar\(refresh_rate=-1\): use an int >= 0"),
    ({"process_position": -2}, r"ProgressBar\(process_position=-2\): use an int >= 0"),
    ({"max_refresh_per_second": 0}, r"max_refresh_per_second=0\): use a number above 0"),
])
def test_progress_bar_bad_arguments(kwargs: dict[str, Any], match: str) -> None:
    with pytest.raises(ConfigError, match=match):
        ProgressBar(**kwargs)


def test_progress_bar_copies_without_its_bars(tmp_path: Path) -> None:
    bar, _, _ = bar_fit(tmp_path)
    copy = copy_module.copy(bar)  # through __getstate__, as pickle (tqdm bars hold locks)

    assert copy.main_progress_bar is None and copy.val_progress_bar is None
    assert copy.train_batch_idx == BATCHES and copy.refresh_rate == bar.refresh_rate
    assert bar.main_progress_bar is not None  # the original keeps them

    fresh = ProgressBar(refresh_rate=3)
    fresh.main_progress_bar = fresh.init_train_tqdm()
    restored = pickle.loads(pickle.dumps(fresh))
    fresh.main_progress_bar.close()
    assert restored.main_progress_bar is None and restored.refresh_rate == 3


def test_bars_are_closed_when_training_fails(tmp_path: Path) -> None:
    class FailsAtBatch2(BoringModel):
        def training_step(self, batch: Any, batch_idx: int) -> Any:
            if batch_idx == 2:
                raise RuntimeError("deliberate failure")
            return super().training_step(batch, batch_idx)

    bar = ProgressBar(file=io.StringIO())
    trainer = quiet_trainer(tmp_path, max_epochs=1, num_sanity_val_steps=0, callbacks=[bar])
    with pytest.raises(RuntimeError, match="deliberate failure"):
        trainer.fit(FailsAtBatch2())

    assert bar.main_bar is None and bar.main_progress_bar.disable
    assert bar.main_progress_bar.n == bar.train_batch_idx == 2


class Endless(IterableDataset):
    def __iter__(self) -> Any:
        return iter(regression_data(48))


class UnsizedTraining(TrainOnlyModel):
    def train_dataloader(self) -> DataLoader:
        return DataLoader(Endless(), batch_size=16)


def test_main_bar_of_an_unsized_loader_has_no_total(tmp_path: Path) -> None:
    bar, _, stream = bar_fit(tmp_path, UnsizedTraining(), logger=False)

    assert bar.total_train_batches == math.inf
    assert bar.main_progress_bar.total is None
    assert bar.main_progress_bar.n == bar.train_batch_idx == 3
    assert "3it [" in stream.getvalue()  # a count and a rate, no total


def test_fast_dev_run_bars(tmp_path: Path) -> None:
    bar = ProgressBar(file=io.StringIO())
    trainer = pl.Trainer(fast_dev_run=True, default_root_dir=str(tmp_path),
                         weights_summary=None, callbacks=[bar])
    assert bar.total_train_batches == 1
    model = BoringModel()
    trainer.fit(model)

    assert bar.total_val_batches == 1
    assert bar.main_progress_bar.total == bar.main_progress_bar.n == 2
    trainer.test(model)
    assert bar.test_progress_bar.total == bar.test_progress_bar.n == 1


def test_new_callbacks_are_public() -> None:
    assert {"GradientAccumulationScheduler", "LearningRateLogger", "ProgressBar",
            "ProgressBarBase"} <= set(pl.callbacks.__all__)
    assert issubclass(ProgressBar, ProgressBarBase) and issubclass(ProgressBarBase, Callback)


def test_more_than_one_progress_bar_is_refused_in_0_8_5s_words() -> None:
    with pytest.raises(MisconfigurationError, match=r"^You added multiple progress bar "
                       r"callbacks to Trainer\(callbacks=\[\.\.\.\]\): 2 \(ProgressBar, "
                       r"ProgressBar\); pass at most one"):
        pl.Trainer(callbacks=[pl.callbacks.ProgressBar(), pl.callbacks.ProgressBar(),
                              pl.callbacks.ModelCheckpoint("../trainer")])
