"""The Trainer's tuning methods: ``lr_find``, ``scale_batch_size`` and the tuning that
``auto_lr_find`` / ``auto_scale_batch_size`` ask of ``fit``.

Each trial is a fit of its own, by a fresh Trainer of the same class and arguments, with no
logger, checkpoints, early stopping, progress bar or summary; the module's weights (and its
``trainer``) are put back afterwards, whatever happened.
"""

from __future__ import annotations

import contextlib
import inspect
import warnings
from collections.abc import Iterator
from typing import Any

import torch
from loguru import logger

from backends.base import Backend
from orchestrator.tuning.attributes import ModelValue
from orchestrator.tuning.batch_size import SEARCH_MODES, Trial, free_memory, is_oom_error, search
from orchestrator.tuning.lr_finder import LRFinder, LRRecorder
from schemas.config import TrainerConfig
from schemas.errors import MisconfigurationError

__all__ = ["TrainerTuning"]

# what every trial fit runs without (of these, only the arguments the config has are passed:
# the seed's names and 0.8.5's are both listed)
_QUIET: dict[str, Any] = dict(
    logger=False, checkpoint_callback=False, early_stop_callback=False, callbacks=[],
    progress_bar_refresh_rate=0, weights_summary=None, resume_from_checkpoint=None,
    profiler=None, auto_lr_find=False, auto_scale_batch_size=False, min_epochs=0,
    min_steps=None,
)
_NO_VALIDATION: dict[str, Any] = dict(val_percent_check=0.0, limit_val_batches=0.0,
                                      num_sanity_val_steps=0)
_EVERY_TRAINING_BATCH: dict[str, Any] = dict(train_percent_check=1.0, limit_train_batches=1.0)


