"""The Trainer's argparse class methods, on a small class with an explicit signature and on
the Trainer itself."""

from __future__ import annotations

import inspect
import sys
from argparse import ArgumentParser, Namespace
from typing import TYPE_CHECKING, Any, Literal, Optional, Union

import pytest

import orchestrator as pl
from orchestrator.trainer_argparse import TrainerArgparse, str_to_bool
from tests.helpers import BoringModel

if TYPE_CHECKING:  # not importable at run time: the annotations must still be read
    from orchestrator.loggers import LightningLoggerBase


class Stand(TrainerArgparse):
    """A stand-in with the Trainer's kinds of arguments; it keeps what it was given."""

    deprecated_arg_names = ("use_amp",)

    def __init__(self, max_epochs: int = 1000, gpus: int | str | list[int] | None = None,
                 fast_dev_run: bool = False, val_check_interval: float | int = 1.0,
                 default_root_dir: str | None = None,
                 logger: LightningLoggerBase | bool = True,
                 auto_lr_find: Union[bool, str] = False,  # noqa: UP007 - typing.Union on purpose
                 weights_summary: Optional[str] = "top",  # noqa: UP045 - so is Optional
                 early_stop_callback: object | bool | None = False,
                 callbacks: list[object] | None = None, gradient_clip_val: float = 0,
                 use_amp: bool | None = None, **unused: Any) -> None:
        self.given = {name: value for name, value in locals().items()
                      if name not in ("self", "unused", "__class__")}
        self.unused = unused


class WithLegacyList(Stand):
    DEPRECATED_IN_0_9 = ("gradient_clip_val", "training_tqdm_dict")


class SignedStand(TrainerArgparse):
    """A stand-in whose signature is set on ``__init__`` with objects for annotations (as the
    Trainer's is, built from its config): Literal choices, ``Any``, ``**older_names``."""

    def __init__(self, **kwargs: Any) -> None:
        self.given = kwargs


def _keyword(name: str, default: Any, annotation: Any) -> inspect.Parameter:
    return inspect.Parameter(name, inspect.Parameter.KEYWORD_ONLY, default=default,
                             annotation=annotation)


SignedStand.__init__.__signature__ = inspect.Signature([  # type: ignore[attr-defined]
    inspect.Parameter("self", inspect.Parameter.POSITIONAL_OR_KEYWORD),
    _keyword("precision", 32, Literal[32, 16, "bf16"]),
    _keyword("weights_summary", "top", Literal["top", "full"] | None),
    _keyword("logger", True, Any),
    _keyword("profiler", None, Any),
    _keyword("auto_scale_batch_size", False, bool | Literal["power", "binsearch"]),
    _keyword("track_grad_norm", -1, int | float | Literal["inf"]),
    inspect.Parameter("older_names", inspect.Parameter.VAR_KEYWORD, annotation=Any),
])


def _parse(*argv: str) -> Namespace:
    return Stand.add_argparse_args(ArgumentParser()).parse_args(list(argv))


def _error(capsys: pytest.CaptureFixture[str], *argv: str) -> str:
    with pytest.raises(SystemExit):
        _parse(*argv)
    return capsys.readouterr().err


# reading the signature
def test_default_attributes_are_the_defaults_of_init() -> None:
    defaults = Stand.default_attributes()
    assert defaults == {
        "max_epochs": 1000, "gpus": None, "fast_dev_run": False, "val_check_interval": 1.0,
        "default_root_dir": None, "logger": True, "auto_lr_find": False,
        "weights_summary": "top", "early_stop_callback": False, "callbacks": None,
        "gradient_clip_val": 0, "use_amp": None}
    assert "unused" not in defaults and "self" not in defaults


def test_types_are_the_members_of_each_union_form() -> None:
    types = {name: (kinds, default) for name, kinds, default
             in Stand.get_init_arguments_and_types()}
    none = type(None)
    assert types["max_epochs"] == ((int,), 1000)
    assert types["gpus"] == ((int, str, list[int], none), None)  # X | Y
    assert types["auto_lr_find"] == ((bool, str), False)  # typing.Union
    assert types["weights_summary"] == ((str, none), "top")  # typing.Optional
    assert types["val_check_interval"] == ((float, int), 1.0)
    assert types["fast_dev_run"] == ((bool,), False)


def test_a_name_imported_only_for_type_checking_still_leaves_the_bool() -> None:
    kinds = dict((name, kinds) for name, kinds, _ in Stand.get_init_arguments_and_types())
    assert bool in kinds["logger"] and len(kinds["logger"]) == 2
    assert kinds["logger"][0].__name__ == "LightningLoggerBase"  # a placeholder class
    assert _parse("--logger", "false").logger is False


