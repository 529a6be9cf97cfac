"""Each Trainer argument of the seed, with its documented meaning, and the errors around it."""

from __future__ import annotations

import importlib.util
import warnings
from argparse import Namespace
from typing import Any

import pytest
import torch
from loguru import logger
from torch.utils.data import DataLoader

import orchestrator as pl
from schemas.errors import ConfigError, HardwareUnavailableError, MisconfigurationError
from tests.helpers import BoringModel, TrainOnlyModel, quiet_trainer, regression_data


def _trainer(tmp_path: Any, **kwargs: Any) -> pl.Trainer:
    options: dict[str, Any] = dict(max_epochs=1, logger=False, checkpoint_callback=False)
    options.update(kwargs)
    return quiet_trainer(tmp_path, **options)


class CountingModel(BoringModel):
    """Counts train and validation batches, and validation runs (sanity included)."""

    def __init__(self, **kwargs: Any) -> None:
        super().__init__(**kwargs)
        self.train_batches = 0
        self.val_batches = 0
        self.val_runs = 0

    def training_step(self, batch: Any, batch_idx: int) -> dict[str, Any]:
        self.train_batches += 1
        return super().training_step(batch, batch_idx)

    def validation_step(self, batch: Any, batch_idx: int) -> dict[str, Any]:
        self.val_batches += 1
        return super().validation_step(batch, batch_idx)

    def validation_epoch_end(self, outputs: list[Any]) -> dict[str, Any]:
        self.val_runs += 1
        return super().validation_epoch_end(outputs)


def test_max_epochs_and_min_epochs(tmp_path: Any) -> None:
    model = CountingModel()
    trainer = _trainer(tmp_path, max_epochs=3, num_sanity_val_steps=0)
    trainer.fit(model)
    assert (model.train_batches, model.val_runs, trainer.current_epoch) == (12, 3, 2)

    class StopsAtOnce(TrainOnlyModel):
        def on_epoch_end(self) -> None:
            self.trainer.should_stop = True

    trainer = _trainer(tmp_path, max_epochs=5, min_epochs=3)
    trainer.fit(StopsAtOnce())
    assert trainer.current_epoch == 2
    assert trainer.lifecycle.outcome == "stopped_early"


def test_max_steps_stops_mid_epoch_and_min_steps_delays_a_stop(tmp_path: Any) -> None:
    trainer = _trainer(tmp_path, max_epochs=10, max_steps=6)
    trainer.fit(TrainOnlyModel())
    assert (trainer.global_step, trainer.current_epoch) == (6, 1)
    assert trainer.lifecycle.history[-2:] == ["train_epoch", "teardown"]

    class StopsAtOnce(TrainOnlyModel):
        def on_batch_end(self) -> None:
            self.trainer.should_stop = True

    trainer = _trainer(tmp_path, max_epochs=10, min_steps=6, min_epochs=0)
    trainer.fit(StopsAtOnce())
    assert trainer.global_step == 6


def test_val_check_interval_float_validates_within_the_epoch(tmp_path: Any) -> None:
    model = CountingModel()
    trainer = _trainer(tmp_path, val_check_interval=0.5, num_sanity_val_steps=0)
    trainer.fit(model)
    assert model.val_runs == 2  # after batch 2 and at the epoch's end
    assert trainer.lifecycle.history == [
        "init", "prepare_data", "optimizers", "dataloaders",
        "train_epoch", "val_check", "train_epoch", "val_check", "teardown",
    ]
    assert model.train_batches == 4


def test_val_check_interval_int_counts_batches(tmp_path: Any) -> None:
    model = CountingModel()
    _trainer(tmp_path, val_check_interval=1, num_sanity_val_steps=0).fit(model)
    assert model.val_runs == 4
    with pytest.raises(MisconfigurationError, match=r"val_check_interval=9\) is more than the 4"):
        _trainer(tmp_path, val_check_interval=9).fit(BoringModel())


