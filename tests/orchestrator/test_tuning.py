"""lr_find, scale_batch_size and the tuning before a fit, in real (tiny) runs."""

from __future__ import annotations

import importlib.util
import math
from argparse import Namespace
from typing import Any

import pytest
import torch
from torch.utils.data import DataLoader

import orchestrator as pl
from orchestrator.tuning import LRFinder, TrainerTuning
from orchestrator.tuning.batch_size import Trial, is_oom_error, search
from schemas.errors import MisconfigurationError
from tests.helpers import (
    TEMPLATE_HPARAMS,
    BoringModel,
    TemplateModel,
    TrainOnlyModel,
    regression_data,
)


def _trainer(tmp_path: Any, **kwargs: Any) -> pl.Trainer:
    options: dict[str, Any] = dict(default_root_dir=str(tmp_path), max_epochs=1,
                                   progress_bar_refresh_rate=0, weights_summary=None)
    return pl.Trainer(**{**options, **kwargs})


class SizedModel(BoringModel):
    """Records the size of every training batch."""

    def __init__(self, **kwargs: Any) -> None:
        super().__init__(**kwargs)
        self.sizes: list[int] = []

    def training_step(self, batch: Any, batch_idx: int) -> dict[str, Any]:
        self.sizes.append(len(batch[0]))
        return super().training_step(batch, batch_idx)

    def tried(self) -> list[int]:
        """The batch sizes of the trials, in order (each trial starts a new run of sizes)."""
        return [s for i, s in enumerate(self.sizes) if i == 0 or s != self.sizes[i - 1]]


class SimulatedOOMModel(SizedModel):
    """Raises torch's CUDA out-of-memory error for batches above ``limit`` (a simulation:
    this machine has no GPU to run out of)."""

    def __init__(self, limit: int, error: type[Exception] = torch.cuda.OutOfMemoryError,
                 **kwargs: Any) -> None:
        super().__init__(**kwargs)
        self.limit, self.error = limit, error

    def training_step(self, batch: Any, batch_idx: int) -> dict[str, Any]:
        if len(batch[0]) > self.limit:
            self.sizes.append(len(batch[0]))
            raise self.error("CUDA out of memory. Tried to allocate 2.00 GiB")
        return super().training_step(batch, batch_idx)


class HparamsModel(TrainOnlyModel):
    """Keeps its learning rate and batch size in ``hparams`` only (and trains only)."""

    def __init__(self, learning_rate: float = 0.05, batch_size: int = 16) -> None:
        super().__init__()
        del self.lr, self.batch_size
        self.save_hyperparameters()

    def configure_optimizers(self) -> Any:
        return torch.optim.SGD(self.parameters(), lr=self.hparams.learning_rate)

    def train_dataloader(self) -> DataLoader:
        return DataLoader(regression_data(self.n), batch_size=self.hparams.batch_size)


class TwoOptimizers(BoringModel):
    def configure_optimizers(self) -> Any:
        return [torch.optim.SGD(self.parameters(), lr=0.1), torch.optim.Adam(self.parameters())]


def _weights(model: torch.nn.Module) -> dict[str, torch.Tensor]:
    return {k: v.clone() for k, v in model.state_dict().items()}


def _same_weights(model: torch.nn.Module, weights: dict[str, torch.Tensor]) -> bool:
    return all(torch.equal(weights[k], v) for k, v in model.state_dict().items())


# lr_find
def test_lr_find_sweeps_the_rate_and_leaves_the_module_as_it_was(tmp_path: Any) -> None:
    model, trainer = BoringModel(n=32, batch_size=8), _trainer(tmp_path)
    weights = _weights(model)
    finder = trainer.lr_find(model, num_training=12, early_stop_threshold=None)
    lrs = finder.results["lr"]
    assert len(lrs) == len(finder.results["loss"]) == 12  # 3 epochs of 4 batches
    assert lrs == [finder.lr_at(step) for step in range(12)]
    assert lrs[0] == 1e-8 and lrs[-1] == pytest.approx(1.0)
    assert all(later / earlier == pytest.approx(lrs[1] / lrs[0])
               for earlier, later in zip(lrs, lrs[1:]))  # exponential
    assert _same_weights(model, weights) and model.trainer is None and model.lr == 0.05
    assert "configure_optimizers" not in model.__dict__  # the class's own method again
    assert trainer.global_step == 0 and trainer.model is None  # the trial was another Trainer


