"""The validated Trainer configuration: types, ranges, choices and combinations."""

from __future__ import annotations

import difflib
import functools
import inspect
import operator
import os
import types
from typing import Annotated, Any, Literal, Union, get_args, get_origin

from pydantic import (
    BaseModel,
    BeforeValidator,
    ConfigDict,
    Field,
    StrictBool,
    StrictFloat,
    StrictInt,
    ValidationError,
    field_validator,
    model_validator,
)
from pydantic_core import PydanticCustomError

from schemas.config_legacy import DEPRECATED, OLDER, translate
from schemas.errors import (
    ArgumentIndexError,
    ArgumentTypeError,
    ConfigError,
    UnknownArgumentError,
    join_problems,
)

__all__ = ["DISTRIBUTED_BACKENDS", "PRECISIONS", "TrainerConfig", "build_config",
           "trainer_signature"]

DISTRIBUTED_BACKENDS = (None, "dp", "ddp", "ddp_spawn", "ddp2", "ddp_cpu",
                        "ddp_find_unused_parameters_true", "fsdp")
PRECISIONS = (32, 16, "bf16")
AMP_LEVELS = ("O0", "O1", "O2", "O3")



def _no_lookalike(value: Any) -> Any:
    """Reject values equal to a choice but of another type (True for 1, 16.0 for 16)."""
    if isinstance(value, bool) or isinstance(value, float):
        raise ValueError(f"got the {type(value).__name__} {value!r}, which is not accepted")
    return value


def _bool_as_rate(value: Any) -> Any:
    """``progress_bar_refresh_rate=False`` (0.8 code writes it) is 0; True is 1."""
    return int(value) if isinstance(value, bool) else value


def _path_text(value: Any) -> Any:
    """Any path-like object (``pathlib.Path``, pytest's ``py.path.local``) as its text."""
    return os.fspath(value) if isinstance(value, os.PathLike) else value


PathArg = Annotated[str | None, BeforeValidator(_path_text)]
Limit = StrictInt | StrictFloat  # a float is a fraction of the batches, an int counts them


