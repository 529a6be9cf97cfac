"""Schemas for what step and epoch-end hooks return, with errors that name hook, batch and key.

One pydantic ``TypeAdapter`` per hook family is built once; each call validates one dict
(a few microseconds). Tensors never appear in error messages: only their shape and dtype.
"""

from __future__ import annotations

import difflib
import functools
import numbers
from collections.abc import Callable, Mapping
from typing import Annotated, Any, Literal

import torch
from pydantic import ConfigDict, PlainValidator, TypeAdapter, ValidationError
from typing_extensions import NotRequired, Required, TypedDict

from schemas.errors import HookOutputError, join_problems

__all__ = ["OutputKind", "OutputValidator", "describe_value"]

OutputKind = Literal["training_step", "eval_step", "epoch_end"]
_CONFIG = ConfigDict(arbitrary_types_allowed=True, extra="allow", hide_input_in_errors=True)


def describe_value(value: Any) -> str:
    """A short description of a value for an error message, never a full tensor print."""
    if isinstance(value, torch.Tensor):
        return f"a tensor of shape {tuple(value.shape)} and dtype {value.dtype}"
    if isinstance(value, str):
        return f"the string {value[:40]!r}"
    if isinstance(value, list | tuple):
        return f"a {type(value).__name__} of {len(value)} items"
    if isinstance(value, Mapping):
        return "a dict with keys " + ", ".join(repr(k) for k in list(value)[:8])
    return f"the {type(value).__name__} {value!r}"[:80]


def _metric_validator(strict: bool) -> Callable[[Any], torch.Tensor]:
    def check(value: Any) -> torch.Tensor:
        if isinstance(value, torch.Tensor):
            if value.numel() != 1:
                raise ValueError(
                    f"must be a scalar tensor, got {describe_value(value)}; reduce it, "
                    "e.g. with .mean()"
                )
            return value
        if isinstance(value, bool) or not isinstance(value, numbers.Real):
            raise ValueError(f"must be a scalar tensor, got {describe_value(value)}")
        if strict:
            raise ValueError(
                f"must be a tensor with strict_outputs=True, got {describe_value(value)}; "
                f"return torch.tensor({value!r}) or turn strict_outputs off"
            )
        return torch.tensor(float(value))

    return check


def _check_loss(value: Any) -> torch.Tensor:
    if not isinstance(value, torch.Tensor):
        raise ValueError(f"must be a tensor, got {describe_value(value)}")
    if value.numel() != 1:
        raise ValueError(f"must be a scalar tensor, got {describe_value(value)}")
    if not value.requires_grad:
        raise ValueError(
            "is a tensor that does not require grad, so backward cannot run; compute it from "
            "the model's outputs and return the tensor itself (not .item() or .detach(), "
            "and not under torch.no_grad())"
        )
    return value


def _metric_dict(strict: bool) -> Any:
    return dict[str, Annotated[Any, PlainValidator(_metric_validator(strict))]]


@functools.cache  # built once per mode: building the schemas costs milliseconds
def _adapters(strict: bool) -> dict[str, TypeAdapter[Any]]:
    metrics = _metric_dict(strict)

    class TrainingStepOutput(TypedDict):
        __pydantic_config__ = _CONFIG  # type: ignore[misc]
        loss: Required[Annotated[Any, PlainValidator(_check_loss)]]
        progress_bar: NotRequired[metrics]  # type: ignore[valid-type]
        log: NotRequired[metrics]  # type: ignore[valid-type]
        hiddens: NotRequired[Any]

    class EvalOutput(TypedDict):
        __pydantic_config__ = _CONFIG  # type: ignore[misc]
        progress_bar: NotRequired[metrics]  # type: ignore[valid-type]
        log: NotRequired[metrics]  # type: ignore[valid-type]

    return {
        "training_step": TypeAdapter(TrainingStepOutput),
        "eval_step": TypeAdapter(EvalOutput),
        "epoch_end": TypeAdapter(EvalOutput),
    }