def test_lr_find_linear_mode(tmp_path: Any) -> None:
    finder = _trainer(tmp_path).lr_find(BoringModel(), min_lr=0.01, max_lr=0.1, num_training=10,
                                        mode="linear")
    assert finder.results["lr"] == pytest.approx([0.01 + 0.01 * k for k in range(10)])


def test_lr_find_stops_once_the_loss_diverges(tmp_path: Any) -> None:
    finder = _trainer(tmp_path).lr_find(BoringModel(), min_lr=1e-3, max_lr=1e4, num_training=60)
    losses = finder.results["loss"]
    assert 1 < len(losses) < 60
    assert not math.isfinite(losses[-1]) or losses[-1] > 4.0 * min(losses[:-1])


def test_lr_find_starts_at_min_lr_over_the_modules_own_schedulers(tmp_path: Any) -> None:
    model = TemplateModel(Namespace(**TEMPLATE_HPARAMS))  # StepLR and ExponentialLR
    finder = _trainer(tmp_path).lr_find(model, min_lr=1e-5, max_lr=1e-1, num_training=8,
                                        early_stop_threshold=None)
    assert finder.results["lr"] == pytest.approx([finder.lr_at(k) for k in range(8)])


def test_lr_find_counts_optimizer_steps_when_accumulating(tmp_path: Any) -> None:
    model = SizedModel(n=32, batch_size=4)
    finder = _trainer(tmp_path, accumulate_grad_batches=2).lr_find(
        model, num_training=6, early_stop_threshold=None)
    assert len(finder.results["lr"]) == 6 and len(model.sizes) == 12  # two batches a step
    assert finder.results["lr"] == [finder.lr_at(k) for k in range(6)]


def test_lr_find_trains_on_the_loader_it_is_given(tmp_path: Any) -> None:
    model = SizedModel(batch_size=16)
    loader = DataLoader(regression_data(12), batch_size=3)
    _trainer(tmp_path).lr_find(model, train_dataloader=loader, num_training=5)
    assert model.sizes == [3] * 5


def test_lr_find_needs_one_optimizer_and_restores_the_module_after_failing(
        tmp_path: Any) -> None:
    model = TwoOptimizers()
    weights = _weights(model)
    with pytest.raises(MisconfigurationError, match="lr_find works with one optimizer; "
                                                    "configure_optimizers returned 2"):
        _trainer(tmp_path).lr_find(model, num_training=5)
    assert "configure_optimizers" not in model.__dict__ and _same_weights(model, weights)


@pytest.mark.parametrize(("kwargs", "match"), [
    (dict(mode="cosine"), r"lr_find\(mode='cosine'\): the learning rate rises 'linear' or"),
    (dict(min_lr=0.1, max_lr=0.01), r"need 0 < min_lr < max_lr"),
    (dict(num_training=0), r"lr_find\(num_training=0\): the number of steps must be >= 1"),
])
def test_lr_find_checks_its_arguments(tmp_path: Any, kwargs: dict[str, Any], match: str) -> None:
    with pytest.raises(MisconfigurationError, match=match):
        _trainer(tmp_path).lr_find(BoringModel(), **kwargs)


def test_lr_find_warns_about_the_deprecated_accumulation_argument(tmp_path: Any) -> None:
    with pytest.warns(DeprecationWarning, match="set Trainer\\(accumulate_grad_batches=...\\)"):
        _trainer(tmp_path).lr_find(BoringModel(), num_training=2, num_accumulation_steps=2)


def test_tuning_refuses_a_multi_process_trainer(tmp_path: Any) -> None:
    trainer = _trainer(tmp_path, distributed_backend="ddp_cpu", num_processes=2)
    with pytest.raises(MisconfigurationError, match="lr_find runs its trial fits in this "
                                                    "process, and this Trainer runs "
                                                    "distributed_backend='ddp_cpu'"):
        trainer.lr_find(BoringModel())
    with pytest.raises(MisconfigurationError, match="scale_batch_size runs its trial fits"):
        trainer.scale_batch_size(BoringModel())