def test_an_unannotated_argument_has_no_type() -> None:
    class Bare(TrainerArgparse):
        def __init__(self, legacy=None, epochs: int = 1) -> None:
            ...

    assert Bare.get_init_arguments_and_types() == [
        ("legacy", (inspect.Parameter.empty,), None), ("epochs", (int,), 1)]
    assert vars(Bare.add_argparse_args(ArgumentParser()).parse_args([])) == {"epochs": 1}


def test_deprecated_names_come_from_the_attribute_and_any_DEPRECATED_list() -> None:
    assert Stand.get_deprecated_arg_names() == ["use_amp"]
    assert WithLegacyList.get_deprecated_arg_names() == [
        "gradient_clip_val", "training_tqdm_dict", "use_amp"]
    assert TrainerArgparse.get_deprecated_arg_names() == []


# the parser
def test_every_plain_argument_gets_an_option_with_its_default() -> None:
    parent = ArgumentParser(add_help=False)
    parent.add_argument("--my_data", default="data/")
    parser = Stand.add_argparse_args(parent)
    assert parser is not parent
    assert vars(parser.parse_args([])) == {
        "my_data": "data/", "max_epochs": 1000, "gpus": None, "fast_dev_run": False,
        "val_check_interval": 1.0, "default_root_dir": None, "logger": True,
        "auto_lr_find": False, "weights_summary": "top", "early_stop_callback": False,
        "gradient_clip_val": 0}  # no callbacks (a list), no use_amp (deprecated), no unused


def test_left_out_arguments_are_not_options(capsys: pytest.CaptureFixture[str]) -> None:
    assert "unrecognized arguments: --use_amp" in _error(capsys, "--use_amp")
    assert "unrecognized arguments: --callbacks" in _error(capsys, "--callbacks", "x")
    parser = WithLegacyList.add_argparse_args(ArgumentParser())
    assert "gradient_clip_val" not in vars(parser.parse_args([]))


@pytest.mark.parametrize(("argv", "expected"), [
    ((), False), (("--fast_dev_run",), True), (("--fast_dev_run", "True"), True),
    (("--fast_dev_run", "false"), False), (("--fast_dev_run", "0"), False),
    (("--fast_dev_run", "yes"), True),
])
def test_a_bool_is_a_flag_or_takes_a_truth_value(argv: tuple[str, ...], expected: bool) -> None:
    assert _parse(*argv).fast_dev_run is expected


def test_a_bool_rejects_other_words(capsys: pytest.CaptureFixture[str]) -> None:
    err = _error(capsys, "--fast_dev_run", "maybe")
    assert "argument --fast_dev_run: expected a truth value (true/false); got 'maybe'" in err


@pytest.mark.parametrize(("text", "expected"), [
    ("0,2", "0,2"), ("2", 2), ("-1", -1), ("0", 0), ("1,", "1,"), ("None", None)])
def test_gpus_is_a_count_or_a_list_of_indices(text: str, expected: Any) -> None:
    assert _parse("--gpus", text).gpus == expected


def test_gpus_rejects_other_text(capsys: pytest.CaptureFixture[str]) -> None:
    err = _error(capsys, "--gpus", "two")
    assert "argument --gpus: expected a count like 2 (-1: all), indices like 0,2 or None; " \
           "got 'two'" in err


def test_numbers_are_parsed_by_the_annotation(capsys: pytest.CaptureFixture[str]) -> None:
    assert _parse("--max_epochs", "5").max_epochs == 5
    interval = _parse("--val_check_interval", "100").val_check_interval
    assert interval == 100 and isinstance(interval, int)  # an int for float | int: batches
    assert _parse("--val_check_interval", "0.25").val_check_interval == 0.25
    clip = _parse("--gradient_clip_val", "1").gradient_clip_val
    assert clip == 1.0 and isinstance(clip, float)
    assert "argument --max_epochs: expected int; got '5.5'" in _error(
        capsys, "--max_epochs", "5.5")


def test_none_is_a_value_only_where_the_argument_may_be_none(
        capsys: pytest.CaptureFixture[str]) -> None:
    assert _parse("--default_root_dir", "None").default_root_dir is None
    assert _parse("--default_root_dir", "runs/a").default_root_dir == "runs/a"
    assert _parse("--weights_summary", "None").weights_summary is None
    assert _parse("--early_stop_callback", "None").early_stop_callback is None
    assert "expected int; got 'None'" in _error(capsys, "--max_epochs", "None")


def test_a_bool_or_str_argument_takes_a_flag_a_truth_value_or_a_name() -> None:
    assert _parse("--auto_lr_find").auto_lr_find is True
    assert _parse("--auto_lr_find", "false").auto_lr_find is False
    assert _parse("--auto_lr_find", "my_lr").auto_lr_find == "my_lr"