def test_check_val_every_n_epoch(tmp_path: Any) -> None:
    model = CountingModel()
    _trainer(tmp_path, max_epochs=4, check_val_every_n_epoch=2, num_sanity_val_steps=0).fit(model)
    assert model.val_runs == 2


def test_num_sanity_val_steps(tmp_path: Any) -> None:
    model = CountingModel()
    trainer = _trainer(tmp_path, num_sanity_val_steps=1)
    trainer.fit(model)
    assert model.val_batches == 1 + 4
    assert "sanity_val" in trainer.lifecycle.history
    model = CountingModel()
    trainer = _trainer(tmp_path, num_sanity_val_steps=0)
    trainer.fit(model)
    assert "sanity_val" not in trainer.lifecycle.history
    assert model.val_batches == 4


def test_limits_take_a_fraction_or_a_count_of_batches(tmp_path: Any) -> None:
    model = CountingModel(n=64, batch_size=8)  # 8 train, 8 val batches
    _trainer(tmp_path, limit_train_batches=0.25, limit_val_batches=3,
             num_sanity_val_steps=0).fit(model)
    assert (model.train_batches, model.val_batches) == (2, 3)
    model = CountingModel(n=64, batch_size=8)
    _trainer(tmp_path, limit_val_batches=0.0, num_sanity_val_steps=0).fit(model)
    assert model.val_batches == 0
    model = CountingModel(n=64, batch_size=8)  # fast_dev_run runs one of each, limits aside
    _trainer(tmp_path, limit_val_batches=0.0, limit_train_batches=0.5, fast_dev_run=True).fit(model)
    assert (model.train_batches, model.val_batches) == (1, 1)
    trainer = _trainer(tmp_path, limit_test_batches=0.25)
    trainer.fit(CountingModel(n=64, batch_size=8))
    assert trainer.num_test_batches == []
    trainer.test()
    assert trainer.num_test_batches == [2]
    model = CountingModel(n=64, batch_size=8)
    _trainer(tmp_path, limit_train_batches=100, num_sanity_val_steps=0).fit(model)
    assert model.train_batches == 8  # a count above the loader's length takes all of it


def test_percent_checks_still_work_with_a_deprecation_warning(tmp_path: Any) -> None:
    model = CountingModel(n=64, batch_size=8)
    with pytest.warns(DeprecationWarning, match="train_percent_check"):
        trainer = _trainer(tmp_path, train_percent_check=0.25, num_sanity_val_steps=0)
    trainer.fit(model)
    assert model.train_batches == 2
    with pytest.warns(DeprecationWarning, match=r"trainer.train_percent_check is named"):
        assert trainer.train_percent_check == 0.25


def test_overfit_batches_trains_and_evaluates_on_the_same_training_batches(
        tmp_path: Any) -> None:
    seen: dict[str, list[torch.Tensor]] = {"train": [], "val": [], "test": []}

    class Overfit(CountingModel):
        def train_dataloader(self) -> DataLoader[Any]:
            return DataLoader(regression_data(64, seed=0), batch_size=8, shuffle=True)

        def training_step(self, batch: Any, batch_idx: int) -> dict[str, Any]:
            seen["train"].append(batch[0])
            return super().training_step(batch, batch_idx)

        def validation_step(self, batch: Any, batch_idx: int) -> dict[str, Any]:
            seen["val"].append(batch[0])
            return super().validation_step(batch, batch_idx)

        def test_step(self, batch: Any, batch_idx: int) -> dict[str, Any]:
            seen["test"].append(batch[0])
            return super().test_step(batch, batch_idx)

    model = Overfit(n=64, batch_size=8)
    with pytest.warns(UserWarning, match="shuffling is turned off"):
        trainer = _trainer(tmp_path, overfit_batches=2, num_sanity_val_steps=0)
        trainer.fit(model)
        trainer.test(ckpt_path=None)
    assert (model.train_batches, model.val_batches) == (2, 2)
    first_two = regression_data(64, seed=0).tensors[0][:16]
    assert torch.equal(torch.cat(seen["val"]), first_two)  # in order: shuffling is off
    assert torch.equal(torch.cat(seen["test"]), first_two)