# the finder's results
def _finder(losses: list[float]) -> LRFinder:
    finder = LRFinder("exponential", 1e-4, 1.0, len(losses))
    finder.results = {"lr": [finder.lr_at(k) for k in range(len(losses))], "loss": losses}
    return finder


def test_suggestion_is_the_rate_of_the_steepest_fall() -> None:
    losses = [1.0] * 12 + [0.9, 0.6, 0.2, 0.15, 0.1, 5.0]
    finder = _finder(losses)
    # np.gradient at i is (loss[i+1] - loss[i-1]) / 2 (one-sided at the ends): steepest at 13
    assert finder.suggestion() == finder.results["lr"][13]
    assert finder.suggestion(skip_begin=0, skip_end=4) == finder.results["lr"][13]


def test_suggestion_skips_points_that_are_not_finite() -> None:
    finder = _finder([1.0, 1.0, 0.2, math.nan, 0.1, 0.1])
    assert finder.suggestion(skip_begin=0) == finder.results["lr"][2]


def test_suggestion_needs_two_points_beyond_the_skipped() -> None:
    with pytest.warns(UserWarning, match="lr_find recorded 11 point\\(s\\); with skip_begin=10 "
                                         "and skip_end=1 fewer than two remain"):
        assert _finder([1.0] * 11).suggestion() is None


@pytest.mark.skipif(importlib.util.find_spec("matplotlib") is not None,
                    reason="matplotlib is installed: test_plot_draws_the_curve covers plot()")
def test_plot_says_which_package_it_needs() -> None:
    with pytest.raises(ImportError, match="needs matplotlib, which is not installed: "
                                          "pip install matplotlib"):
        _finder([1.0] * 20).plot()


def test_plot_draws_the_curve() -> None:
    pytest.importorskip("matplotlib")
    finder = _finder([1.0] * 12 + [0.9, 0.6, 0.2, 0.15, 0.1, 5.0])
    figure = finder.plot(suggest=True)
    axes = figure.axes[0]
    assert axes.get_xscale() == "log" and len(axes.lines) == 2  # the curve and the mark


# scale_batch_size
def test_power_doubles_until_the_whole_dataset_is_one_batch(tmp_path: Any) -> None:
    model = SizedModel(n=16, batch_size=5)
    weights = _weights(model)
    assert _trainer(tmp_path).scale_batch_size(model) == 16
    assert model.tried() == [2, 4, 8, 16] and model.batch_size == 16
    assert _same_weights(model, weights) and model.trainer is None


def test_power_stops_after_max_trials(tmp_path: Any) -> None:
    model = SizedModel(n=64)
    assert _trainer(tmp_path).scale_batch_size(model, max_trials=3, steps_per_trial=1) == 8
    assert model.sizes == [2, 4, 8]  # one step a trial


def test_power_keeps_the_last_size_that_fit(tmp_path: Any) -> None:
    model = SimulatedOOMModel(limit=20, n=64)
    weights = _weights(model)
    assert _trainer(tmp_path).scale_batch_size(model, steps_per_trial=1) == 16
    assert model.tried() == [2, 4, 8, 16, 32] and model.batch_size == 16
    assert _same_weights(model, weights)


def test_binsearch_bisects_up_to_the_size_that_failed(tmp_path: Any) -> None:
    model = SimulatedOOMModel(limit=5, n=64)
    found = _trainer(tmp_path).scale_batch_size(model, mode="binsearch", steps_per_trial=1)
    assert found == 5 and model.batch_size == 5
    assert model.tried() == [2, 4, 8, 6, 5]


def test_a_first_size_too_large_is_halved(tmp_path: Any) -> None:
    model = SimulatedOOMModel(limit=20, n=64)
    assert _trainer(tmp_path).scale_batch_size(model, init_val=64, steps_per_trial=1) == 16
    assert model.tried() == [64, 32, 16]


def test_an_out_of_memory_runtime_error_by_its_message_counts_too(tmp_path: Any) -> None:
    model = SimulatedOOMModel(limit=4, error=RuntimeError, n=64)
    assert _trainer(tmp_path).scale_batch_size(model, steps_per_trial=1) == 4