class TrainerTuning:
    """``lr_find`` and ``scale_batch_size``; the Trainer sets ``config`` and ``backend``.

    Example:
        >>> finder = trainer.lr_find(model)
        >>> model.lr = finder.suggestion()
        >>> model.batch_size = trainer.scale_batch_size(model, mode="binsearch")
    """

    config: TrainerConfig
    backend: Backend

    def lr_find(self, model: Any, train_dataloader: Any = None, val_dataloaders: Any = None,
                min_lr: float = 1e-8, max_lr: float = 1.0, num_training: int = 100,
                mode: str = "exponential", early_stop_threshold: float | None = 4.0,
                num_accumulation_steps: int | None = None) -> LRFinder:
        """A learning-rate range test: ``num_training`` optimizer steps with the rate rising
        from ``min_lr`` to ``max_lr``, stopped early once the loss diverges.

        Args:
            model: the module; its weights are the same afterwards.
            train_dataloader: a loader to use instead of the module's own.
            val_dataloaders: accepted as ``fit`` accepts them (the test does not validate).
            min_lr: the first rate.
            max_lr: the last rate.
            num_training: the number of optimizer steps (and of rates tried).
            mode: ``'exponential'`` or ``'linear'`` rise.
            early_stop_threshold: stop once the smoothed loss exceeds this many times the
                best so far; None never stops early.
            num_accumulation_steps: deprecated: set ``accumulate_grad_batches`` instead.

        Returns:
            An ``LRFinder`` with ``results``, ``suggestion()`` and ``plot()``.

        Raises:
            MisconfigurationError: ``configure_optimizers`` returns more than one optimizer,
                the arguments are out of range, or the Trainer runs several processes.
        """
        if num_accumulation_steps is not None:
            warnings.warn("lr_find(num_accumulation_steps=...) is deprecated and ignored: set "
                          "Trainer(accumulate_grad_batches=...)", DeprecationWarning,
                          stacklevel=2)
        self._check_one_process("lr_find")
        finder = LRFinder(mode, min_lr, max_lr, num_training)
        self._range_test(model, finder, LRRecorder(early_stop_threshold),
                         train_dataloader, val_dataloaders)
        return finder

    def _range_test(self, model: Any, finder: LRFinder, recorder: LRRecorder,
                    train_dataloader: Any, val_dataloaders: Any) -> None:
        """The trial fit of ``lr_find``, without validation: its results go to ``finder``."""
        steps = finder.num_training
        trainer = self._trial_trainer(
            max_steps=steps, max_epochs=max(self.config.max_epochs, steps),
            callbacks=[recorder], **_NO_VALIDATION,
            terminate_on_nan=False)  # a diverging loss ends the test, not the program
        with _module_kept(model), _optimizers_replaced(model, finder):
            trainer.fit(model, train_dataloader, val_dataloaders)
        finder.results.update(lr=recorder.lrs, loss=recorder.losses)
        if len(recorder.lrs) < steps:
            logger.info("lr_find stopped after {n} of {total} steps: the loss diverged",
                        n=len(recorder.lrs), total=steps)

    def scale_batch_size(self, model: Any, mode: str = "power", steps_per_trial: int = 3,
                         init_val: int = 2, max_trials: int = 25,
                         batch_arg_name: str = "batch_size") -> int:
        """The largest batch size that trains without running out of memory; it is set on
        the module (its ``batch_arg_name`` attribute and/or ``hparams`` key) and returned.

        Args:
            model: the module; its ``train_dataloader()`` must read the batch size from it.
            mode: ``'power'`` doubles the size until a trial runs out of memory and keeps
                the last that fit; ``'binsearch'`` then bisects up to the one that failed.
            steps_per_trial: optimizer steps of each trial.
            init_val: the first size tried.
            max_trials: at most this many trials.
            batch_arg_name: the attribute or ``hparams`` key holding the batch size.

        Raises:
            MisconfigurationError: the module has no ``batch_arg_name``, the mode or the
                numbers are invalid, no size fits, or the Trainer runs several processes.
        """
        self._check_one_process("scale_batch_size")
        _check_search(mode, steps_per_trial, init_val, max_trials)
        batch_size = ModelValue(model, (batch_arg_name,),
                                f"scale_batch_size(batch_arg_name={batch_arg_name!r})")

        def trial(size: int) -> Trial:
            batch_size.set(size)
            return self._batch_trial(model, size, steps_per_trial)

        with _module_kept(model):
            found = search(trial, mode, init_val, max_trials)
        batch_size.set(found)
        logger.info("scale_batch_size: batch size {size} ({mode} search)", size=found,
                    mode=mode)
        return found

    def _tune_before_fit(self, model: Any, train_dataloader: Any = None,
                         val_dataloaders: Any = None) -> None:
        """What ``auto_scale_batch_size`` and ``auto_lr_find`` ask for, in that order (as
        0.8.5): the values found are set on the module before the fit starts."""
        scale = getattr(self.config, "auto_scale_batch_size", False)
        if scale:
            if train_dataloader is not None:
                raise MisconfigurationError(
                    f"Trainer(auto_scale_batch_size={scale!r}) resizes the batches of the "
                    "module's own train_dataloader(), and fit() got a train_dataloader it "
                    "cannot resize; build the loader in train_dataloader() from "
                    "self.batch_size, or set auto_scale_batch_size=False")
            self.scale_batch_size(model, mode="power" if scale is True else scale)
        find = getattr(self.config, "auto_lr_find", False)
        if find:
            names = (find,) if isinstance(find, str) else ("lr", "learning_rate")
            rate = ModelValue(model, names, f"Trainer(auto_lr_find={find!r})")
            lr = self.lr_find(model, train_dataloader, val_dataloaders).suggestion()
            if lr is None:
                logger.warning("auto_lr_find: no rate suggested; {name} stays {value}",
                               name=rate.name, value=rate.get())
                return
            rate.set(lr)
            logger.info("auto_lr_find: {name} set to {lr}", name=rate.name, lr=lr)

    def _trial_trainer(self, **overrides: Any) -> Any:
        """A Trainer of this class with this one's arguments (those not at their default),
        quietened by ``_QUIET`` and then ``overrides``."""
        fields = type(self.config).model_fields
        values = {name: getattr(self.config, name) for name, field in fields.items()
                  if not _same(getattr(self.config, name), field.default)}
        values.update({k: v for k, v in {**_QUIET, **overrides}.items() if k in fields})
        parameters = inspect.signature(type(self)).parameters.values()
        if not any(p.kind is p.VAR_KEYWORD for p in parameters):
            accepted = {p.name for p in parameters}
            values = {k: v for k, v in values.items() if k in accepted}
        return type(self)(**values)

    def _batch_trial(self, model: Any, size: int, steps: int) -> Trial:
        """A fit of ``steps`` steps at batch size ``size``; OOM if it ran out of memory."""
        trainer = self._trial_trainer(max_steps=steps, **_EVERY_TRAINING_BATCH,
                                      max_epochs=max(self.config.max_epochs, steps))
        try:
            trainer.fit(model)
        except RuntimeError as exc:
            if not is_oom_error(exc):
                raise
            logger.info("scale_batch_size: batch size {size} ran out of memory", size=size)
            outcome = Trial.OOM
        else:
            logger.info("scale_batch_size: batch size {size} fits", size=size)
            outcome = Trial.FITS_ALL if _whole_dataset(trainer, size) else Trial.FITS
        del trainer
        free_memory(outcome is Trial.OOM)
        return outcome

    def _check_one_process(self, method: str) -> None:
        if self.backend.needs_launch or self.backend.distributed:
            raise MisconfigurationError(
                f"{method} runs its trial fits in this process, and this Trainer runs "
                f"distributed_backend={self.config.distributed_backend!r} over several; tune "
                "with a single-process Trainer (e.g. Trainer(gpus=1)) and pass the value "
                "found to this one")