def test_overfit_batches_without_a_validation_step_only_trains(tmp_path: Any) -> None:
    """As 0.8.5: the training loader stands in for validation only where the module
    validates (a module without validation_step just trains, overfit or not)."""
    trainer = _trainer(tmp_path, overfit_batches=2, max_epochs=2)
    trainer.fit(TrainOnlyModel())
    assert trainer.global_step == 4 and trainer.num_val_batches == []


def test_reload_dataloaders_every_epoch_asks_again_each_epoch(tmp_path: Any) -> None:
    class Reloaded(CountingModel):
        requests = 0

        def train_dataloader(self) -> DataLoader[Any]:
            self.requests += 1
            return super().train_dataloader()

    model = Reloaded()
    _trainer(tmp_path, max_epochs=3, reload_dataloaders_every_epoch=True).fit(model)
    assert model.requests == 3
    model = Reloaded()
    _trainer(tmp_path, max_epochs=3).fit(model)
    assert model.requests == 1


def test_track_grad_norm_logs_the_norms_with_the_rows(tmp_path: Any) -> None:
    trainer = _trainer(tmp_path, track_grad_norm=2, row_log_interval=1, max_epochs=1)
    model = TrainOnlyModel()
    trainer.fit(model)
    logged = trainer.logged_metrics
    assert "grad_2.0_norm_total" in logged
    assert any(key.startswith("grad_2.0_norm_") and key != "grad_2.0_norm_total"
               for key in logged)
    assert not any(key.startswith("grad_") for key in _trainer(tmp_path).logged_metrics)


def test_profiler_true_reports_the_states_and_hooks_at_the_end_of_fit(
        tmp_path: Any, capsys: Any) -> None:
    from orchestrator.profiler import PassThroughProfiler, SimpleProfiler

    assert isinstance(_trainer(tmp_path).profiler, PassThroughProfiler)
    trainer = _trainer(tmp_path, profiler=True)
    assert isinstance(trainer.profiler, SimpleProfiler)
    trainer.fit(CountingModel())
    summary = trainer.profiler.summary()
    for action in ("train_epoch", "run_training_batch", "training_step", "validation_step"):
        assert action in summary
    with pytest.raises(ConfigError, match=r"Trainer\(profiler='yes'\).*AdvancedProfiler"):
        _trainer(tmp_path, profiler="yes")


def test_test_prints_the_results_block_and_uses_the_best_checkpoint(
        tmp_path: Any, capsys: Any) -> None:
    model = CountingModel()
    trainer = quiet_trainer(tmp_path, max_epochs=2)
    trainer.fit(model)
    best = trainer.checkpoint_callback.best_model_path
    assert best
    capsys.readouterr()
    results = trainer.test()
    assert trainer.tested_ckpt_path == best
    out = capsys.readouterr().out
    assert "TEST RESULTS" in out and repr(sorted(results[0])[0]) in out
    trainer.test(ckpt_path=None)
    assert trainer.tested_ckpt_path is None
    trainer.test(model)  # a model passed in keeps its own weights
    assert trainer.tested_ckpt_path is None


def test_the_old_names_of_arguments_still_work(tmp_path: Any) -> None:
    with pytest.warns(DeprecationWarning, match="max_nb_epochs"):
        trainer = pl.Trainer(max_nb_epochs=2, default_save_path=str(tmp_path), logger=False,
                             progress_bar_refresh_rate=0, weights_summary=None)
    assert (trainer.max_epochs, trainer.default_root_dir) == (2, str(tmp_path))


def test_dp_without_gpus_trains_on_the_cpu_with_a_warning(tmp_path: Any) -> None:
    if torch.cuda.is_available():
        pytest.skip("a GPU is present")
    with pytest.warns(UserWarning, match=r"distributed_backend='dp'.*no gpus.*on the CPU"):
        trainer = _trainer(tmp_path, distributed_backend="dp")
    trainer.fit(CountingModel())
    assert trainer.backend.root_device.type == "cpu"


