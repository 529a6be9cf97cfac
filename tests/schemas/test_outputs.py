"""Tests of the hook-output schemas: what passes, what is converted, and what each mistake says."""

from __future__ import annotations

import re
from typing import Any

import pytest
import torch

from schemas.errors import HookOutputError, OrchestratorError
from schemas.outputs import OutputKind, OutputValidator

EPOCH = 3
BATCH = 7


def _loss() -> torch.Tensor:
    """A scalar loss attached to a graph, as a real training_step returns it."""
    weight = torch.tensor(2.0, requires_grad=True)
    return weight * 3.0


def _check(
    output: Any,
    kind: OutputKind = "training_step",
    hook: str = "training_step",
    strict: bool = False,
    batch: int | None = BATCH,
) -> Any:
    return OutputValidator(strict=strict)(kind, hook, output, EPOCH, batch)


def _where(hook: str = "training_step") -> str:
    """The regex for the start of every message: the hook, the epoch and the batch."""
    return rf"^{re.escape(hook)} returned .* at epoch {EPOCH}, batch {BATCH}: "


def test_hook_output_error_is_a_value_error_and_an_orchestrator_error() -> None:
    assert issubclass(HookOutputError, ValueError)
    assert issubclass(HookOutputError, OrchestratorError)


# --------------------------------------------------------------------------------------------
# training_step: what passes
# --------------------------------------------------------------------------------------------


def test_bare_loss_tensor_is_wrapped_into_a_dict() -> None:
    loss = _loss()
    result = _check(loss)
    assert result == {"loss": loss}
    assert result["loss"] is loss


def test_full_dict_passes_and_keeps_extra_keys() -> None:
    loss = _loss()
    accuracy = torch.tensor(0.75)
    hiddens = torch.zeros(2, 4)
    output = {
        "loss": loss,
        "progress_bar": {"acc": accuracy},
        "log": {"train_loss": loss.detach(), "acc": accuracy},
        "hiddens": hiddens,
        "extra": "kept",
        "predictions": torch.ones(16, 3),
    }
    result = _check(output)
    assert set(result) == set(output)
    assert result["loss"] is loss
    assert result["progress_bar"]["acc"] is accuracy
    assert result["log"]["acc"] is accuracy
    assert result["hiddens"] is hiddens
    assert result["extra"] == "kept"
    assert result["predictions"] is output["predictions"]


@pytest.mark.parametrize("key", ["progress_bar", "log", "hiddens"])
def test_optional_keys_may_be_left_out(key: str) -> None:
    output = {"loss": _loss(), "progress_bar": {}, "log": {}, "hiddens": None}
    del output[key]
    assert set(_check(output)) == set(output)


@pytest.mark.parametrize("value", [torch.tensor(0.5), torch.tensor([0.5]), torch.ones(1, 1)])
def test_single_element_metric_tensor_passes(value: torch.Tensor) -> None:
    result = _check({"loss": _loss(), "log": {"m": value}})
    assert result["log"]["m"] is value


@pytest.mark.parametrize("section", ["progress_bar", "log"])
@pytest.mark.parametrize("number", [1, 2.5, 0, -3.25], ids=repr)
def test_python_numbers_become_tensors_by_default(section: str, number: float) -> None:
    result = _check({"loss": _loss(), section: {"metric": number}})
    value = result[section]["metric"]
    assert isinstance(value, torch.Tensor)
    assert value.numel() == 1
    assert value.item() == pytest.approx(number)


@pytest.mark.parametrize("section", ["progress_bar", "log"])
@pytest.mark.parametrize("number", [1, 0.5], ids=repr)
def test_python_numbers_raise_when_strict(section: str, number: float) -> None:
    key = f"{section}.metric"
    pattern = (
        _where()
        + rf".*'{re.escape(key)}'.*strict_outputs=True.*"
        + re.escape(f"torch.tensor({number!r})")
    )
    with pytest.raises(HookOutputError, match=pattern):
        _check({"loss": _loss(), section: {"metric": number}}, strict=True)


def test_strict_mode_still_accepts_tensors() -> None:
    accuracy = torch.tensor(0.9)
    result = _check({"loss": _loss(), "log": {"acc": accuracy}}, strict=True)
    assert result["log"]["acc"] is accuracy


# --------------------------------------------------------------------------------------------
# training_step: each mistake
# --------------------------------------------------------------------------------------------


def test_missing_loss_suggests_the_close_key() -> None:
    pattern = _where() + re.escape("the key 'loss' is required (did you mean 'los'?)")
    with pytest.raises(HookOutputError, match=pattern) as info:
        _check({"los": _loss()})
    assert "{'los': ...}" in str(info.value)


