"""Tests of the validated Trainer configuration: defaults, valid forms and every kind of mistake."""

from __future__ import annotations

import re
from typing import Any

import pytest

from schemas.config import TrainerConfig, build_config, parse_gpu_ids
from schemas.errors import ConfigError, OrchestratorError

LIGHTNING_085_DEFAULTS: dict[str, Any] = {
    "logger": True,
    "checkpoint_callback": True,
    "early_stop_callback": False,
    "callbacks": None,
    "default_root_dir": None,
    "gradient_clip_val": 0.0,
    "process_position": 0,
    "num_nodes": 1,
    "num_processes": 1,
    "gpus": None,
    "auto_select_gpus": False,
    "tpu_cores": None,
    "log_gpu_memory": None,
    "overfit_batches": 0.0,
    "track_grad_norm": -1,
    "progress_bar_refresh_rate": 1,
    "check_val_every_n_epoch": 1,
    "fast_dev_run": False,
    "accumulate_grad_batches": 1,
    "max_epochs": 1000,
    "min_epochs": 1,
    "max_steps": None,
    "min_steps": None,
    "limit_train_batches": 1.0,
    "limit_val_batches": 1.0,
    "limit_test_batches": 1.0,
    "val_check_interval": 1.0,
    "log_save_interval": 100,
    "row_log_interval": 50,
    "distributed_backend": None,
    "precision": 32,
    "weights_summary": "top",
    "weights_save_path": None,
    "amp_level": "O2",
    "num_sanity_val_steps": 2,
    "truncated_bptt_steps": None,
    "terminate_on_nan": False,
    "resume_from_checkpoint": None,
    "profiler": None,
    "benchmark": False,
    "deterministic": False,
    "reload_dataloaders_every_epoch": False,
    "auto_lr_find": False,
    "replace_sampler_ddp": True,
    "auto_scale_batch_size": False,
    "prepare_data_per_node": True,
    "strict_outputs": False,
}


def _names_argument(name: str, value: Any) -> str:
    """A regex matching ``Trainer(name=value)`` as the error message shows it."""
    return re.escape(f"Trainer({name}={value!r})")


def _kwargs_id(kwargs: dict[str, Any]) -> str:
    """A readable test id for a set of Trainer arguments."""
    return ",".join(f"{name}={value!r}" for name, value in kwargs.items())


# --------------------------------------------------------------------------------------------
# defaults
# --------------------------------------------------------------------------------------------


@pytest.mark.parametrize(("name", "expected"), sorted(LIGHTNING_085_DEFAULTS.items()))
def test_default_equals_lightning_085(name: str, expected: Any) -> None:
    config = build_config()
    assert getattr(config, name) == expected


def test_default_val_check_interval_is_the_float_one() -> None:
    config = build_config()
    assert isinstance(config.val_check_interval, float)
    assert config.val_check_interval == 1.0


def test_build_config_without_arguments_equals_trainer_config_defaults() -> None:
    assert build_config() == TrainerConfig.model_validate({})


def test_default_config_has_no_gpu_ids() -> None:
    assert build_config().gpu_ids is None


def test_config_error_is_a_value_error_and_an_orchestrator_error() -> None:
    assert issubclass(ConfigError, ValueError)
    assert issubclass(ConfigError, OrchestratorError)


# --------------------------------------------------------------------------------------------
# valid forms
# --------------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("gpus", "expected_ids"),
    [
        (None, None),
        (0, None),
        (1, [0]),
        (2, [0, 1]),
        (-1, [-1]),
        ([0], [0]),
        ([0, 2], [0, 2]),
        ([1, 3], [1, 3]),
        ([], None),
        ("0,2", [0, 2]),
        (" 1, 3 ", [1, 3]),
        ("2", [0, 1]),
        ("1", [0]),
        ("0", None),
        ("-1", [-1]),
        ("3,", [3]),
    ],
    ids=repr,
)
def test_gpus_valid_forms(gpus: Any, expected_ids: list[int] | None) -> None:
    config = build_config(gpus=gpus)
    assert config.gpus == gpus
    assert config.gpu_ids == expected_ids
    assert parse_gpu_ids(gpus) == expected_ids


@pytest.mark.parametrize(
    "value",
    [1, 2, 8, {0: 1}, {0: 1, 5: 4}, {3: 2}, {0: 8, 10: 1}],
    ids=repr,
)
def test_accumulate_grad_batches_valid_forms(value: int | dict[int, int]) -> None:
    assert build_config(accumulate_grad_batches=value).accumulate_grad_batches == value