def test_benchmark_and_deterministic_set_cudnn(tmp_path: Any) -> None:
    before = torch.backends.cudnn.benchmark, torch.backends.cudnn.deterministic
    try:
        _trainer(tmp_path, benchmark=True, deterministic=True)
        assert torch.backends.cudnn.benchmark and torch.backends.cudnn.deterministic
        _trainer(tmp_path)
        assert not torch.backends.cudnn.benchmark and not torch.backends.cudnn.deterministic
    finally:
        torch.backends.cudnn.benchmark, torch.backends.cudnn.deterministic = before


def test_the_signature_lists_every_argument() -> None:
    import inspect

    params = inspect.signature(pl.Trainer).parameters
    for name in ("limit_train_batches", "overfit_batches", "auto_lr_find", "profiler",
                 "train_percent_check", "use_amp", "tpu_cores"):
        assert name in params
    assert params["max_epochs"].default == 1000
    assert params["max_nb_epochs"].default is None  # the pre-0.8 names, by name
    assert all(p.kind is inspect.Parameter.KEYWORD_ONLY for name, p in params.items()
               if name != "self")
    # as 0.8.5's test of it: every argument, with its default, and a Trainer from them all
    arguments = pl.Trainer.get_init_arguments_and_types()
    assert [name for name, _, _ in arguments] == [name for name in params if name != "self"]
    assert all(params[name].default == default for name, _, default in arguments)
    with warnings.catch_warnings():
        warnings.simplefilter("error", DeprecationWarning)  # None: an old name not given
        trainer = pl.Trainer(**{name: default for name, _, default in arguments})
    assert trainer.max_epochs == 1000


def test_path_like_directories_are_accepted(tmp_path: Any) -> None:
    import py

    trainer = _trainer(tmp_path, default_root_dir=py.path.local(tmp_path))
    assert trainer.default_root_dir == str(tmp_path)


def test_fast_dev_run_runs_one_batch_of_each(tmp_path: Any) -> None:
    model = CountingModel()
    trainer = quiet_trainer(tmp_path, fast_dev_run=True, max_epochs=5)
    trainer.fit(model)
    assert (model.train_batches, model.val_batches, trainer.current_epoch) == (1, 1, 0)
    assert trainer.logger is None and trainer.checkpoint_callback is None
    assert not list(tmp_path.rglob("*.ckpt")) and not list(tmp_path.rglob("events.*"))
    results = trainer.test()
    assert trainer.num_test_batches == [1] and len(results) == 1


def test_hardware_that_is_not_here_is_a_clear_error(tmp_path: Any) -> None:
    if torch.cuda.is_available():
        pytest.skip("a GPU is present")
    with pytest.raises(HardwareUnavailableError, match=r"gpus=1\) asks for a GPU.*gpus=None"):
        pl.Trainer(gpus=1)
    with pytest.raises(HardwareUnavailableError, match=r"gpus='0,1'\)"):
        pl.Trainer(gpus="0,1")
    with pytest.raises(HardwareUnavailableError, match=r"precision=16\) needs a GPU.*bf16"):
        pl.Trainer(precision=16)
    with pytest.raises(ConfigError, match=r"num_nodes=2\) needs distributed_backend='ddp'"):
        pl.Trainer(num_nodes=2)
    pl.Trainer(auto_select_gpus=True, amp_level="O1", num_nodes=1, process_position=1,
               progress_bar_refresh_rate=0)


