"""The checkpoint format: the manifest, and a schema of the whole body, section by section.

A file whose body lacks a section or holds one of the wrong type is refused with the section
named (``check_body``); after that, loading trusts the body.
"""

from __future__ import annotations

import functools
from collections.abc import Mapping
from typing import Any, Literal

import torch
from pydantic import BaseModel, ConfigDict, TypeAdapter, ValidationError
from typing_extensions import NotRequired, TypedDict

__all__ = ["CHECKPOINT_FORMAT_VERSION", "CHECKPOINT_KIND", "CheckpointManifest", "FullBody",
           "LifecycleSection", "MetricStoreSection", "ProgressSection", "WeightsBody",
           "body_problems", "lifecycle_file_problem"]

CHECKPOINT_FORMAT_VERSION = 1
CHECKPOINT_KIND = "orchestrator-checkpoint"

# strict: a number stored as a string, a bool for an int, are refused
_SECTION = ConfigDict(strict=True, arbitrary_types_allowed=True, extra="allow",
                      hide_input_in_errors=True)


class CheckpointManifest(BaseModel):
    """Stored under the ``manifest`` key of every checkpoint."""

    model_config = ConfigDict(extra="allow", frozen=True)

    kind: Literal["orchestrator-checkpoint"]
    format_version: int
    library_version: str
    created_at: str
    weights_only: bool = False


class ProgressSection(TypedDict):
    """``states.progress.RunProgress``, field for field."""

    __pydantic_config__ = _SECTION  # type: ignore[misc]
    epoch: int
    global_step: int
    batch_idx: int
    epoch_finished: bool
    val_checks_in_epoch: int
    stop_requested: bool
    data_seed: int | None
    total_batch_idx: NotRequired[int]
    accumulate_grad_batches: NotRequired[int | None]
    epoch_schedulers_stepped: NotRequired[bool]


class _EntrySection(TypedDict):
    __pydantic_config__ = _SECTION  # type: ignore[misc]
    state: str
    entered_at: float
    duration: float | None
    trigger: str | None


class LifecycleSection(TypedDict):
    """``states.record.LifecycleRecord.to_dict()``."""

    __pydantic_config__ = _SECTION  # type: ignore[misc]
    state: str
    outcome: str
    mode: str | None
    error: str | None
    history: list[str]
    entries: list[_EntrySection]
    recorded_at: NotRequired[float | None]  # when it was taken (files before lack it)


class MetricStoreSection(TypedDict):
    """``states.metrics.MetricStore.state_dict()``."""

    __pydantic_config__ = _SECTION  # type: ignore[misc]
    callback_metrics: dict[str, Any]
    progress_bar_metrics: dict[str, Any]
    logged_metrics: dict[str, Any]
    running_losses: torch.Tensor | list[torch.Tensor]
    step_log: dict[str, Any]


class _RngSection(TypedDict):
    __pydantic_config__ = _SECTION  # type: ignore[misc]
    python: list[Any]
    numpy: list[Any]
    torch: torch.Tensor
    cuda: NotRequired[list[torch.Tensor]]


class _OptimizerSection(TypedDict):
    __pydantic_config__ = _SECTION  # type: ignore[misc]
    state: dict[Any, Any]
    param_groups: list[dict[str, Any]]


class _LoggerSection(TypedDict):
    __pydantic_config__ = _SECTION  # type: ignore[misc]
    name: str
    version: int | str
    step: NotRequired[int]  # the global step at the save: a resumed run's logs replace later


class WeightsBody(TypedDict):
    """What every checkpoint holds, ``save_weights_only=True`` ones included."""

    __pydantic_config__ = _SECTION  # type: ignore[misc]
    manifest: dict[str, Any]
    epoch: int
    global_step: int
    state_dict: Mapping[str, Any]
    hyper_parameters: NotRequired[dict[str, Any] | None]  # 0.8's key; files before: `hparams`
    hparams: NotRequired[dict[str, Any] | None]
    hparams_type: str | None
    hparams_name: NotRequired[str | None]  # how load_from_checkpoint passes them to __init__


class FullBody(WeightsBody):
    """A checkpoint a fit can resume from: the run's whole state."""

    lifecycle: LifecycleSection
    progress: ProgressSection
    metrics: dict[str, float]
    optimizer_states: list[_OptimizerSection]
    lr_schedulers: list[dict[str, Any]]
    callbacks: dict[str, Any]
    rng: _RngSection
    grads: dict[str, torch.Tensor]
    epoch_outputs: list[Any]
    metric_store: MetricStoreSection
    logger: _LoggerSection | None
    grad_scaler: dict[str, Any] | None
    rng_per_rank: NotRequired[list[_RngSection]]


@functools.cache  # built on first use: building the schema costs about 10 ms
def _body_schema(weights_only: bool) -> TypeAdapter[Any]:
    return TypeAdapter(WeightsBody if weights_only else FullBody)


def body_problems(body: Mapping[str, Any], weights_only: bool, most: int = 3) -> list[str]:
    """What is wrong with a checkpoint body, one line per section (empty: nothing)."""
    try:
        _body_schema(weights_only).validate_python(body)
    except ValidationError as exc:
        errors = exc.errors()
        lines = [_problem(error) for error in errors[:most]]
        if len(errors) > most:
            lines.append(f"and {len(errors) - most} more")
        return lines
    return []


@functools.cache
def _lifecycle_file_schema() -> TypeAdapter[Any]:
    return TypeAdapter(dict[str, LifecycleSection])


def lifecycle_file_problem(runs: Any) -> str | None:
    """What keeps ``runs`` (a parsed ``lifecycle.json``: each mode's lifecycle section) from
    being one; None when nothing does."""
    if isinstance(runs, dict) and not runs:
        return "it holds no run"
    try:
        _lifecycle_file_schema().validate_python(runs)
    except ValidationError as exc:
        error = exc.errors()[0]
        where = ".".join(str(part) for part in error["loc"])
        if not where:
            return f"expected an object of runs by mode, found {type(runs).__name__}"
        return f"{where}: {error['msg']}"
    return None


def _problem(error: Any) -> str:
    where = ".".join(str(part) for part in error["loc"] if not str(part).startswith(
        ("function-", "is-instance", "list[", "dict[", "nullable[", "union[")))
    if error["type"] == "missing":
        return f"the section {where!r} is missing"
    return f"the section {where!r} is malformed: {error['msg']}"
