"""The batch loop's per-batch decisions: the last batch, log rows, validation and stops.

These pin behaviour the loop decides with counters set up once per pass (not per-batch
arithmetic), for every kind of training loader.
"""

from __future__ import annotations

import warnings
from collections.abc import Iterator
from typing import Any

import pytest
import torch
from torch.utils.data import DataLoader, IterableDataset, TensorDataset

import orchestrator as pl
from schemas.errors import MisconfigurationError
from tests.helpers import (
    BoringModel,
    RecordingLogger,
    TrainOnlyModel,
    quiet_trainer,
    regression_data,
)


class Stream(IterableDataset):
    """An unsized dataset: ``n`` samples, one at a time."""

    def __init__(self, n: int) -> None:
        self.x, self.y = regression_data(n).tensors

    def __iter__(self) -> Iterator[tuple[torch.Tensor, torch.Tensor]]:
        return iter(zip(self.x, self.y, strict=True))


class ShortOfItsLength:
    """A loader that is not a DataLoader and whose len() promises more batches than it has."""

    def __init__(self, batches: int, claimed: int) -> None:
        x, y = regression_data(4 * batches).tensors
        self.batches = list(zip(x.split(4), y.split(4), strict=True))
        self.claimed = claimed

    def __len__(self) -> int:
        return self.claimed

    def __iter__(self) -> Iterator[Any]:
        return iter(self.batches)


class Recording(BoringModel):
    """Records each training batch index, epoch ends and where validation checks run."""

    def __init__(self, loader: Any = None, **kwargs: Any) -> None:
        super().__init__(**kwargs)
        self.loader = loader
        self.batches: list[tuple[int, int]] = []
        self.epoch_outputs: list[int] = []
        self.val_at: list[tuple[int, int]] = []

    def train_dataloader(self) -> Any:
        return self.loader if self.loader is not None else super().train_dataloader()

    def training_step(self, batch: Any, batch_idx: int) -> dict[str, Any]:
        self.batches.append((self.current_epoch, batch_idx))
        return super().training_step(batch, batch_idx)

    def training_epoch_end(self, outputs: list[Any]) -> dict[str, Any]:
        self.epoch_outputs.append(len(outputs))
        return {}

    def validation_step(self, batch: Any, batch_idx: int) -> dict[str, Any]:
        if batch_idx == 0:  # where in the training epoch this check runs
            trained = sum(1 for epoch, _ in self.batches if epoch == self.current_epoch)
            self.val_at.append((self.current_epoch, trained))
        return super().validation_step(batch, batch_idx)


def _row_steps(logger: RecordingLogger) -> list[int]:
    """The step of every metrics row with the training loss in it."""
    return [int(call[1] or 0) for call in logger.calls
            if call[0] == "log_metrics" and "train_loss" in call[2]]


def _saves(logger: RecordingLogger) -> int:
    return sum(1 for call in logger.calls if call[0] == "save")


def _fit(tmp_path: Any, model: Any, **kwargs: Any) -> pl.Trainer:
    options: dict[str, Any] = dict(max_epochs=2, logger=False, checkpoint_callback=False,
                                   num_sanity_val_steps=0)
    options.update(kwargs)
    trainer = quiet_trainer(tmp_path, **options)
    trainer.fit(model)
    return trainer


def test_an_unsized_loader_trains_every_batch_and_ends_each_epoch_once(tmp_path: Any) -> None:
    model = Recording(DataLoader(Stream(20), batch_size=4))
    trainer = _fit(tmp_path, model)
    assert model.batches == [(e, b) for e in range(2) for b in range(5)]
    assert model.epoch_outputs == [5, 5]
    assert model.val_at == [(0, 5), (1, 5)]  # the epoch-end check, after the last batch
    assert trainer.global_step == 10


def test_a_loader_shorter_than_its_len_ends_the_epoch_when_it_runs_out(tmp_path: Any) -> None:
    model = Recording(ShortOfItsLength(batches=3, claimed=7))
    trainer = _fit(tmp_path, model)
    assert model.batches == [(e, b) for e in range(2) for b in range(3)]
    assert model.epoch_outputs == [3, 3]
    assert trainer.global_step == 6