@pytest.mark.parametrize("value", [0.25, 0.5, 1.0, 0.01], ids=repr)
def test_val_check_interval_float_stays_float(value: float) -> None:
    config = build_config(val_check_interval=value)
    assert isinstance(config.val_check_interval, float)
    assert config.val_check_interval == value


@pytest.mark.parametrize("value", [1, 2, 100, 10_000], ids=repr)
def test_val_check_interval_int_stays_int(value: int) -> None:
    config = build_config(val_check_interval=value)
    assert type(config.val_check_interval) is int
    assert config.val_check_interval == value


@pytest.mark.parametrize("cores", [None, 1, 8, [5]], ids=repr)
def test_tpu_cores_valid(cores: Any) -> None:
    assert build_config(tpu_cores=cores).tpu_cores == cores


@pytest.mark.parametrize(("text", "cores"), [("1", 1), ("8", 8), ("5,", [5]), ("[3]", [3])])
def test_tpu_cores_as_0_8_wrote_them_in_strings(text: str, cores: Any) -> None:
    assert build_config(tpu_cores=text).tpu_cores == cores


def test_num_tpu_cores_is_the_deprecated_name_of_tpu_cores() -> None:
    with pytest.warns(DeprecationWarning, match=r"num_tpu_cores=\.\.\.\) is named tpu_cores"):
        assert build_config(num_tpu_cores=8).tpu_cores == 8


@pytest.mark.parametrize("gpus", [None, 0, "0", []], ids=repr)
def test_tpu_cores_with_no_gpu_request_is_fine(gpus: Any) -> None:
    config = build_config(gpus=gpus, tpu_cores=8)
    assert config.tpu_cores == 8
    assert config.gpu_ids is None


@pytest.mark.parametrize("backend", [None, "dp", "ddp", "ddp_spawn", "ddp2", "ddp_cpu"])
def test_distributed_backend_valid(backend: str | None) -> None:
    assert build_config(distributed_backend=backend).distributed_backend == backend


@pytest.mark.parametrize("precision", [32, 16, "bf16"])
def test_precision_valid(precision: int | str) -> None:
    assert build_config(precision=precision).precision == precision


@pytest.mark.parametrize("summary", ["top", "full", None])
def test_weights_summary_valid(summary: str | None) -> None:
    assert build_config(weights_summary=summary).weights_summary == summary


@pytest.mark.parametrize("level", ["O0", "O1", "O2", "O3"])
def test_amp_level_valid(level: str) -> None:
    assert build_config(amp_level=level).amp_level == level


LIMITS = ["limit_train_batches", "limit_val_batches", "limit_test_batches", "overfit_batches"]


@pytest.mark.parametrize("name", LIMITS)
@pytest.mark.parametrize("value", [0.01, 0.5, 1.0, 1, 10], ids=repr)
def test_limits_take_a_fraction_or_a_count(name: str, value: float) -> None:
    got = getattr(build_config(**{name: value}), name)
    assert got == value and type(got) is type(value)


@pytest.mark.parametrize("name", LIMITS)
def test_a_whole_float_above_one_counts_batches(name: str) -> None:
    got = getattr(build_config(**{name: 10.0}), name)  # as 0.8.5
    assert got == 10 and type(got) is int


@pytest.mark.parametrize("name", ["limit_val_batches", "overfit_batches"])
@pytest.mark.parametrize("value", [0, 0.0], ids=repr)
def test_validation_and_overfit_limits_accept_zero(name: str, value: float) -> None:
    assert getattr(build_config(**{name: value}), name) == 0


@pytest.mark.parametrize(("old", "new"), [("train_percent_check", "limit_train_batches"),
                                          ("val_percent_check", "limit_val_batches"),
                                          ("test_percent_check", "limit_test_batches"),
                                          ("overfit_pct", "overfit_batches")])
def test_percent_checks_are_deprecated_names_of_the_limits(old: str, new: str) -> None:
    with pytest.warns(DeprecationWarning, match=rf"{old}=\.\.\.\) is named {new} since"):
        assert getattr(build_config(**{old: 0.5}), new) == 0.5


def test_an_old_name_and_its_new_one_together_are_refused() -> None:
    with pytest.raises(ConfigError, match=r"train_percent_check=0.5, limit_train_batches=0.2"
                                          r"\).*pass only limit_train_batches"), \
            pytest.warns(DeprecationWarning):
        build_config(train_percent_check=0.5, limit_train_batches=0.2)