def test_other_errors_are_raised_and_the_module_restored(tmp_path: Any) -> None:
    class Broken(SizedModel):
        def training_step(self, batch: Any, batch_idx: int) -> dict[str, Any]:
            if len(batch[0]) > 4:
                raise RuntimeError("mat1 and mat2 shapes cannot be multiplied")
            return super().training_step(batch, batch_idx)

    model = Broken(n=64)
    weights = _weights(model)
    with pytest.raises(RuntimeError, match="shapes cannot be multiplied"):
        _trainer(tmp_path).scale_batch_size(model, steps_per_trial=1)
    assert _same_weights(model, weights) and model.trainer is None


def test_no_size_that_fits_is_an_error(tmp_path: Any) -> None:
    with pytest.raises(MisconfigurationError, match="scale_batch_size found no batch size "
                                                    "that fits in memory \\(down to 1\\)"):
        _trainer(tmp_path).scale_batch_size(SimulatedOOMModel(limit=0), steps_per_trial=1)


class CudaHungryModel(SizedModel):
    """Takes a GiB of GPU memory per sample in each training step."""

    def training_step(self, batch: Any, batch_idx: int) -> dict[str, Any]:
        self.sizes.append(len(batch[0]))
        torch.empty(len(batch[0]) * 2**30, dtype=torch.uint8, device=self.device)
        return super().training_step(batch, batch_idx)


@pytest.mark.skipif(not torch.cuda.is_available(), reason="needs a CUDA device to run out of")
def test_a_real_cuda_out_of_memory_ends_the_doubling(tmp_path: Any) -> None:
    model = CudaHungryModel(n=4096)
    found = _trainer(tmp_path, gpus=1).scale_batch_size(model, steps_per_trial=1)
    assert found >= 2 and model.batch_size == found
    assert model.tried()[-1] == 2 * found  # the size that ran out of memory
    assert torch.cuda.memory_allocated() < 2**30  # the failed step's memory is given back


def test_the_batch_size_may_live_in_hparams(tmp_path: Any) -> None:
    model = TemplateModel(Namespace(**TEMPLATE_HPARAMS))  # 96 training samples
    assert _trainer(tmp_path).scale_batch_size(model, init_val=32, steps_per_trial=1) == 128
    assert model.hparams.batch_size == 128


def test_the_batch_size_attribute_must_exist(tmp_path: Any) -> None:
    with pytest.raises(MisconfigurationError, match=(
            r"scale_batch_size\(batch_arg_name='bs'\) sets 'bs' on the module, and "
            r"SizedModel has no such attribute nor hparams key")):
        _trainer(tmp_path).scale_batch_size(SizedModel(), batch_arg_name="bs")


@pytest.mark.parametrize(("kwargs", "match"), [
    (dict(mode="linear"), r"scale_batch_size\(mode='linear'\): use 'power' or 'binsearch'"),
    (dict(init_val=0), r"scale_batch_size\(init_val=0\): use an int >= 1"),
    (dict(max_trials=0), r"scale_batch_size\(max_trials=0\): use an int >= 1"),
])
def test_scale_batch_size_checks_its_arguments(tmp_path: Any, kwargs: dict[str, Any],
                                               match: str) -> None:
    with pytest.raises(MisconfigurationError, match=match):
        _trainer(tmp_path).scale_batch_size(BoringModel(), **kwargs)


def test_search_alone() -> None:
    def trial_up_to(limit: int, dataset: int = 10**6) -> Any:
        def trial(size: int) -> Trial:
            if size > limit:
                return Trial.OOM
            return Trial.FITS_ALL if size >= dataset else Trial.FITS
        return trial

    assert search(trial_up_to(100), "power", 3, 25) == 96
    assert search(trial_up_to(100), "binsearch", 3, 25) == 100
    assert search(trial_up_to(100), "binsearch", 3, 7) == 96 + 0  # 3..192, then out of trials
    assert search(trial_up_to(100, dataset=40), "power", 5, 25) == 40
    assert search(trial_up_to(10**9), "power", 1, 4) == 8


