"""The hooks as data: each hook's name, who receives it, the states it fires in, its arguments.

The dispatcher (``states.hooks``), the defaults of ``LightningModule`` and ``Callback`` and the
docs' hook tables are checked against or generated from this one table. Adding a hook is one
member of ``Hook``, one row here and its call site.
"""

from __future__ import annotations

from dataclasses import dataclass
from enum import StrEnum
from typing import Final, Literal

from states.table import STATES

__all__ = ["HOOKS", "Hook", "HookRow", "Receivers", "row_of"]

Receivers = Literal["module", "callbacks", "both"]


class Hook(StrEnum):
    """Every hook's name: a misspelt member fails at import and under mypy."""

    ON_INIT_START = "on_init_start"
    ON_INIT_END = "on_init_end"
    ON_FIT_START = "on_fit_start"
    PREPARE_DATA = "prepare_data"
    SETUP = "setup"
    CONFIGURE_OPTIMIZERS = "configure_optimizers"
    TRAIN_DATALOADER = "train_dataloader"
    VAL_DATALOADER = "val_dataloader"
    TEST_DATALOADER = "test_dataloader"
    ON_LOAD_CHECKPOINT = "on_load_checkpoint"
    TRANSFER_BATCH_TO_DEVICE = "transfer_batch_to_device"
    ON_SANITY_CHECK_START = "on_sanity_check_start"
    ON_SANITY_CHECK_END = "on_sanity_check_end"
    ON_TRAIN_START = "on_train_start"
    ON_EPOCH_START = "on_epoch_start"
    ON_BATCH_START = "on_batch_start"
    TBPTT_SPLIT_BATCH = "tbptt_split_batch"
    TRAINING_STEP = "training_step"
    TRAINING_STEP_END = "training_step_end"
    TRAINING_END = "training_end"
    AMP_SCALE_LOSS = "amp_scale_loss"
    BACKWARD = "backward"
    ON_AFTER_BACKWARD = "on_after_backward"
    OPTIMIZER_STEP = "optimizer_step"
    ON_BEFORE_ZERO_GRAD = "on_before_zero_grad"
    OPTIMIZER_ZERO_GRAD = "optimizer_zero_grad"
    ON_BATCH_END = "on_batch_end"
    TRAINING_EPOCH_END = "training_epoch_end"
    ON_EPOCH_END = "on_epoch_end"
    ON_PRE_PERFORMANCE_CHECK = "on_pre_performance_check"
    ON_VALIDATION_START = "on_validation_start"
    ON_VALIDATION_BATCH_START = "on_validation_batch_start"
    VALIDATION_STEP = "validation_step"
    VALIDATION_STEP_END = "validation_step_end"
    ON_VALIDATION_BATCH_END = "on_validation_batch_end"
    VALIDATION_EPOCH_END = "validation_epoch_end"
    VALIDATION_END = "validation_end"
    ON_POST_PERFORMANCE_CHECK = "on_post_performance_check"
    ON_VALIDATION_END = "on_validation_end"
    ON_SAVE_CHECKPOINT = "on_save_checkpoint"
    ON_TEST_START = "on_test_start"
    ON_TEST_BATCH_START = "on_test_batch_start"
    TEST_STEP = "test_step"
    TEST_STEP_END = "test_step_end"
    ON_TEST_BATCH_END = "on_test_batch_end"
    TEST_EPOCH_END = "test_epoch_end"
    TEST_END = "test_end"
    ON_TEST_END = "on_test_end"
    ON_KEYBOARD_INTERRUPT = "on_keyboard_interrupt"
    ON_TRAIN_END = "on_train_end"
    ON_FIT_END = "on_fit_end"
    TEARDOWN = "teardown"


@dataclass(frozen=True)
class HookRow:
    """One hook. ``states`` are where it fires (empty: in ``Trainer.__init__``, outside a run);
    an argument ending in ``?`` is passed only in some runs (e.g. ``optimizer_idx`` with
    several optimizers). Callbacks receive ``callback_args``, the module ``module_args``."""

    hook: Hook
    receivers: Receivers
    states: tuple[str, ...]
    module_args: tuple[str, ...] = ()
    callback_args: tuple[str, ...] = ("trainer", "pl_module")
    does: str = ""

    @property
    def to_module(self) -> bool:
        return self.receivers != "callbacks"

    @property
    def to_callbacks(self) -> bool:
        return self.receivers != "module"