def test_an_old_name_beside_its_new_one_at_the_default_is_taken() -> None:
    """A parsed command line holds both (``--val_percent_check 0.5`` and the default of
    ``limit_val_batches``): the old name's value counts, as in 0.8.5."""
    with pytest.warns(DeprecationWarning, match="val_percent_check"):
        assert build_config(val_percent_check=0.5, limit_val_batches=1.0).limit_val_batches \
            == 0.5


@pytest.mark.parametrize(("old", "value", "new", "expected"), [
    ("use_amp", True, "precision", 16), ("use_amp", False, "precision", 32),
    ("show_progress_bar", False, "progress_bar_refresh_rate", 0),
    ("show_progress_bar", True, "progress_bar_refresh_rate", 1),
    ("default_save_path", "/tmp/x", "default_root_dir", "/tmp/x"),
    ("gradient_clip", 0.5, "gradient_clip_val", 0.5), ("nb_gpu_nodes", 2, "num_nodes", 2),
    ("max_nb_epochs", 3, "max_epochs", 3), ("min_nb_epochs", 2, "min_epochs", 2),
    ("add_row_log_interval", 7, "row_log_interval", 7),
    ("nb_sanity_val_steps", 0, "num_sanity_val_steps", 0),
], ids=repr)
def test_old_argument_names_are_translated_with_a_warning(old: str, value: Any, new: str,
                                                          expected: Any) -> None:
    with pytest.warns(DeprecationWarning, match=old):
        assert getattr(build_config(**{old: value}), new) == expected


def test_print_nan_grads_is_accepted_and_does_nothing() -> None:
    with pytest.warns(DeprecationWarning, match=r"print_nan_grads=\.\.\.\) has no effect"):
        assert build_config(print_nan_grads=True) == build_config()


def test_an_error_about_a_translated_argument_names_it_as_written() -> None:
    with pytest.raises(ConfigError, match=_names_argument("train_percent_check", 1.5)), \
            pytest.warns(DeprecationWarning):
        build_config(train_percent_check=1.5)


@pytest.mark.parametrize("name", ["default_root_dir", "weights_save_path",
                                  "resume_from_checkpoint"])
def test_paths_take_any_path_like(name: str, tmp_path: Any) -> None:
    import py  # pytest's own path type: 0.8 tests pass tmpdir

    for value in (tmp_path, py.path.local(tmp_path), str(tmp_path)):
        assert getattr(build_config(**{name: value}), name) == str(tmp_path)


@pytest.mark.parametrize(
    "kwargs",
    [
        {"max_epochs": 1},
        {"max_epochs": 5, "min_epochs": 5},
        {"max_epochs": 3, "min_epochs": 0},
        {"max_steps": 10},
        {"min_steps": 0},
        {"min_steps": 5},
        {"min_steps": 5, "max_steps": 5},
        {"min_steps": 5, "max_steps": 100},
        {"gradient_clip_val": 0},
        {"gradient_clip_val": 0.5},
        {"gradient_clip_val": 10},
        {"row_log_interval": 1},
        {"log_save_interval": 1},
        {"progress_bar_refresh_rate": 0},
        {"progress_bar_refresh_rate": 20},
        {"num_sanity_val_steps": -1},
        {"num_sanity_val_steps": 0},
        {"truncated_bptt_steps": 2},
        {"check_val_every_n_epoch": 3},
        {"num_nodes": 2, "num_processes": 4},
        {"process_position": 1},
        {"fast_dev_run": True},
        {"auto_select_gpus": True},
        {"terminate_on_nan": True},
        {"strict_outputs": True},
        {"default_root_dir": "runs"},
        {"weights_save_path": "weights"},
        {"resume_from_checkpoint": "last.ckpt"},
        {"logger": False, "checkpoint_callback": False, "early_stop_callback": True},
        {"callbacks": []},
    ],
    ids=_kwargs_id,
)
def test_other_valid_arguments(kwargs: dict[str, Any]) -> None:
    config = build_config(**kwargs)
    for name, value in kwargs.items():
        assert getattr(config, name) == value