def test_a_tpu_trainer_builds_without_torch_xla_and_refuses_to_run(tmp_path: Any) -> None:
    """As 0.8.5: a Trainer(tpu_cores=...) can be built and read anywhere (a CLI parsed on a
    laptop); fit and test say that torch_xla is missing, before anything runs."""
    if importlib.util.find_spec("torch_xla") is not None:
        pytest.skip("torch_xla is installed")
    eight, fifth = pl.Trainer(tpu_cores=8), pl.Trainer(tpu_cores=[5])
    assert (eight.use_tpu, eight.on_tpu, eight.tpu_cores, eight.tpu_id) == (True, True, 8, None)
    assert (fifth.use_tpu, fifth.tpu_cores, fifth.tpu_id) == (True, [5], 5)
    assert pl.Trainer().tpu_id is None and not pl.Trainer().use_tpu
    model = BoringModel()
    with pytest.raises(HardwareUnavailableError, match=r"tpu_cores=8\) needs torch_xla.*pip"):
        eight.fit(model)
    with pytest.raises(HardwareUnavailableError, match=r"tpu_cores=\[5\]\) needs torch_xla"):
        fifth.test(model)
    assert eight.global_step == 0 and not list(tmp_path.iterdir())


def test_bf16_precision_runs_under_cpu_autocast(tmp_path: Any) -> None:
    dtypes: list[torch.dtype] = []

    class Records(TrainOnlyModel):
        def training_step(self, batch: Any, batch_idx: int) -> dict[str, Any]:
            x, _ = batch
            dtypes.append(self.layer(x).dtype)
            return super().training_step(batch, batch_idx)

    model = Records()
    _trainer(tmp_path, precision="bf16").fit(model)
    assert dtypes and set(dtypes) == {torch.bfloat16}
    assert model.layer.weight.dtype == torch.float32


def test_weights_summary_tables(tmp_path: Any) -> None:
    messages: list[str] = []
    sink = logger.add(lambda m: messages.append(str(m)), level="INFO")
    try:
        class Nested(TrainOnlyModel):
            def __init__(self) -> None:
                super().__init__()
                self.block = torch.nn.Sequential(torch.nn.Linear(8, 4), torch.nn.ReLU())

        _trainer(tmp_path, weights_summary="top").fit(Nested())
        top = "".join(messages)
        assert "block" in top and "Sequential" in top and "block.0" not in top
        messages.clear()
        _trainer(tmp_path, weights_summary="full").fit(Nested())
        assert "block.0" in "".join(messages)
        messages.clear()
        _trainer(tmp_path, weights_summary=None).fit(Nested())
        assert "Params" not in "".join(messages)
    finally:
        logger.remove(sink)


@pytest.mark.parametrize(
    ("remove", "message"),
    [("training_step", "does not define training_step"),
     ("configure_optimizers", "does not define configure_optimizers"),
     ("train_dataloader", "does not define train_dataloader")],
)
def test_a_module_missing_a_required_method_is_named(tmp_path: Any, remove: str,
                                                     message: str) -> None:
    model_class = type("Missing", (TrainOnlyModel,), {remove: getattr(pl.LightningModule, remove)})
    trainer = _trainer(tmp_path)
    with pytest.raises(MisconfigurationError, match=message):
        trainer.fit(model_class())
    assert trainer.lifecycle.history == ["init", "teardown"]


def test_fit_and_test_take_dataloaders(tmp_path: Any) -> None:
    class NoLoaders(BoringModel):
        train_dataloader = pl.LightningModule.train_dataloader  # type: ignore[assignment]
        val_dataloader = pl.LightningModule.val_dataloader  # type: ignore[assignment]
        test_dataloader = pl.LightningModule.test_dataloader  # type: ignore[assignment]

    model = NoLoaders()
    trainer = _trainer(tmp_path)
    trainer.fit(model, train_dataloader=DataLoader(regression_data(16), batch_size=8),
                val_dataloaders=DataLoader(regression_data(8, seed=1), batch_size=8))
    assert trainer.global_step == 2 and "val_loss" in trainer.callback_metrics
    two_loaders = [DataLoader(regression_data(8, seed=2), batch_size=4),
                   DataLoader(regression_data(8, seed=3), batch_size=4)]
    with pytest.raises(MisconfigurationError, match="add `dataloader_idx` to its signature"):
        trainer.test(test_dataloaders=two_loaders)

    class TakesIndex(NoLoaders):
        def test_step(self, batch: Any, batch_idx: int, dataloader_idx: int) -> Any:
            return super().test_step(batch, batch_idx)

        test_epoch_end = pl.LightningModule.test_epoch_end  # type: ignore[assignment]

    results = trainer.test(TakesIndex(), test_dataloaders=two_loaders)
    assert len(results) == 2 and all("test_loss" in r for r in results)
    with pytest.raises(MisconfigurationError, match="does not implement `test_dataloader`"):
        trainer.test()