def test_missing_loss_without_close_key_has_no_suggestion() -> None:
    with pytest.raises(HookOutputError, match=_where() + "the key 'loss' is required") as info:
        _check({"accuracy": _loss()})
    assert "did you mean" not in str(info.value)
    assert "'accuracy'" in str(info.value)


@pytest.mark.parametrize(
    ("loss", "described"),
    [
        (1.0, "the float 1.0"),
        (3, "the int 3"),
        ("0.5", "the string '0.5'"),
        ([1.0], "a list of 1 items"),
        (None, "None"),
    ],
    ids=repr,
)
def test_loss_not_a_tensor(loss: Any, described: str) -> None:
    pattern = _where() + r"the value of 'loss' must be a tensor, got .*" + re.escape(described)
    with pytest.raises(HookOutputError, match=pattern):
        _check({"loss": loss})


@pytest.mark.parametrize("shape", [(3,), (3, 2), (2, 2, 2)], ids=repr)
def test_loss_non_scalar_shows_its_shape(shape: tuple[int, ...]) -> None:
    loss = torch.ones(*shape, requires_grad=True) * 2
    pattern = (
        _where()
        + r"the value of 'loss' must be a scalar tensor, got .*"
        + re.escape(f"shape {shape}")
    )
    with pytest.raises(HookOutputError, match=pattern):
        _check({"loss": loss})


@pytest.mark.parametrize(
    "loss",
    [
        torch.tensor(1.0),
        torch.tensor(1.0, requires_grad=True).detach(),
    ],
    ids=["plain", "detached"],
)
def test_loss_not_requiring_grad(loss: torch.Tensor) -> None:
    pattern = _where() + r"the value of 'loss' is a tensor that does not require grad"
    with pytest.raises(HookOutputError, match=pattern):
        _check({"loss": loss})


def test_loss_computed_under_no_grad_raises() -> None:
    with torch.no_grad():
        loss = _loss()
    with pytest.raises(HookOutputError, match=_where() + r".*does not require grad.*no_grad"):
        _check(loss)


def test_bare_loss_tensor_not_requiring_grad_raises() -> None:
    with pytest.raises(HookOutputError, match=_where() + r"the value of 'loss' .*require grad"):
        _check(torch.tensor(0.3))


@pytest.mark.parametrize("section", ["progress_bar", "log"])
@pytest.mark.parametrize(
    ("value", "described"),
    [
        (3, "the int 3"),
        ([1, 2], "a list of 2 items"),
        ("acc", "the string 'acc'"),
        (torch.tensor(1.0), "a tensor of shape () and dtype torch.float32"),
    ],
    ids=repr,
)
def test_metrics_section_not_a_dict(section: str, value: Any, described: str) -> None:
    pattern = (
        _where()
        + rf"the value of '{section}' must be a dict of metrics, got "
        + re.escape(described)
    )
    with pytest.raises(HookOutputError, match=pattern):
        _check({"loss": _loss(), section: value})


@pytest.mark.parametrize("section", ["progress_bar", "log"])
@pytest.mark.parametrize(
    ("value", "described"),
    [
        ("high", "the string 'high'"),
        ([1, 2], "a list of 2 items"),
        ((0.1, 0.2, 0.3), "a tuple of 3 items"),
        (torch.ones(4), "a tensor of shape (4,)"),
        (torch.ones(2, 3), "a tensor of shape (2, 3)"),
        (None, "None"),
        (True, "the bool True"),
        ({"nested": 1}, "a dict with keys 'nested'"),
    ],
    ids=repr,
)
def test_bad_metric_value(section: str, value: Any, described: str) -> None:
    pattern = (
        _where()
        + rf"the value of '{section}\.acc' must be a scalar tensor, got .*"
        + re.escape(described)
    )
    with pytest.raises(HookOutputError, match=pattern):
        _check({"loss": _loss(), section: {"acc": value}})


def test_non_scalar_metric_suggests_reducing() -> None:
    with pytest.raises(HookOutputError, match=r"'log\.acc'.*reduce it, e\.g\. with \.mean\(\)"):
        _check({"loss": _loss(), "log": {"acc": torch.ones(8)}})


def test_every_mistake_in_one_output_is_reported() -> None:
    with pytest.raises(HookOutputError, match=_where()) as info:
        _check({"los": _loss(), "log": {"acc": "high"}, "progress_bar": 5})
    message = str(info.value)
    assert "the key 'loss' is required" in message
    assert "'log.acc'" in message
    assert "'progress_bar'" in message