# --------------------------------------------------------------------------------------------
# invalid values: wrong types, out of range
# --------------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("name", "value"),
    [
        ("max_epochs", "3"),
        ("max_epochs", 3.0),
        ("max_epochs", True),
        ("min_epochs", "1"),
        ("max_steps", 10.0),
        ("fast_dev_run", 1),
        ("fast_dev_run", "yes"),
        ("auto_select_gpus", 1),
        ("terminate_on_nan", 0),
        ("strict_outputs", "yes"),
        ("row_log_interval", 1.5),
        ("log_save_interval", "100"),
        ("limit_train_batches", "0.5"),
        ("overfit_batches", True),
        ("track_grad_norm", "2"),
        ("benchmark", 1),
        ("auto_scale_batch_size", "linear"),
        ("log_gpu_memory", "max"),
        ("gradient_clip_val", "1"),
        ("val_check_interval", "0.5"),
        ("val_check_interval", True),
        ("accumulate_grad_batches", 2.0),
        ("accumulate_grad_batches", {"0": 2}),
        ("accumulate_grad_batches", {0: True}),
        ("gpus", 1.5),
        ("gpus", True),
        ("gpus", ["0"]),
        ("precision", "16"),
        ("precision", True),
        ("tpu_cores", "eight"),
    ],
    ids=repr,
)
def test_wrong_type_raises_naming_argument_and_value(name: str, value: Any) -> None:
    with pytest.raises(ConfigError, match=_names_argument(name, value)):
        build_config(**{name: value})


@pytest.mark.parametrize(
    ("name", "value"),
    [
        ("tpu_cores", True),
        ("tpu_cores", 8.0),
        ("precision", 16.0),
    ],
    ids=repr,
)
def test_choice_field_rejects_lookalike_of_another_type(name: str, value: Any) -> None:
    """``True == 1`` and ``16.0 == 16``, yet neither is the int choice; the rest of the config
    is strict (``max_epochs=3.0`` and ``fast_dev_run=1`` are rejected), so these must be too."""
    with pytest.raises(ConfigError, match=_names_argument(name, value)):
        build_config(**{name: value})


@pytest.mark.parametrize(
    ("name", "value", "detail"),
    [
        ("max_epochs", 0, "greater than or equal to 1"),
        ("max_epochs", -5, "greater than or equal to 1"),
        ("min_epochs", -1, "greater than or equal to 0"),
        ("max_steps", 0, "greater than or equal to 1"),
        ("min_steps", -1, "greater than or equal to 0"),
        ("limit_train_batches", -1, "count of batches >= 0"),
        ("limit_train_batches", 1.5, r"fraction of the batches in \[0, 1\]"),
        ("limit_train_batches", -0.5, r"fraction of the batches in \[0, 1\]"),
        ("limit_val_batches", -0.1, r"fraction of the batches in \[0, 1\]"),
        ("limit_val_batches", -1, "count of batches >= 0"),
        ("limit_test_batches", -2, "count of batches >= 0"),
        ("overfit_batches", 1.01, r"fraction of the batches in \[0, 1\]"),
        ("track_grad_norm", 0, "a norm order > 0"),
        ("tpu_cores", [9], "by its index from 1 to 8"),
        ("tpu_cores", [1, 2], "naming one core by its index"),
        ("val_check_interval", 1.5, r"\(0, 1\]"),
        ("val_check_interval", 0.0, r"\(0, 1\]"),
        ("val_check_interval", -0.5, r"\(0, 1\]"),
        ("val_check_interval", 0, ">= 1"),
        ("val_check_interval", -3, ">= 1"),
        ("row_log_interval", 0, "greater than or equal to 1"),
        ("log_save_interval", 0, "greater than or equal to 1"),
        ("progress_bar_refresh_rate", -1, "greater than or equal to 0"),
        ("check_val_every_n_epoch", 0, "greater than or equal to 1"),
        ("num_nodes", 0, "greater than or equal to 1"),
        ("num_processes", 0, "greater than or equal to 1"),
        ("process_position", -1, "greater than or equal to 0"),
        ("num_sanity_val_steps", -2, "greater than or equal to -1"),
        ("truncated_bptt_steps", 0, "greater than or equal to 1"),
        ("gradient_clip_val", -1, "greater than or equal to 0"),
        ("gradient_clip_val", -0.1, "greater than or equal to 0"),
        ("gradient_clip_val", float("nan"), "greater than or equal to 0"),
        ("accumulate_grad_batches", 0, ">= 1"),
        ("accumulate_grad_batches", -2, ">= 1"),
    ],
    ids=repr,
)
def test_out_of_range_raises_naming_argument_value_and_range(
    name: str, value: Any, detail: str
) -> None:
    with pytest.raises(ConfigError, match=_names_argument(name, value)) as info:
        build_config(**{name: value})
    assert re.search(detail, str(info.value))