def test_test_returns_one_dict_per_dataloader(tmp_path: Any) -> None:
    class PerLoader(BoringModel):
        def test_step(self, batch: Any, batch_idx: int, dataloader_idx: int) -> dict[str, Any]:
            return {"test_loss": super().test_step(batch, batch_idx)["test_loss"],
                    "log": {"idx": torch.tensor(float(dataloader_idx))}}

        test_epoch_end = pl.LightningModule.test_epoch_end  # type: ignore[assignment]

        def test_dataloader(self) -> list[DataLoader]:
            return [DataLoader(regression_data(8, seed=s), batch_size=4) for s in (2, 3)]

    trainer = _trainer(tmp_path)
    results = trainer.test(PerLoader())
    assert [r["idx"] for r in results] == [0.0, 1.0]
    assert all("test_loss" in r for r in results)

    class Suffixed(PerLoader):
        def test_epoch_end(self, outputs: list[list[Any]]) -> dict[str, Any]:
            return {"log": {f"loss/dataloader_idx_{i}": torch.stack(
                [o["test_loss"] for o in per]).mean() for i, per in enumerate(outputs)},
                "shared": torch.tensor(1.0)}

    results = trainer.test(Suffixed())
    assert sorted(results[0]) == ["loss/dataloader_idx_0", "shared"]
    assert sorted(results[1]) == ["loss/dataloader_idx_1", "shared"]


def test_test_without_a_model_is_an_error() -> None:
    with pytest.raises(MisconfigurationError, match=r"test\(\) needs a model"):
        pl.Trainer(logger=False, progress_bar_refresh_rate=0).test()


def test_module_attributes_during_a_run(tmp_path: Any) -> None:
    seen: dict[str, Any] = {}

    class Inspect(TrainOnlyModel):
        def __init__(self) -> None:
            super().__init__()
            self.hparams = Namespace(lr=0.05, hidden=4)
            self.example_input_array = torch.zeros(2, 8)

        def training_step(self, batch: Any, batch_idx: int) -> dict[str, Any]:
            seen.update(trainer=self.trainer, epoch=self.current_epoch, step=self.global_step,
                        device=self.device, on_gpu=self.on_gpu, logger=self.logger)
            return super().training_step(batch, batch_idx)

    model = Inspect()
    trainer = quiet_trainer(tmp_path, max_epochs=2, checkpoint_callback=False)
    trainer.fit(model)
    assert seen["trainer"] is trainer and seen["epoch"] == 1 and seen["step"] == 7
    assert seen["device"] == torch.device("cpu") and seen["on_gpu"] is False
    assert seen["logger"] is trainer.logger
    assert type(seen["logger"].experiment).__name__ == "SummaryWriter"
    assert model.hparams.lr == 0.05
    assert (trainer.global_rank, trainer.world_size) == (0, 1)
    assert trainer.max_epochs == 2
    with pytest.raises(TypeError, match="hparams must be an argparse.Namespace or a dict"):
        model.hparams = 3


def test_trainer_rejects_a_plain_module(tmp_path: Any) -> None:
    with pytest.raises(MisconfigurationError, match="expects an orchestrator.LightningModule"):
        _trainer(tmp_path).fit(torch.nn.Linear(2, 2))  # type: ignore[arg-type]