@pytest.mark.parametrize(
    ("output", "described"),
    [
        ("loss", "the string 'loss'"),
        (None, "None"),
        ([torch.tensor(1.0, requires_grad=True)], "a list of 1 items"),
        ((1.0, 2.0), "a tuple of 2 items"),
        (0.5, "the float 0.5"),
    ],
    ids=repr,
)
def test_training_step_output_of_wrong_kind(output: Any, described: str) -> None:
    pattern = (
        rf"^training_step returned .*{re.escape(described)} at epoch {EPOCH}, batch {BATCH}: "
        r"return the loss tensor or a dict with the key 'loss'"
    )
    with pytest.raises(HookOutputError, match=pattern):
        _check(output)


def test_message_names_the_given_hook() -> None:
    with pytest.raises(HookOutputError, match=_where("my_custom_step") + "the key 'loss'"):
        _check({"los": _loss()}, hook="my_custom_step")


def test_message_without_batch_names_only_the_epoch() -> None:
    with pytest.raises(HookOutputError, match=rf"at epoch {EPOCH}: ") as info:
        _check({"los": _loss()}, batch=None)
    assert "batch" not in str(info.value)


# --------------------------------------------------------------------------------------------
# epoch_end
# --------------------------------------------------------------------------------------------


@pytest.mark.parametrize("hook", ["training_epoch_end", "validation_epoch_end", "test_epoch_end"])
def test_epoch_end_accepts_none(hook: str) -> None:
    assert _check(None, kind="epoch_end", hook=hook, batch=None) is None


def test_epoch_end_accepts_a_dict() -> None:
    val_loss = torch.tensor(0.25)
    output = {"val_loss": val_loss, "log": {"val_loss": val_loss}, "progress_bar": {"v": 1.0}}
    result = _check(output, kind="epoch_end", hook="validation_epoch_end", batch=None)
    assert set(result) == {"val_loss", "log", "progress_bar"}
    assert result["val_loss"] is val_loss
    assert result["log"]["val_loss"] is val_loss
    assert isinstance(result["progress_bar"]["v"], torch.Tensor)


def test_epoch_end_accepts_an_empty_dict() -> None:
    assert _check({}, kind="epoch_end", hook="validation_epoch_end", batch=None) == {}


@pytest.mark.parametrize(
    ("output", "described"),
    [
        ([1, 2], "a list of 2 items"),
        ([{"val_loss": torch.tensor(1.0)}], "a list of 1 items"),
        (torch.tensor(1.0), "a tensor of shape ()"),
        ("done", "the string 'done'"),
    ],
    ids=repr,
)
def test_epoch_end_non_dict_raises_naming_the_hook(output: Any, described: str) -> None:
    pattern = (
        rf"^validation_epoch_end returned {re.escape(described)}.* at epoch {EPOCH}: "
        r"return a dict .* or None"
    )
    with pytest.raises(HookOutputError, match=pattern):
        _check(output, kind="epoch_end", hook="validation_epoch_end", batch=None)


def test_epoch_end_bad_log_raises() -> None:
    pattern = (
        rf"^test_epoch_end returned .* at epoch {EPOCH}: "
        r"the value of 'log' must be a dict of metrics, got the string 'x'"
    )
    with pytest.raises(HookOutputError, match=pattern):
        _check({"log": "x"}, kind="epoch_end", hook="test_epoch_end", batch=None)


# --------------------------------------------------------------------------------------------
# eval_step
# --------------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    "output",
    [torch.ones(3), torch.tensor(0.5), [1, 2], (torch.ones(2), 3), "text", 4.0, None],
    ids=lambda value: type(value).__name__,
)
def test_eval_step_non_dict_passes_unchanged(output: Any) -> None:
    assert _check(output, kind="eval_step", hook="validation_step") is output


def test_eval_step_dict_without_loss_passes_and_keeps_keys() -> None:
    predictions = torch.ones(4, 3)
    output = {"val_loss": torch.tensor(0.1), "predictions": predictions, "log": {"a": 1}}
    result = _check(output, kind="eval_step", hook="validation_step")
    assert set(result) == set(output)
    assert result["predictions"] is predictions
    assert isinstance(result["log"]["a"], torch.Tensor)


@pytest.mark.parametrize(
    ("log", "detail"),
    [
        (5, r"the value of 'log' must be a dict of metrics, got the int 5"),
        ([0.1], r"the value of 'log' must be a dict of metrics, got a list of 1 items"),
        ({"acc": "x"}, r"the value of 'log\.acc' must be a scalar tensor, got the string 'x'"),
        ({"acc": torch.ones(5)}, r"the value of 'log\.acc' must be a scalar tensor"),
    ],
    ids=repr,
)
def test_eval_step_dict_with_bad_log_raises(log: Any, detail: str) -> None:
    with pytest.raises(HookOutputError, match=_where("validation_step") + detail):
        _check(
            {"val_loss": torch.tensor(0.1), "log": log}, kind="eval_step", hook="validation_step"
        )