def _check_search(mode: str, steps_per_trial: int, init_val: int, max_trials: int) -> None:
    if mode not in SEARCH_MODES:
        raise MisconfigurationError(
            f"scale_batch_size(mode={mode!r}): use 'power' or 'binsearch' "
            "(auto_scale_batch_size=True means 'power')")
    for name, value in (("steps_per_trial", steps_per_trial), ("init_val", init_val),
                        ("max_trials", max_trials)):
        if not isinstance(value, int) or value < 1:
            raise MisconfigurationError(f"scale_batch_size({name}={value!r}): use an int >= 1")


def _same(value: Any, default: Any) -> bool:
    try:
        return bool(value is default or value == default)
    except Exception:  # a value whose == is not a bool (a tensor): pass it
        return False


def _whole_dataset(trainer: Any, size: int) -> bool:
    """Whether the trial's training set is no larger than one batch of ``size``."""
    run = trainer._fit_run
    train = run.data.train if run is not None else None
    try:
        return len(train.loader.dataset) <= size  # type: ignore[union-attr]
    except (AttributeError, TypeError):  # no loader, or an unsized dataset
        return False


@contextlib.contextmanager
def _module_kept(model: Any) -> Iterator[None]:
    """Put the module's weights (copied to the host), train/eval mode and ``trainer`` back
    after the block."""
    weights = {k: v.detach().to("cpu", copy=True) if isinstance(v, torch.Tensor) else v
               for k, v in model.state_dict().items()}
    trainer, training = getattr(model, "trainer", None), model.training
    try:
        yield
    finally:
        model.load_state_dict(weights)
        model.trainer = trainer
        model.train(training)


@contextlib.contextmanager
def _optimizers_replaced(model: Any, finder: LRFinder) -> Iterator[None]:
    """``model.configure_optimizers`` replaced by the finder's for the block."""
    own = model.__dict__.get("configure_optimizers")
    model.configure_optimizers = finder.optimizers_from(model.configure_optimizers)
    try:
        yield
    finally:
        if own is None:
            del model.configure_optimizers
        else:
            model.configure_optimizers = own