def test_train_percent_check_stops_a_longer_loader_at_its_share(tmp_path: Any) -> None:
    model = Recording(n=160)  # 10 batches of 16
    trainer = _fit(tmp_path, model, train_percent_check=0.35)
    assert model.batches == [(e, b) for e in range(2) for b in range(3)]
    assert model.epoch_outputs == [3, 3]
    assert trainer.global_step == 6


def test_int_val_check_interval_validates_after_every_nth_batch_and_at_the_end(
    tmp_path: Any
) -> None:
    model = Recording(n=160)
    _fit(tmp_path, model, max_epochs=1, val_check_interval=3)
    assert model.val_at == [(0, 3), (0, 6), (0, 9), (0, 10)]
    assert model.batches == [(0, b) for b in range(10)]


def test_log_rows_follow_optimizer_steps_through_accumulation_and_mid_epoch_checks(
    tmp_path: Any
) -> None:
    rows = RecordingLogger()
    model = Recording(n=160)  # 10 batches; with accumulation 2, 5 optimizer steps an epoch
    trainer = _fit(tmp_path, model, logger=rows, row_log_interval=2, log_save_interval=3,
                   accumulate_grad_batches=2, val_check_interval=0.5)
    assert trainer.global_step == 10
    # a row is due at every second batch (0, 2, ... of each epoch, as 0.8.5); each waits for
    # the step its batch belongs to, and a check that ends the pass mid-step does not lose it
    assert _row_steps(rows) == list(range(10))
    # ... and a save at every third step (3, 6, 9), plus the saves the run's end makes
    assert _saves(rows) >= 3
    assert model.val_at == [(0, 5), (0, 10), (1, 5), (1, 10)]


def test_log_rows_are_not_repeated_after_a_check_ends_the_pass(tmp_path: Any) -> None:
    rows = RecordingLogger()
    model = Recording(n=64)  # 4 batches: a check after batch 2 re-enters the loop at step 2
    _fit(tmp_path, model, logger=rows, row_log_interval=2, val_check_interval=0.5)
    assert _row_steps(rows) == [0, 2, 4, 6]  # batches 0 and 2 of each epoch


def test_max_steps_stops_after_the_step_that_reaches_it(tmp_path: Any) -> None:
    model = Recording(n=160)
    trainer = _fit(tmp_path, model, max_epochs=5, max_steps=13, val_check_interval=0.5)
    assert trainer.global_step == 13
    assert model.batches[-1] == (1, 2)
    assert model.epoch_outputs == [10, 3]  # the stopped epoch still ends with its hooks


def test_a_stop_requested_in_on_batch_end_ends_the_epoch_after_that_batch(
    tmp_path: Any
) -> None:
    class StopsAtBatchTwo(Recording):
        def on_batch_end(self) -> None:
            if self.batches[-1] == (0, 2):
                self.trainer.should_stop = True

    model = StopsAtBatchTwo(n=160)
    trainer = _fit(tmp_path, model, max_epochs=3, min_epochs=0)
    assert model.batches == [(0, b) for b in range(3)]
    assert trainer.global_step == 3


def test_a_sized_train_only_loader_still_trains_every_batch(tmp_path: Any) -> None:
    x, y = regression_data(48).tensors

    class Plain(TrainOnlyModel):
        def train_dataloader(self) -> DataLoader:
            return DataLoader(TensorDataset(x, y), batch_size=16)

    trainer = _fit(tmp_path, Plain(), max_epochs=3)
    assert trainer.global_step == 9


class SizedStream(Stream):
    """An IterableDataset that also claims a length (each loader worker would repeat it)."""

    def __len__(self) -> int:
        return len(self.x)


def test_an_iterable_dataset_with_a_len_warns_for_every_stage(tmp_path: Any) -> None:
    loader = DataLoader(SizedStream(16), batch_size=4)
    model = BoringModel()
    trainer = quiet_trainer(tmp_path, max_epochs=1, logger=False, checkpoint_callback=False)
    with pytest.warns(UserWarning, match=r"train_dataloader: Your `IterableDataset` has "
                                         r"`__len__` defined.*get_worker_info"):
        trainer.fit(model, train_dataloader=loader)
    with pytest.warns(UserWarning, match="test_dataloader: Your `IterableDataset` has"):
        trainer.test(model, test_dataloaders=[loader])