def test_eval_step_strict_rejects_python_number_in_log() -> None:
    with pytest.raises(HookOutputError, match=r"'log\.acc'.*torch\.tensor\(0\.5\)"):
        _check({"log": {"acc": 0.5}}, kind="eval_step", hook="test_step", strict=True)


# --------------------------------------------------------------------------------------------
# messages never print a whole tensor
# --------------------------------------------------------------------------------------------


def _big() -> torch.Tensor:
    return torch.rand(1000, 1000)


@pytest.mark.parametrize(
    ("kind", "hook", "output"),
    [
        ("training_step", "training_step", lambda: _big().requires_grad_()),
        ("training_step", "training_step", lambda: _big()),
        ("training_step", "training_step", lambda: {"loss": _big().requires_grad_()}),
        ("training_step", "training_step", lambda: {"los": _big()}),
        ("training_step", "training_step", lambda: {"loss": _loss(), "log": _big()}),
        ("training_step", "training_step", lambda: {"loss": _loss(), "log": {"m": _big()}}),
        (
            "training_step",
            "training_step",
            lambda: {"loss": _loss(), "progress_bar": {"m": _big()}},
        ),
        ("training_step", "training_step", lambda: [_big()]),
        ("eval_step", "validation_step", lambda: {"out": _big(), "log": {"m": _big()}}),
        ("epoch_end", "validation_epoch_end", lambda: _big()),
        ("epoch_end", "validation_epoch_end", lambda: {"log": _big()}),
    ],
    ids=[
        "bare-non-scalar-loss",
        "bare-no-grad-tensor",
        "non-scalar-loss",
        "missing-loss-big-value",
        "log-is-tensor",
        "log-metric",
        "progress-bar-metric",
        "list-of-tensors",
        "eval-log-metric",
        "epoch-end-tensor",
        "epoch-end-log-tensor",
    ],
)
def test_message_never_prints_a_full_tensor(kind: OutputKind, hook: str, output: Any) -> None:
    with pytest.raises(HookOutputError) as info:
        _check(output(), kind=kind, hook=hook)
    message = str(info.value)
    assert len(message) < 400, message
    assert "tensor(" not in message
    assert "[[" not in message


# --------------------------------------------------------------------------------------------
# the per-step check once pydantic has accepted a training_step dict
# --------------------------------------------------------------------------------------------


def _primed(strict: bool = False) -> OutputValidator:
    validator = OutputValidator(strict=strict)
    validator("training_step", "training_step", {"loss": _loss(), "log": {"a": _loss()}}, 0, 0)
    return validator


def _outcome(validator: OutputValidator, output: Any) -> Any:
    try:
        result = validator("training_step", "training_step", output, EPOCH, BATCH)
    except HookOutputError as exc:
        return ("error", str(exc))
    return ("ok", {k: (dict(v) if isinstance(v, dict) else v) for k, v in result.items()})


def _outputs() -> list[Any]:
    loss = _loss()
    return [
        {"loss": loss, "log": {"a": loss}, "progress_bar": {"b": torch.tensor(1.0)}},
        {"loss": loss, "log": {"a": 0.5}},  # a number: converted (or refused when strict)
        {"loss": loss, "log": {"a": torch.ones(3)}},  # not a scalar
        {"loss": loss, "log": {"a": "text"}},
        {"loss": loss, "log": None},
        {"loss": loss, "log": [loss]},
        {"loss": loss, "progress_bar": {"b": loss}, "hiddens": torch.zeros(2), "extra": 3},
        {"loss": loss.detach(), "log": {"a": loss}},  # no grad
        {"loss": torch.ones(2, requires_grad=True), "log": {}},
        {"loss": 1.0, "log": {"a": loss}},
        {"log": {"a": loss}, "progss_bar": {}},  # no loss
        {"loss": loss, "log": {1: loss}},  # a key that is not a string
    ]


@pytest.mark.parametrize("strict", [False, True])
@pytest.mark.parametrize("index", range(len(_outputs())))
def test_the_per_step_check_agrees_with_the_schema(index: int, strict: bool) -> None:
    output = _outputs()[index]
    assert _outcome(_primed(strict), output) == _outcome(OutputValidator(strict=strict), output)


def test_the_per_step_check_returns_the_dict_unchanged() -> None:
    loss = _loss()
    output = {"loss": loss, "log": {"a": loss}, "progress_bar": {"b": loss}}
    assert _primed()("training_step", "training_step", output, 0, 1) is output