def test_help_names_each_type_and_default() -> None:
    text = " ".join(Stand.add_argparse_args(ArgumentParser()).format_help().split())
    assert "--max_epochs MAX_EPOCHS int (default: 1000)" in text
    assert "--gpus GPUS int | str | list[int] | None (default: None)" in text
    assert "--fast_dev_run [FAST_DEV_RUN] bool (default: False)" in text
    assert "--weights_summary WEIGHTS_SUMMARY str | None (default: 'top')" in text


# a signature set on __init__, as the Trainer's
def _signed(*argv: str) -> Namespace:
    return SignedStand.add_argparse_args(ArgumentParser()).parse_args(list(argv))


def test_a_signature_set_on_init_is_read() -> None:
    assert SignedStand.get_init_arguments_and_types() == [
        ("precision", (Literal[32, 16, "bf16"],), 32),
        ("weights_summary", (Literal["top", "full"], type(None)), "top"),
        ("logger", (Any,), True), ("profiler", (Any,), None),
        ("auto_scale_batch_size", (bool, Literal["power", "binsearch"]), False),
        ("track_grad_norm", (int, float, Literal["inf"]), -1)]
    assert vars(_signed()) == {"precision": 32, "weights_summary": "top", "logger": True,
                               "auto_scale_batch_size": False, "track_grad_norm": -1}


def test_literal_values_are_the_choices(capsys: pytest.CaptureFixture[str]) -> None:
    assert _signed("--precision", "16").precision == 16
    assert _signed("--precision", "bf16").precision == "bf16"
    assert _signed("--weights_summary", "None").weights_summary is None
    with pytest.raises(SystemExit):
        _signed("--precision", "8")
    assert "argument --precision: invalid choice: 8 (choose from 32, 16, 'bf16')" in \
        capsys.readouterr().err


def test_a_literal_value_is_taken_before_a_number_or_a_truth_value() -> None:
    assert _signed("--track_grad_norm", "inf").track_grad_norm == "inf"
    assert _signed("--track_grad_norm", "2").track_grad_norm == 2
    assert _signed("--auto_scale_batch_size").auto_scale_batch_size is True
    assert _signed("--auto_scale_batch_size", "binsearch").auto_scale_batch_size == "binsearch"
    assert _signed("--auto_scale_batch_size", "no").auto_scale_batch_size is False


def test_any_takes_the_type_of_a_plain_default() -> None:
    assert _signed("--logger", "false").logger is False
    assert "profiler" not in vars(_signed())  # Any with None: no type to parse by


def test_from_argparse_args_with_a_set_signature() -> None:
    signed = SignedStand.from_argparse_args(_signed("--precision", "16"), profiler=True)
    assert signed.given == {"precision": 16, "weights_summary": "top", "logger": True,
                            "auto_scale_batch_size": False, "track_grad_norm": -1,
                            "profiler": True}


def test_help_spells_literals_and_leaves_out_strictness_markers() -> None:
    text = " ".join(SignedStand.add_argparse_args(ArgumentParser()).format_help().split())
    assert "--precision {32,16,bf16} 32 | 16 | 'bf16' (default: 32)" in text
    assert "'top' | 'full' | None (default: 'top')" in text


# reading the command line back
def test_parse_argparser_turns_a_bare_flag_left_none_into_true(
        monkeypatch: pytest.MonkeyPatch) -> None:
    parsed = Stand.parse_argparser(Namespace(fast_dev_run=None, early_stop_callback=None,
                                             my_own=None))
    # a bool flag (a parser built with nargs='?' and no const); None stays where it is valid
    assert vars(parsed) == {"fast_dev_run": True, "early_stop_callback": None, "my_own": None}
    monkeypatch.setattr(sys, "argv", ["train.py", "--max_epochs", "7", "--fast_dev_run"])
    parsed = Stand.parse_argparser(Stand.add_argparse_args(ArgumentParser()))
    assert parsed.max_epochs == 7 and parsed.fast_dev_run is True


def test_from_argparse_args_passes_the_init_arguments_and_the_overrides() -> None:
    parent = ArgumentParser(add_help=False)
    parent.add_argument("--learning_rate", type=float, default=0.1)
    args = Stand.add_argparse_args(parent).parse_args(["--max_epochs", "3", "--gpus", "0,1"])
    stand = Stand.from_argparse_args(args, max_epochs=5, callbacks=["cb"])
    assert stand.unused == {}  # learning_rate is the script's own: not passed
    assert stand.given["max_epochs"] == 5 and stand.given["gpus"] == "0,1"
    assert stand.given["callbacks"] == ["cb"] and stand.given["use_amp"] is None