class TrainerConfig(BaseModel):
    """Every Trainer argument of the seed, plus the project's own, with Lightning 0.8.5 defaults."""

    model_config = ConfigDict(
        extra="forbid", arbitrary_types_allowed=True, frozen=True, hide_input_in_errors=True
    )

    logger: Any = True
    checkpoint_callback: Any = True
    early_stop_callback: Any = False
    callbacks: list[Any] | None = None
    default_root_dir: PathArg = None
    gradient_clip_val: StrictFloat | StrictInt = Field(0.0, ge=0)
    process_position: StrictInt = Field(0, ge=0)
    num_nodes: StrictInt = Field(1, ge=1)
    num_processes: StrictInt = Field(1, ge=1)
    gpus: StrictInt | list[StrictInt] | str | None = None
    auto_select_gpus: StrictBool = False
    tpu_cores: Annotated[Literal[1, 8] | list[StrictInt] | None,
                         BeforeValidator(_no_lookalike)] = None
    log_gpu_memory: Literal["all", "min_max"] | None = None
    progress_bar_refresh_rate: Annotated[StrictInt, BeforeValidator(_bool_as_rate)] = \
        Field(1, ge=0)
    overfit_batches: Limit = 0.0
    track_grad_norm: StrictInt | StrictFloat | Literal["inf"] = -1
    check_val_every_n_epoch: StrictInt = Field(1, ge=1)
    fast_dev_run: StrictBool = False
    accumulate_grad_batches: StrictInt | dict[StrictInt, StrictInt] = 1
    max_epochs: StrictInt = Field(1000, ge=1)
    min_epochs: StrictInt = Field(1, ge=0)
    max_steps: StrictInt | None = Field(None, ge=1)
    min_steps: StrictInt | None = Field(None, ge=0)
    limit_train_batches: Limit = 1.0
    limit_val_batches: Limit = 1.0
    limit_test_batches: Limit = 1.0
    val_check_interval: StrictInt | StrictFloat = 1.0
    log_save_interval: StrictInt = Field(100, ge=1)
    row_log_interval: StrictInt = Field(50, ge=1)
    distributed_backend: Literal["dp", "ddp", "ddp_spawn", "ddp2", "ddp_cpu",
                                 "ddp_find_unused_parameters_true", "fsdp"] | None = None
    precision: Annotated[Literal[32, 16, "bf16"], BeforeValidator(_no_lookalike)] = 32
    weights_summary: Literal["top", "full"] | None = "top"
    weights_save_path: PathArg = None
    amp_level: Literal["O0", "O1", "O2", "O3"] = "O2"
    num_sanity_val_steps: StrictInt = Field(2, ge=-1)
    truncated_bptt_steps: StrictInt | None = Field(None, ge=1)
    terminate_on_nan: StrictBool = False
    resume_from_checkpoint: PathArg = None
    profiler: StrictBool | Any | None = None  # True, or a profiler object (checked below)
    benchmark: StrictBool = False
    deterministic: StrictBool = False
    reload_dataloaders_every_epoch: StrictBool = False
    auto_lr_find: StrictBool | str = False
    replace_sampler_ddp: StrictBool = True
    sync_batchnorm: StrictBool = False  # Lightning 0.9's: BatchNorm layers synced under DDP
    # under 'fsdp': which layers are units of their own (layer classes, or a predicate)
    fsdp_auto_wrap_policy: Any = None
    # under 'fsdp': checkpoints hold the full state ('full'), or each rank's shard ('sharded')
    fsdp_state_dict_type: Literal["full", "sharded"] = "full"
    auto_scale_batch_size: StrictBool | Literal["power", "binsearch"] = False
    prepare_data_per_node: StrictBool = True
    strict_outputs: StrictBool = False

    @field_validator("limit_train_batches", "limit_val_batches", "limit_test_batches",
                     "overfit_batches")
    @classmethod
    def _limit_form(cls, value: int | float) -> int | float:
        if isinstance(value, float) and value > 1 and value.is_integer():
            value = int(value)  # 0.8.5: a whole float above 1 counts batches
        if isinstance(value, float) and not 0 <= value <= 1:
            raise ValueError("a float is a fraction of the batches in [0, 1]; an int counts "
                             "batches (e.g. 0.25 or 10)")
        if value < 0:
            raise ValueError("use a fraction in [0, 1] or a count of batches >= 0 (0 skips "
                             "the stage)")
        return value

    @field_validator("track_grad_norm")
    @classmethod
    def _norm_form(cls, value: int | float | str) -> int | float | str:
        if not isinstance(value, str) and value <= 0 and value != -1:
            raise ValueError("a norm order > 0 (2 for the L2 norm), 'inf', or -1 for none")
        return value

    @field_validator("tpu_cores", mode="before")
    @classmethod
    def _tpu_form(cls, value: Any) -> Any:
        """1 or 8 cores, or one core by its index: ``[5]``, ``'5,'`` (0.8.5's forms)."""
        if isinstance(value, str):
            text = value.strip()
            parts = [p.strip() for p in text.strip("[]").split(",") if p.strip()]
            if not parts or not all(p.isdigit() for p in parts):
                raise ValueError("`tpu_cores` can only be 1, 8 or [<1-8>]: a count or one core")
            value = [int(p) for p in parts] if "," in text or "[" in text else int(parts[0])
        if isinstance(value, list) and (len(value) != 1 or not 1 <= value[0] <= 8) \
                or isinstance(value, int) and not isinstance(value, bool) and value not in (1, 8):
            raise ValueError("`tpu_cores` can only be 1, 8 or [<1-8>]: 1 or 8 cores, or a list "
                             "naming one core by its index from 1 to 8, e.g. [5]")
        return value

    @field_validator("profiler")
    @classmethod
    def _profiler_form(cls, value: Any) -> Any:
        if value is None or isinstance(value, bool) or hasattr(value, "profile"):
            return value
        raise ValueError("pass True (a SimpleProfiler), False, or a profiler object such as "
                         "AdvancedProfiler()")

    @property
    def tpu_core_count(self) -> int | None:
        """TPU cores to run on: 1 or 8 (one for a list naming a core), None for no TPU."""
        return 1 if isinstance(self.tpu_cores, list) else self.tpu_cores

    @property
    def eval_limits(self) -> tuple[int | float, int | float, int | float]:
        """The training, validation and test limits in force (``overfit_batches`` sets all)."""
        if self.overfit_batches:
            return (self.overfit_batches,) * 3
        return self.limit_train_batches, self.limit_val_batches, self.limit_test_batches

    @field_validator("gpus")
    @classmethod
    def _gpus_form(cls, value: Any) -> Any:
        parse_gpu_ids(value)
        return value

    @field_validator("accumulate_grad_batches")
    @classmethod
    def _accumulation_form(cls, value: Any) -> Any:
        factors = value.values() if isinstance(value, dict) else [value]
        if value == {}:
            raise PydanticCustomError(
                "empty_schedule", "a dict needs at least one epoch: factor, e.g. {0: 1, 5: 4}")
        if isinstance(value, dict) and min(value) < 0:
            raise PydanticCustomError(
                "epoch_index", "a dict needs epochs >= 0 as keys, e.g. {0: 1, 5: 4}")
        if min(factors) < 1:
            raise ValueError("every accumulation factor must be >= 1")
        return value

    @field_validator("val_check_interval")
    @classmethod
    def _interval_form(cls, value: int | float) -> int | float:
        if isinstance(value, float) and not 0 < value <= 1:
            raise ValueError("a float is a fraction of an epoch in (0, 1]; an int counts batches")
        if isinstance(value, int) and value < 1:
            raise ValueError("an int counts training batches between checks and must be >= 1")
        return value

    @model_validator(mode="after")
    def _combinations(self) -> TrainerConfig:
        if self.min_epochs > self.max_epochs:
            raise ValueError(
                f"min_epochs={self.min_epochs} exceeds max_epochs={self.max_epochs}; "
                "lower min_epochs or raise max_epochs"
            )
        if self.min_steps is not None and self.max_steps is not None:
            if self.min_steps > self.max_steps:
                raise ValueError(
                    f"min_steps={self.min_steps} exceeds max_steps={self.max_steps}"
                )
        if self.tpu_cores is not None and parse_gpu_ids(self.gpus):
            raise ValueError(
                f"gpus={self.gpus!r} and tpu_cores={self.tpu_cores} both request an "
                "accelerator; choose one"
            )
        return self

    @property
    def gpu_ids(self) -> list[int] | None:
        """The requested GPU indices, or None for no GPU (``-1`` stays ``[-1]``: all)."""
        return parse_gpu_ids(self.gpus)