class OutputValidator:
    """Validates hook outputs; built once per run, called once per hook call.

    Example:
        >>> check = OutputValidator(strict=False)
        >>> out = check("training_step", "training_step", {"loss": loss}, epoch=0, batch=3)
    """

    def __init__(self, strict: bool) -> None:
        self.strict = strict
        self._adapters = _adapters(strict)
        self._structure_checked = False  # pydantic has accepted one training_step dict

    def __getstate__(self) -> dict[str, Any]:
        """Pickled without the adapters (built from local classes): a Trainer pickles."""
        return {"strict": self.strict, "_structure_checked": self._structure_checked}

    def __setstate__(self, state: dict[str, Any]) -> None:
        self.strict, self._structure_checked = state["strict"], state["_structure_checked"]
        self._adapters = _adapters(self.strict)

    def __call__(
        self, kind: OutputKind, hook: str, output: Any, epoch: int, batch: int | None
    ) -> Any:
        """Return the output with Python numbers turned into tensors, or raise HookOutputError."""
        if kind == "training_step":
            return self.training_step(hook, output, epoch, batch)
        if kind == "epoch_end":
            if output is None:
                return None
            if not isinstance(output, Mapping):
                raise HookOutputError(
                    f"{hook} returned {describe_value(output)} {_where(epoch, batch)}: return a "
                    "dict (with optional 'log' and 'progress_bar' dicts) or None"
                )
        elif not isinstance(output, Mapping):
            return output  # evaluation steps may return anything; it goes to *_epoch_end
        try:
            return self._adapters[kind].validate_python(output)
        except ValidationError as exc:
            raise HookOutputError(_message(hook, output, exc, epoch, batch)) from None

    def training_step(self, hook: str, output: Any, epoch: int, batch: int | None) -> Any:
        """``__call__`` for ``training_step`` outputs (the training step binds it: the hot
        path)."""
        if type(output) is dict:
            loss = output.get("loss")
            # the usual outputs, checked inline; anything else takes the paths below
            if type(loss) is torch.Tensor and loss.requires_grad and loss.numel() == 1 \
                    and (len(output) == 1 or self._structure_checked and _plain_metrics(output)):
                return output
        if isinstance(output, torch.Tensor) or (type(output) is dict and len(output) == 1
                                                and "loss" in output):
            return self._loss_only(hook, output, epoch, batch)
        if not isinstance(output, Mapping):
            raise HookOutputError(
                f"{hook} returned {describe_value(output)} {_where(epoch, batch)}: return "
                "the loss tensor or a dict with the key 'loss'"
            )
        try:
            checked = self._adapters["training_step"].validate_python(output)
        except ValidationError as exc:
            raise HookOutputError(_message(hook, output, exc, epoch, batch)) from None
        self._structure_checked = True
        return checked

    @staticmethod
    def _loss_only(hook: str, output: Any, epoch: int, batch: int | None) -> dict[str, Any]:
        """The common case, checked without pydantic: a loss tensor, bare or alone in a dict."""
        loss = output if isinstance(output, torch.Tensor) else output["loss"]
        try:
            _check_loss(loss)
            return output if type(output) is dict else {"loss": loss}
        except ValueError as exc:
            raise HookOutputError(
                f"{hook} returned {{'loss': ...}} {_where(epoch, batch)}: the value of 'loss' "
                f"{exc}"
            ) from None


def _plain_metrics(output: dict[str, Any]) -> bool:
    """Whether the ``log`` and ``progress_bar`` dicts of a training_step dict whose loss is
    fine are what the schema would return unchanged: dicts of scalar tensors.

    The per-step check once pydantic has accepted the structure; anything else (numbers to
    convert, a wrong value) goes to the pydantic schema, which converts it or names the fault.
    """
    for key in ("log", "progress_bar"):
        if key not in output:
            continue
        metrics = output[key]
        if type(metrics) is not dict:
            return False
        for name, value in metrics.items():
            if type(name) is not str or not isinstance(value, torch.Tensor) or value.numel() != 1:
                return False
    return True


def _where(epoch: int, batch: int | None) -> str:
    return f"at epoch {epoch}" + ("" if batch is None else f", batch {batch}")


def _preview(output: Mapping[str, Any]) -> str:
    return "{" + ", ".join(f"{k!r}: ..." for k in list(output)[:8]) + "}"


def _message(
    hook: str, output: Mapping[str, Any], exc: ValidationError, epoch: int, batch: int | None
) -> str:
    head = f"{hook} returned {_preview(output)} {_where(epoch, batch)}: "
    parts = []
    for error in exc.errors():
        loc = [str(p) for p in error["loc"]]
        key = ".".join(loc)
        if error["type"] == "missing":
            close = difflib.get_close_matches(loc[-1], [str(k) for k in output], n=1)
            hint = f" (did you mean {close[0]!r}?)" if close else ""
            parts.append(f"the key {key!r} is required{hint}")
        elif error["type"] == "dict_type":
            parts.append(f"the value of {key!r} must be a dict of metrics, got {_at(output, loc)}")
        else:
            message = error["msg"].removeprefix("Value error, ")
            parts.append(f"the value of {key!r} {message}")
    return head + join_problems(parts)


def _at(output: Any, loc: list[str]) -> str:
    value = output
    for part in loc:
        value = value.get(part) if isinstance(value, Mapping) else None
    return describe_value(value)