@pytest.mark.parametrize(("error", "expected"), [
    (torch.cuda.OutOfMemoryError("CUDA out of memory. Tried to allocate 20.00 MiB"), True),
    (RuntimeError("CUDA out of memory. Tried to allocate 20.00 MiB"), True),
    (RuntimeError("CUDA error: out of memory"), True),
    (RuntimeError("cuDNN error: CUDNN_STATUS_NOT_SUPPORTED. This error may appear if ..."),
     True),
    (RuntimeError("[enforce fail] DefaultCPUAllocator: can't allocate memory: you tried"), True),
    (RuntimeError("mat1 and mat2 shapes cannot be multiplied"), False),
    (ValueError("out of memory"), False),
])
def test_is_oom_error(error: Exception, expected: bool) -> None:
    assert is_oom_error(error) is expected


# tuning before a fit
def test_auto_lr_find_sets_lr_from_the_suggestion(tmp_path: Any) -> None:
    model = BoringModel()
    weights = _weights(model)
    _trainer(tmp_path, auto_lr_find=True)._tune_before_fit(model)
    assert model.lr != 0.05 and 1e-8 <= model.lr <= 1.0
    assert _same_weights(model, weights)


def test_auto_lr_find_sets_learning_rate_in_hparams(tmp_path: Any) -> None:
    model = HparamsModel(learning_rate=0.05)
    _trainer(tmp_path, auto_lr_find=True)._tune_before_fit(model)
    assert model.hparams.learning_rate != 0.05 and not hasattr(model, "lr")


def test_auto_lr_find_names_the_attribute_to_set(tmp_path: Any) -> None:
    model = BoringModel()
    model.my_rate = 0.5  # type: ignore[assignment] # nn.Module types its attributes
    _trainer(tmp_path, auto_lr_find="my_rate")._tune_before_fit(model)
    assert model.my_rate != 0.5 and model.lr == 0.05


def test_auto_lr_find_needs_an_attribute_before_any_trial(tmp_path: Any) -> None:
    model = SizedModel()
    del model.lr
    with pytest.raises(MisconfigurationError, match=(
            r"Trainer\(auto_lr_find=True\) sets 'lr' or 'learning_rate' on the module, and "
            r"SizedModel has no such attribute nor hparams key; store it in __init__")):
        _trainer(tmp_path, auto_lr_find=True)._tune_before_fit(model)
    assert model.sizes == []
    with pytest.raises(MisconfigurationError, match=r"auto_lr_find='lr_typo'\) sets 'lr_typo'"):
        _trainer(tmp_path, auto_lr_find="lr_typo")._tune_before_fit(BoringModel())


def test_auto_scale_batch_size_sets_the_size(tmp_path: Any) -> None:
    model = SimulatedOOMModel(limit=5, n=64)
    _trainer(tmp_path, auto_scale_batch_size="binsearch")._tune_before_fit(model)
    assert model.batch_size == 5
    model = SimulatedOOMModel(limit=5, n=64)
    _trainer(tmp_path, auto_scale_batch_size=True)._tune_before_fit(model)  # True: power
    assert model.batch_size == 4


def test_auto_scale_batch_size_cannot_resize_a_loader_given_to_fit(tmp_path: Any) -> None:
    loader = DataLoader(regression_data(16), batch_size=4)
    with pytest.raises(MisconfigurationError, match=(
            r"Trainer\(auto_scale_batch_size=True\) resizes the batches of the module's own "
            r"train_dataloader\(\), and fit\(\) got a train_dataloader it cannot resize")):
        _trainer(tmp_path, auto_scale_batch_size=True)._tune_before_fit(BoringModel(), loader)


def test_no_tuning_asked_runs_no_trial(tmp_path: Any) -> None:
    model = SizedModel()
    _trainer(tmp_path)._tune_before_fit(model)
    assert model.sizes == []


# the Trainer itself (the mixin in its bases, the arguments and the call in fit land apart)


def test_trainer_fit_tunes_first(tmp_path: Any) -> None:
    model = SimulatedOOMModel(limit=20, n=64)
    trainer = pl.Trainer(default_root_dir=str(tmp_path), max_epochs=1, auto_lr_find=True,
                         auto_scale_batch_size="binsearch", progress_bar_refresh_rate=0,
                         weights_summary=None)
    trainer.fit(model)
    assert model.batch_size == 20 and model.lr != 0.05
    assert model.trainer is trainer and trainer.global_step == 4  # 64 samples, batches of 20
    assert isinstance(trainer, TrainerTuning)