def parse_gpu_ids(gpus: Any) -> list[int] | None:
    """Normalise ``gpus`` (int, list of int, or a string like ``"0,2"`` / ``"2"``)."""
    if gpus is None or gpus == 0 or gpus == [] or gpus == "":
        return None
    if isinstance(gpus, bool):
        raise ValueError("use an int count, a list of indices or a string like '0,2'")
    if isinstance(gpus, int):
        if gpus < -1:
            raise ValueError("an int is a GPU count (>= 0), or -1 for all GPUs")
        return [-1] if gpus == -1 else list(range(gpus))
    if isinstance(gpus, str):
        text = gpus.strip()
        if text == "-1":
            return [-1]
        parts = [p.strip() for p in text.split(",") if p.strip()]
        if not parts or not all(p.isdigit() for p in parts):
            raise ValueError("a string lists GPU indices like '0,2', or is a count like '2'")
        ids = [int(p) for p in parts]
        return ids if "," in text else list(range(ids[0])) or None
    if any(i < 0 for i in gpus):
        raise ValueError("GPU indices in a list must be >= 0")
    return list(gpus)


def build_config(**kwargs: Any) -> TrainerConfig:
    """Validate Trainer arguments, turning pydantic's report into one clear ConfigError.

    Old argument names are translated first (``schemas.config_legacy``, with a warning);
    errors name the argument as the caller spelled it.
    """
    kwargs, spelled = translate(
        kwargs, {name: field.default for name, field in TrainerConfig.model_fields.items()})
    unknown = sorted(set(kwargs) - set(TrainerConfig.model_fields))
    if unknown:
        name = unknown[0]
        close = difflib.get_close_matches(name, TrainerConfig.model_fields, n=1)
        hint = f" (did you mean {close[0]!r}?)" if close else ""
        if name in _NEWER_NAMES:
            hint = f" (a newer Lightning name; this API spells it {_NEWER_NAMES[name]})"
        raise UnknownArgumentError(  # Python's own words, and a TypeError, as 0.8.5 raised
            f"Trainer.__init__() got an unexpected keyword argument {name!r}{hint}; "
            "see `orchestrator.Trainer` for the arguments it accepts"
        )
    try:
        return TrainerConfig(**kwargs)
    except ValidationError as exc:
        raise _error_class(exc)(_describe(exc, kwargs, spelled)) from None