@pytest.mark.parametrize("value", [1.5, 0, 0.0])
def test_val_check_interval_error_explains_both_forms(value: float) -> None:
    with pytest.raises(ConfigError, match=_names_argument("val_check_interval", value)) as info:
        build_config(val_check_interval=value)
    message = str(info.value)
    assert "a float in (0, 1]" in message
    assert "an int >= 1" in message


# --------------------------------------------------------------------------------------------
# invalid values: choices
# --------------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("name", "value", "choices"),
    [
        ("precision", 8, ["32", "16", "'bf16'"]),
        ("precision", 64, ["32", "16", "'bf16'"]),
        ("precision", "half", ["32", "16", "'bf16'"]),
        (
            "distributed_backend",
            "horovod",
            ["None", "'dp'", "'ddp'", "'ddp_spawn'", "'ddp2'", "'ddp_cpu'"],
        ),
        ("distributed_backend", "DDP", ["None", "'dp'", "'ddp'", "'ddp_spawn'", "'ddp2'"]),
        ("weights_summary", "some", ["'top'", "'full'", "None"]),
        ("amp_level", "O9", ["'O0'", "'O1'", "'O2'", "'O3'"]),
        ("amp_level", "o1", ["'O0'", "'O1'", "'O2'", "'O3'"]),
        ("tpu_cores", 4, ["1", "8", "None"]),
        ("tpu_cores", 2, ["1", "8", "None"]),
    ],
    ids=repr,
)
def test_bad_choice_raises_listing_valid_choices(name: str, value: Any, choices: list[str]) -> None:
    with pytest.raises(ConfigError, match=_names_argument(name, value)) as info:
        build_config(**{name: value})
    message = str(info.value)
    assert "valid choices" in message
    tail = message.split("valid choices", 1)[1]
    for choice in choices:
        assert choice in tail, f"{choice} missing from {message!r}"


# --------------------------------------------------------------------------------------------
# invalid values: gpus and accumulate_grad_batches forms
# --------------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    "gpus", ["a,b", "a", "1.5", "0,-1", " ", "0;1", -2, [-1], [0, -3]], ids=repr
)
def test_bad_gpus_raises_naming_value_and_forms(gpus: Any) -> None:
    with pytest.raises(ConfigError, match=_names_argument("gpus", gpus)) as info:
        build_config(gpus=gpus)
    assert "a string like '0,2'" in str(info.value)


@pytest.mark.parametrize("gpus", ["a,b", "x", -2, [-1], True])
def test_parse_gpu_ids_rejects_bad_forms(gpus: Any) -> None:
    with pytest.raises(ValueError, match=r"GPU|gpu|int count|'0,2'"):
        parse_gpu_ids(gpus)


@pytest.mark.parametrize(
    ("name", "value", "kind"),
    [
        ("accumulate_grad_batches", {-1: 3, 1: 4}, IndexError),  # an epoch before the first
        ("accumulate_grad_batches", {-2: 3}, IndexError),
        ("accumulate_grad_batches", {}, TypeError),  # no schedule at all
        ("accumulate_grad_batches", [[2, 3], [4, 6]], TypeError),
        ("accumulate_grad_batches", {1: 2, 3.0: 4}, TypeError),
        ("accumulate_grad_batches", {1: 2.5}, TypeError),
        ("max_epochs", 1.5, TypeError),
        ("row_log_interval", "10", TypeError),
    ],
    ids=repr,
)
def test_wrong_types_and_epoch_indices_are_also_the_builtin_errors(name: str, value: Any,
                                                                   kind: type) -> None:
    """As 0.8.5 raised them (and Python would): a ConfigError that is a TypeError for a value
    of the wrong type, an IndexError for an epoch below 0."""
    with pytest.raises(kind, match=_names_argument(name, value)) as info:
        build_config(**{name: value})
    assert isinstance(info.value, ConfigError)
    with pytest.raises(ConfigError) as plain:  # a value of the right type: neither
        build_config(max_epochs=0)
    assert not isinstance(plain.value, (TypeError, IndexError))