def test_a_stop_mid_epoch_still_ends_the_epoch_with_its_hooks_and_validation(
    tmp_path: Any,
) -> None:
    calls: list[str] = []

    class Tracks(CountingModel):
        def training_epoch_end(self, outputs: list[Any]) -> None:
            calls.append(f"training_epoch_end:{len(outputs)}")

        def on_epoch_end(self) -> None:
            calls.append("on_epoch_end")

    model = Tracks()
    trainer = _trainer(tmp_path, max_epochs=5, max_steps=6, num_sanity_val_steps=0,
                       checkpoint_callback=True)
    trainer.fit(model)
    assert trainer.global_step == 6
    assert calls == ["training_epoch_end:4", "on_epoch_end", "training_epoch_end:2",
                     "on_epoch_end"]
    assert model.val_runs == 2  # the partial epoch is validated and checkpointed too
    state = trainer.checkpoint_callback.on_save_checkpoint(trainer, model)
    assert state["last_saved_epoch"] == 1


def test_an_unfitted_trainer_pickles(tmp_path: Any) -> None:
    import pickle

    trainer = _trainer(tmp_path, max_epochs=3, strict_outputs=True)
    copy = pickle.loads(pickle.dumps(trainer))
    assert copy.max_epochs == 3 and copy.validator.strict
    copy.fit(CountingModel())  # the validator works after the round trip
    assert copy.current_epoch == 2


def test_a_validation_step_without_epoch_end_is_told_about_it(tmp_path: Any) -> None:
    class NoEpochEnd(CountingModel):
        validation_epoch_end = None  # type: ignore[assignment]

    with pytest.warns(RuntimeWarning, match="you may also want validation_epoch_end"):
        _trainer(tmp_path).fit(NoEpochEnd())


def test_a_validation_step_without_val_dataloader_is_told_validation_is_skipped(
        tmp_path: Any) -> None:
    class NoValLoader(CountingModel):
        val_dataloader = pl.LightningModule.val_dataloader  # type: ignore[assignment]

    with pytest.warns(UserWarning, match="NoValLoader defines validation_step but has no "
                                         "val_dataloader: validation is skipped"):
        trainer = _trainer(tmp_path)
        trainer.fit(NoValLoader())
    assert "val_check" not in trainer.lifecycle.history


def test_the_0_8_run_flags_testing_interrupted_and_ranks(tmp_path: Any) -> None:
    trainer = _trainer(tmp_path)
    assert (trainer.testing, trainer.interrupted, trainer.local_rank, trainer.node_rank) == (
        False, False, 0, 0)
    trainer.fit(CountingModel())
    assert not trainer.testing
    trainer.test(ckpt_path=None)
    assert trainer.testing

    class Interrupted(CountingModel):
        def training_step(self, batch: Any, batch_idx: int) -> dict[str, Any]:
            raise KeyboardInterrupt

    trainer = _trainer(tmp_path)
    trainer.fit(Interrupted())
    assert trainer.interrupted


def test_fractions_of_an_infinite_loader_are_refused(tmp_path: Any) -> None:
    from torch.utils.data import IterableDataset

    class Stream(IterableDataset):
        def __iter__(self) -> Any:
            return iter(regression_data(32, seed=0))

    class Streaming(CountingModel):
        def train_dataloader(self) -> DataLoader[Any]:
            return DataLoader(Stream(), batch_size=8)

        def val_dataloader(self) -> DataLoader[Any]:
            return DataLoader(Stream(), batch_size=8)

    with pytest.raises(MisconfigurationError, match=r"val_check_interval=0.5\): train_data"
                                                    r"loader is an infinite DataLoader"):
        _trainer(tmp_path, val_check_interval=0.5).fit(Streaming())
    with pytest.raises(MisconfigurationError, match=r"limit_val_batches=0.5\): val_dataloader "
                                                    r"is an infinite DataLoader.*int count"):
        _trainer(tmp_path, limit_val_batches=0.5).fit(Streaming())
    trainer = _trainer(tmp_path, limit_val_batches=2, val_check_interval=2)
    trainer.fit(Streaming())  # counts are fine
    assert trainer.num_val_batches == [2]