def _error_class(exc: ValidationError) -> type[ConfigError]:
    """The ConfigError that is also the built-in error 0.8.5 (and Python) raised for the first
    wrong argument: TypeError for a value of the wrong type, IndexError for an epoch below 0."""
    first = exc.errors()[0]["loc"][:1]
    kinds = {error["type"] for error in exc.errors() if error["loc"][:1] == first}
    if "epoch_index" in kinds:
        return ArgumentIndexError
    if all(kind.endswith("_type") or kind in _TYPE_ERRORS for kind in kinds):
        return ArgumentTypeError
    return ConfigError


# pydantic's error types (besides its `*_type` ones) that mean "a value of the wrong type"
_TYPE_ERRORS = {"empty_schedule", "is_instance_of", "int_from_float"}


def trainer_signature() -> inspect.Signature:
    """``Trainer.__init__``'s signature: every config field with its type and default, then
    0.8.5's deprecated arguments and the older names (``OLDER``), each with default None."""
    params = [inspect.Parameter("self", inspect.Parameter.POSITIONAL_OR_KEYWORD)]
    params += [inspect.Parameter(name, inspect.Parameter.KEYWORD_ONLY, default=field.default,
                                 annotation=_plain(field.annotation))
               for name, field in TrainerConfig.model_fields.items()]
    params += [inspect.Parameter(name, inspect.Parameter.KEYWORD_ONLY, default=None,
                                 annotation=renamed.annotation)
               for name, renamed in (DEPRECATED | OLDER).items()]
    return inspect.Signature(params)


def _plain(annotation: Any) -> Any:
    """``annotation`` without pydantic's ``Annotated`` strictness markers (``int | float``)."""
    if get_origin(annotation) is Annotated:
        return _plain(get_args(annotation)[0])
    if get_origin(annotation) in (Union, types.UnionType):
        return functools.reduce(operator.or_, [_plain(arg) for arg in get_args(annotation)])
    return annotation


def _describe(exc: ValidationError, kwargs: dict[str, Any], spelled: dict[str, str]) -> str:
    by_field: dict[str, list[str]] = {}
    for error in exc.errors():
        field = str(error["loc"][0]) if error["loc"] else ""
        by_field.setdefault(field, []).append(error["msg"].removeprefix("Value error, "))
    lines = []
    for field, messages in by_field.items():
        name = spelled.get(field, field)
        head = f"Trainer({name}={kwargs[field]!r})" if field in kwargs else "Trainer arguments"
        choices = _CHOICES.get(field)
        if len(messages) > 1:  # one message per member of a union type: say it once
            value = kwargs.get(field)
            message = f"got {type(value).__name__} {value!r}, which is none of the accepted forms"
        else:
            message = messages[0]
        tail = f"; valid choices: {choices}" if choices and "choices" not in message else ""
        lines.append(f"{head}: {message}{tail}")
    return join_problems(lines, separator="\n")


# Arguments of later Lightning versions, and the seed-era argument that does the same.
_NEWER_NAMES: dict[str, str] = {
    "log_every_n_steps": "row_log_interval",
    "flush_logs_every_n_steps": "log_save_interval",
    "enable_checkpointing": "checkpoint_callback",
    "enable_progress_bar": "progress_bar_refresh_rate (0 disables it)",
    "enable_model_summary": "weights_summary (None disables it)",
    "devices": "gpus or num_processes",
    "accelerator": "gpus / tpu_cores",
    "strategy": "distributed_backend",
}


_CHOICES: dict[str, str] = {
    "distributed_backend": ", ".join(repr(b) for b in DISTRIBUTED_BACKENDS),
    "precision": ", ".join(repr(p) for p in PRECISIONS),
    "amp_level": ", ".join(repr(a) for a in AMP_LEVELS),
    "weights_summary": "'top', 'full', None",
    "tpu_cores": "1, 8, a list naming one core like [5], None",
    "log_gpu_memory": "'all', 'min_max', None",
    "auto_scale_batch_size": "False, True or 'power', 'binsearch'",
    "track_grad_norm": "-1 (none), a norm order > 0, 'inf'",
    "gpus": "an int count, a list of indices like [0, 2], a string like '0,2', or None",
    "accumulate_grad_batches": "an int >= 1, or a dict {epoch: factor} with epochs from 0",
    "val_check_interval": "a float in (0, 1] (fraction of an epoch) or an int >= 1 (batches)",
}