@pytest.mark.parametrize(
    ("value", "detail"),
    [
        ({0: 0}, "factor must be >= 1"),
        ({0: 1, 5: 0}, "factor must be >= 1"),
        ({0: -2}, "factor must be >= 1"),
        ({-1: 2}, "epochs >= 0"),
        ({0: 1, -5: 2}, "epochs >= 0"),
        ({}, "at least one epoch"),
    ],
    ids=repr,
)
def test_bad_accumulate_dict_raises(value: dict[int, int], detail: str) -> None:
    with pytest.raises(
        ConfigError, match=_names_argument("accumulate_grad_batches", value)
    ) as info:
        build_config(accumulate_grad_batches=value)
    message = str(info.value)
    assert detail in message
    assert "{epoch: factor}" in message


# --------------------------------------------------------------------------------------------
# invalid combinations
# --------------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("kwargs", "pattern"),
    [
        ({"min_epochs": 5, "max_epochs": 3}, r"min_epochs=5 exceeds max_epochs=3"),
        ({"min_epochs": 2000}, r"min_epochs=2000 exceeds max_epochs=1000"),
        ({"min_steps": 10, "max_steps": 5}, r"min_steps=10 exceeds max_steps=5"),
        ({"gpus": 1, "tpu_cores": 8}, r"gpus=1 and tpu_cores=8"),
        ({"gpus": [0, 1], "tpu_cores": 1}, r"gpus=\[0, 1\] and tpu_cores=1"),
        ({"gpus": "0,2", "tpu_cores": 8}, r"gpus='0,2' and tpu_cores=8"),
        ({"gpus": -1, "tpu_cores": 8}, r"gpus=-1 and tpu_cores=8"),
    ],
    ids=lambda value: _kwargs_id(value) if isinstance(value, dict) else "message",
)
def test_bad_combination_raises_naming_both_values(kwargs: dict[str, Any], pattern: str) -> None:
    with pytest.raises(ConfigError, match=pattern):
        build_config(**kwargs)


def test_min_epochs_error_says_how_to_fix() -> None:
    with pytest.raises(ConfigError, match="lower min_epochs or raise max_epochs"):
        build_config(min_epochs=5, max_epochs=3)


def test_gpus_with_tpu_error_says_to_choose_one() -> None:
    with pytest.raises(ConfigError, match="both request an accelerator; choose one"):
        build_config(gpus=2, tpu_cores=8)


# --------------------------------------------------------------------------------------------
# unknown arguments
# --------------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("name", "suggestion"),
    [
        ("maxepochs", "max_epochs"),
        ("max_epoch", "max_epochs"),
        ("gpu", "gpus"),
        ("precison", "precision"),
        ("distributed_backed", "distributed_backend"),
    ],
)
def test_unknown_argument_is_named_with_a_suggestion(name: str, suggestion: str) -> None:
    pattern = rf"unexpected keyword argument '{name}' \(did you mean '{suggestion}'\?\)"
    with pytest.raises(ConfigError, match=pattern):
        build_config(**{name: 3})


def test_unknown_argument_without_close_match_has_no_suggestion() -> None:
    with pytest.raises(ConfigError, match="unexpected keyword argument 'zzzzzz'") as info:
        build_config(zzzzzz=1)
    assert "did you mean" not in str(info.value)


def test_unknown_argument_is_reported_even_beside_valid_ones() -> None:
    with pytest.raises(ConfigError, match="unexpected keyword argument 'maxepochs'"):
        build_config(max_epochs=5, maxepochs=3)


# --------------------------------------------------------------------------------------------
# frozen
# --------------------------------------------------------------------------------------------


@pytest.mark.parametrize(("name", "value"), [("max_epochs", 3), ("gpus", 2), ("precision", 16)])
def test_config_is_frozen(name: str, value: Any) -> None:
    config = build_config()
    before = getattr(config, name)
    with pytest.raises(ValueError, match="frozen"):
        setattr(config, name, value)
    assert getattr(config, name) == before


def test_an_unknown_argument_is_also_a_type_error_as_python_raises() -> None:
    from schemas.errors import UnknownArgumentError

    with pytest.raises(TypeError, match=r"__init__\(\) got an unexpected keyword argument 'zz'"):
        build_config(zz=1)
    assert issubclass(UnknownArgumentError, ConfigError)


def test_a_config_error_is_a_misconfiguration_as_0_8_raised_it() -> None:
    from schemas.errors import MisconfigurationError

    with pytest.raises(MisconfigurationError):
        build_config(limit_train_batches=1.2)