_VAL = ("sanity_val", "val_check")
_BATCHES = ("sanity_val", "train_epoch", "val_check", "test")
_ANY = tuple(state for state in STATES if state != "teardown")
_STEP = ("batch", "batch_idx")
_EVAL_STEP = (*_STEP, "dataloader_idx?")
_OPTIMIZER = ("epoch", "batch_idx", "optimizer", "optimizer_idx")

# in the order a fit and then a test call them
HOOKS: Final[tuple[HookRow, ...]] = (
    HookRow(Hook.ON_INIT_START, "callbacks", (), callback_args=("trainer",),
            does="the Trainer is being built"),
    HookRow(Hook.ON_INIT_END, "callbacks", (), callback_args=("trainer",),
            does="the Trainer is built"),
    HookRow(Hook.ON_FIT_START, "both", ("init",), does="a fit begins"),
    HookRow(Hook.PREPARE_DATA, "module", ("prepare_data",),
            does="download or prepare data, once per node"),
    HookRow(Hook.SETUP, "both", ("prepare_data",), module_args=("stage",),
            callback_args=("trainer", "pl_module", "stage"),
            does="after prepare_data, on every process: build what needs the data "
                 "(stage 'fit' or 'test')"),
    HookRow(Hook.CONFIGURE_OPTIMIZERS, "module", ("optimizers",),
            does="return the optimizers (and schedulers)"),
    HookRow(Hook.TRAIN_DATALOADER, "module", ("dataloaders",), does="return the training loader"),
    HookRow(Hook.VAL_DATALOADER, "module", ("dataloaders",),
            does="return the validation loader(s)"),
    HookRow(Hook.TEST_DATALOADER, "module", ("dataloaders",), does="return the test loader(s)"),
    HookRow(Hook.ON_LOAD_CHECKPOINT, "both", ("dataloaders",), module_args=("checkpoint",),
            callback_args=("checkpointed_state",),
            does="read back what on_save_checkpoint stored, when a run resumes"),
    HookRow(Hook.TRANSFER_BATCH_TO_DEVICE, "module", _BATCHES, module_args=("batch", "device"),
            does="move a batch to the device, when the backend moves batches (GPU, TPU)"),
    HookRow(Hook.ON_SANITY_CHECK_START, "both", ("sanity_val",),
            does="the sanity check begins (the module's is deprecated in 0.8)"),
    HookRow(Hook.ON_SANITY_CHECK_END, "callbacks", ("sanity_val",), does="the sanity check ended"),
    HookRow(Hook.ON_TRAIN_START, "both", ("train_epoch",), does="training begins"),
    HookRow(Hook.ON_EPOCH_START, "both", ("train_epoch",), does="a training epoch begins"),
    HookRow(Hook.ON_BATCH_START, "both", ("train_epoch",), module_args=("batch",),
            does="a training batch begins; the module returning -1 ends the epoch"),
    HookRow(Hook.TBPTT_SPLIT_BATCH, "module", ("train_epoch",),
            module_args=("batch", "split_size"),
            does="split a batch in time (truncated_bptt_steps)"),
    HookRow(Hook.TRAINING_STEP, "module", ("train_epoch",),
            module_args=(*_STEP, "optimizer_idx?", "hiddens?"),
            does="return the loss (and log, progress_bar)"),
    HookRow(Hook.TRAINING_STEP_END, "module", ("train_epoch",),
            module_args=("batch_parts_outputs",),
            does="combine the outputs of a split batch (dp, ddp2)"),
    HookRow(Hook.TRAINING_END, "module", ("train_epoch",), module_args=("outputs",),
            does="deprecated in 0.7: called after training_step_end with its output"),
    HookRow(Hook.AMP_SCALE_LOSS, "module", ("train_epoch",),
            module_args=("unscaled_loss", "optimizer", "optimizer_idx"),
            does="at 16-bit: the loss to call backward on, scaled"),
    HookRow(Hook.BACKWARD, "module", ("train_epoch",),
            module_args=("trainer", "loss", "optimizer", "optimizer_idx"),
            does="run backward on the loss"),
    HookRow(Hook.ON_AFTER_BACKWARD, "module", ("train_epoch",),
            does="gradients are computed, not yet applied"),
    HookRow(Hook.OPTIMIZER_STEP, "module", ("train_epoch",),
            module_args=(*_OPTIMIZER, "second_order_closure?", "on_tpu?", "using_native_amp?",
                         "using_lbfgs?"),
            does="step an optimizer"),
    HookRow(Hook.ON_BEFORE_ZERO_GRAD, "module", ("train_epoch",), module_args=("optimizer",),
            does="an optimizer stepped; its gradients are about to be zeroed"),
    HookRow(Hook.OPTIMIZER_ZERO_GRAD, "module", ("train_epoch",), module_args=_OPTIMIZER,
            does="zero an optimizer's gradients"),
    HookRow(Hook.ON_BATCH_END, "both", ("train_epoch",), does="a training batch ended"),
    HookRow(Hook.TRAINING_EPOCH_END, "module", ("train_epoch",), module_args=("outputs",),
            does="every training step output of the epoch, detached"),
    HookRow(Hook.ON_EPOCH_END, "both", ("train_epoch",), does="a training epoch ended"),
    HookRow(Hook.ON_PRE_PERFORMANCE_CHECK, "module", ("val_check", "test"),
            does="a validation or test run begins"),
    HookRow(Hook.ON_VALIDATION_START, "callbacks", ("val_check",),
            does="a validation check begins"),
    HookRow(Hook.ON_VALIDATION_BATCH_START, "callbacks", _VAL, does="a validation batch begins"),
    HookRow(Hook.VALIDATION_STEP, "module", _VAL, module_args=_EVAL_STEP,
            does="evaluate one validation batch"),
    HookRow(Hook.VALIDATION_STEP_END, "module", _VAL, module_args=("batch_parts_outputs",),
            does="combine the outputs of a split batch (dp, ddp2)"),
    HookRow(Hook.ON_VALIDATION_BATCH_END, "callbacks", _VAL, does="a validation batch ended"),
    HookRow(Hook.VALIDATION_EPOCH_END, "module", _VAL, module_args=("outputs",),
            does="every validation step output; return the metrics"),
    HookRow(Hook.VALIDATION_END, "module", _VAL, module_args=("outputs",),
            does="deprecated in 0.7: used instead of validation_epoch_end when overridden"),
    HookRow(Hook.ON_POST_PERFORMANCE_CHECK, "module", ("val_check", "test"),
            does="a validation or test run ended"),
    HookRow(Hook.ON_VALIDATION_END, "callbacks", ("val_check",),
            does="a validation check ended (ModelCheckpoint and EarlyStopping act here)"),
    HookRow(Hook.ON_SAVE_CHECKPOINT, "both", ("train_epoch", "val_check"),
            module_args=("checkpoint",),
            does="a checkpoint is being written: the module adds to it, a callback returns "
                 "its state"),
    HookRow(Hook.ON_TEST_START, "callbacks", ("test",), does="a test begins"),
    HookRow(Hook.ON_TEST_BATCH_START, "callbacks", ("test",), does="a test batch begins"),
    HookRow(Hook.TEST_STEP, "module", ("test",), module_args=_EVAL_STEP,
            does="evaluate one test batch"),
    HookRow(Hook.TEST_STEP_END, "module", ("test",), module_args=("batch_parts_outputs",),
            does="combine the outputs of a split batch (dp, ddp2)"),
    HookRow(Hook.ON_TEST_BATCH_END, "callbacks", ("test",), does="a test batch ended"),
    HookRow(Hook.TEST_EPOCH_END, "module", ("test",), module_args=("outputs",),
            does="every test step output; return the metrics"),
    HookRow(Hook.TEST_END, "module", ("test",), module_args=("outputs",),
            does="deprecated in 0.7: used instead of test_epoch_end when overridden"),
    HookRow(Hook.ON_TEST_END, "callbacks", ("test",), does="a test ended"),
    HookRow(Hook.ON_KEYBOARD_INTERRUPT, "callbacks", _ANY,
            does="Ctrl-C stopped the run; teardown follows"),
    HookRow(Hook.ON_TRAIN_END, "both", ("teardown",),
            does="training ended (not called when it failed)"),
    HookRow(Hook.ON_FIT_END, "both", ("teardown",), does="a fit ended"),
    HookRow(Hook.TEARDOWN, "both", ("teardown",), module_args=("stage",),
            callback_args=("trainer", "pl_module", "stage"),
            does="the end of every run, also one that failed (stage 'fit' or 'test')"),
)

_ROWS: Final[dict[Hook, HookRow]] = {row.hook: row for row in HOOKS}
assert len(_ROWS) == len(HOOKS) == len(Hook), "every Hook member has exactly one row"
assert all(set(row.states) <= set(STATES) for row in HOOKS), "hooks fire in known states"


def row_of(hook: Hook) -> HookRow:
    """The table's row for ``hook``."""
    return _ROWS[hook]