def test_an_iterable_dataset_without_a_len_does_not_warn(tmp_path: Any) -> None:
    trainer = quiet_trainer(tmp_path, max_epochs=1, logger=False, checkpoint_callback=False)
    with warnings.catch_warnings():
        warnings.filterwarnings("error", message=".*IterableDataset")
        trainer.fit(BoringModel(), train_dataloader=DataLoader(Stream(16), batch_size=4))


@pytest.mark.parametrize("container", [list, tuple])
def test_train_dataloader_returning_several_loaders_is_refused(
        tmp_path: Any, container: type) -> None:
    """Issue 17: a list counted as an iterable of batches, so training_step got DataLoaders."""
    loaders = container([DataLoader(regression_data(8), batch_size=4)] * 2)
    trainer = quiet_trainer(tmp_path, max_epochs=1, logger=False, checkpoint_callback=False)
    with pytest.raises(MisconfigurationError,
                       match=rf"train_dataloader returned a {container.__name__} of 2 "
                             "DataLoaders; one training loader is supported"):
        trainer.fit(Recording(loader=loaders))


def test_train_dataloader_may_be_a_plain_list_of_batches(tmp_path: Any) -> None:
    """A list of (x, y) batches is an iterable of batches, as before (not loaders)."""
    x, y = regression_data(8).tensors
    batches = list(zip(x.split(4), y.split(4), strict=True))
    model = Recording(loader=batches)
    _fit(tmp_path, model, max_epochs=1)
    assert model.batches == [(0, 0), (0, 1)]


class _BatchIndexSeen(pl.callbacks.Callback):
    def __init__(self) -> None:
        self.seen: list[tuple[str, int]] = []

    def on_epoch_start(self, trainer: Any, pl_module: Any) -> None:
        self.seen.append(("epoch_start", trainer.batch_idx))

    def on_batch_start(self, trainer: Any, pl_module: Any) -> None:
        self.seen.append(("batch_start", trainer.batch_idx))

    def on_batch_end(self, trainer: Any, pl_module: Any) -> None:
        self.seen.append(("batch_end", trainer.batch_idx))

    def on_validation_start(self, trainer: Any, pl_module: Any) -> None:
        self.seen.append(("validation_start", trainer.batch_idx))


def test_trainer_batch_idx_is_the_batch_running_as_0_8_reads_it(tmp_path: Any) -> None:
    """0.8.5: ``trainer.batch_idx`` is the current batch's index in on_batch_start and
    on_batch_end alike, and stays the last batch's through the validation after it."""
    seen = _BatchIndexSeen()
    _fit(tmp_path, BoringModel(), max_epochs=1, limit_train_batches=3, limit_val_batches=1,
         callbacks=[seen])
    assert seen.seen == [("epoch_start", 0), ("batch_start", 0), ("batch_end", 0),
                         ("batch_start", 1), ("batch_end", 1), ("batch_start", 2),
                         ("batch_end", 2), ("validation_start", 2)]


def test_loaders_with_few_workers_warn_where_more_cpus_could_read(
        tmp_path: Any, monkeypatch: pytest.MonkeyPatch) -> None:
    """0.8.5 and Lightning 2: each loader of at most 2 workers, named, on a machine of > 2 CPUs."""
    from states.loaders import FewWorkersWarning

    monkeypatch.setattr("multiprocessing.cpu_count", lambda: 4)
    trainer = quiet_trainer(tmp_path, max_epochs=1, logger=False, checkpoint_callback=False)
    with pytest.warns(FewWorkersWarning) as caught:
        trainer.fit(BoringModel())
        trainer.test()
    names = {str(w.message).split(",")[1].strip() for w in caught
             if isinstance(w.message, FewWorkersWarning)}
    assert names == {"train dataloader", "val dataloader 0", "test dataloader 0"}
    assert "num_workers=0 on a machine of 4 CPUs; try DataLoader(num_workers=4)" in str(
        caught[0].message)


def test_loaders_with_few_workers_do_not_warn_on_two_cpus(
        tmp_path: Any, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr("multiprocessing.cpu_count", lambda: 2)
    trainer = quiet_trainer(tmp_path, max_epochs=1, logger=False, checkpoint_callback=False)
    with warnings.catch_warnings():
        warnings.simplefilter("error", UserWarning)
        warnings.filterwarnings("ignore", message=".*validation_epoch_end|.*test_epoch_end")
        trainer.fit(BoringModel())