def test_from_argparse_args_parses_sys_argv_from_a_parser(
        monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(sys, "argv", ["train.py", "--fast_dev_run", "--weights_summary", "None"])
    stand = Stand.from_argparse_args(Stand.add_argparse_args(ArgumentParser()))
    assert stand.given["fast_dev_run"] is True and stand.given["weights_summary"] is None


@pytest.mark.parametrize(("text", "expected"), [
    ("YES", True), ("t", True), ("On", True), ("1", True), ("no", False), ("F", False),
    ("off", False), ("0", False)])
def test_str_to_bool(text: str, expected: bool) -> None:
    assert str_to_bool(text) is expected


def test_str_to_bool_rejects_other_words() -> None:
    with pytest.raises(ValueError, match="'maybe' is not a truth value: use one of y, yes"):
        str_to_bool("maybe")


# the Trainer itself (its explicit signature lands separately)


def test_trainer_reads_its_0_8_5_arguments() -> None:
    types = {name: (kinds, default) for name, kinds, default
             in pl.Trainer.get_init_arguments_and_types()}
    assert types["max_epochs"] == ((int,), 1000)
    assert types["fast_dev_run"] == ((bool,), False)
    assert {int, str, type(None)} <= set(types["gpus"][0])
    assert types["weights_summary"][1] == "top" and types["precision"][1] == 32
    assert pl.Trainer.default_attributes()["row_log_interval"] == 50
    assert {"auto_lr_find", "auto_scale_batch_size"} <= set(types)


def test_trainer_leaves_its_deprecated_arguments_off_the_command_line() -> None:
    deprecated = set(pl.Trainer.get_deprecated_arg_names())
    assert {"use_amp", "show_progress_bar", "num_tpu_cores"} <= deprecated
    options = vars(pl.Trainer.add_argparse_args(ArgumentParser()).parse_args([]))
    assert not deprecated & set(options)
    assert {"max_epochs", "gpus", "fast_dev_run", "auto_lr_find"} <= set(options)
    assert "callbacks" not in options and "logger" in options


def test_trainer_from_the_command_line(tmp_path: Any) -> None:
    parser = pl.Trainer.add_argparse_args(ArgumentParser())
    args = pl.Trainer.parse_argparser(parser.parse_args(
        ["--max_epochs", "2", "--fast_dev_run", "--gpus", "0", "--weights_summary", "None",
         "--progress_bar_refresh_rate", "0", "--val_check_interval", "0.5",
         "--default_root_dir", str(tmp_path)]))
    trainer = pl.Trainer.from_argparse_args(args, logger=False)
    assert (trainer.max_epochs, trainer.fast_dev_run, trainer.weights_summary) == (2, True, None)
    assert trainer.val_check_interval == 0.5 and trainer.logger is None
    trainer.fit(BoringModel())
    assert trainer.global_step == 1  # fast_dev_run: one batch


def test_trainer_defaults_from_an_empty_command_line(tmp_path: Any) -> None:
    args = pl.Trainer.add_argparse_args(ArgumentParser()).parse_args([])
    trainer = pl.Trainer.from_argparse_args(args, default_root_dir=str(tmp_path))
    for name in ("max_epochs", "min_epochs", "gpus", "precision", "row_log_interval",
                 "val_check_interval", "num_sanity_val_steps"):
        assert getattr(trainer, name) == pl.Trainer.default_attributes()[name], name


@pytest.mark.parametrize(("argv", "parsed", "profiler"), [
    ([], None, "PassThroughProfiler"),
    (["--profiler"], True, "SimpleProfiler"),
    (["--profiler", "false"], False, "PassThroughProfiler"),
])
def test_trainer_profiler_is_a_flag(argv: list[str], parsed: Any, profiler: str) -> None:
    """0.8.5's ``--profiler``: a bare flag gives a SimpleProfiler, absent none."""
    parser = pl.Trainer.add_argparse_args(ArgumentParser())
    args = pl.Trainer.parse_argparser(parser.parse_args(argv))
    assert args.profiler is parsed
    assert type(pl.Trainer.from_argparse_args(args).profiler).__name__ == profiler


def test_trainer_leaves_the_pre_0_8_names_off_the_command_line() -> None:
    options = vars(pl.Trainer.add_argparse_args(ArgumentParser()).parse_args([]))
    assert not {"gradient_clip", "nb_gpu_nodes", "max_nb_epochs", "default_save_path"} \
        & set(options)


def test_trainer_takes_0_8_5s_deprecated_options_from_the_command_line() -> None:
    parser = pl.Trainer.add_argparse_args(ArgumentParser())
    args = parser.parse_args(["--print_nan_grads", "--val_percent_check", "0.5"])
    assert (args.print_nan_grads, args.val_percent_check, args.train_percent_check) == (
        True, 0.5, None)
    with pytest.warns(DeprecationWarning, match="val_percent_check"):
        trainer = pl.Trainer.from_argparse_args(args)
    assert trainer.limit_val_batches == 0.5
