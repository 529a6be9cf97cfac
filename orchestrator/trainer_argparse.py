"""The Trainer's command-line class methods (0.8.5's ``add_argparse_args`` and its kin), read
from the signature of ``__init__``."""

from __future__ import annotations

import builtins
import inspect
import types
import typing
from argparse import ArgumentParser, ArgumentTypeError, Namespace
from collections.abc import Callable
from typing import Any, Literal

__all__ = ["TrainerArgparse", "str_to_bool"]

_TRUE = ("y", "yes", "t", "true", "on", "1")
_FALSE = ("n", "no", "f", "false", "off", "0")
_SCALARS = (str, float, int, bool)  # the types an option can be given as (others are skipped)
_SKIPPED = ("kwargs",)  # never options, whatever their type
_DEVICE_LISTS = ("gpus", "tpu_cores")  # a count like 2, or indices like "0,2"


def str_to_bool(value: str) -> bool:
    """``'yes'``, ``'true'``, ``'t'``, ``'y'``, ``'on'``, ``'1'`` (any case) are True; their
    opposites False.

    Raises:
        ValueError: any other string.

    Example:
        >>> str_to_bool("False")
        False
    """
    lowered = value.strip().lower()
    if lowered in _TRUE:
        return True
    if lowered in _FALSE:
        return False
    raise ValueError(f"{value!r} is not a truth value: use one of {', '.join(_TRUE + _FALSE)}")


class TrainerArgparse:
    """Class methods that build and read command lines from the Trainer's ``__init__``
    signature: one ``--name`` option per argument of a plain type (str, int, float, bool).

    A subclass lists its deprecated arguments in ``deprecated_arg_names``; they get no option.

    Example:
        >>> parser = Trainer.add_argparse_args(ArgumentParser())
        >>> args = parser.parse_args(["--max_epochs", "3", "--gpus", "0,2"])
        >>> trainer = Trainer.from_argparse_args(args, logger=False)
    """

    deprecated_arg_names: tuple[str, ...] = ()

    @classmethod
    def default_attributes(cls) -> dict[str, Any]:
        """Each ``__init__`` argument and its default (``inspect.Parameter.empty`` if none)."""
        return {p.name: p.default for p in _init_parameters(cls)}

    @classmethod
    def get_init_arguments_and_types(cls) -> list[tuple[str, tuple[Any, ...], Any]]:
        """``(name, types, default)`` of each ``__init__`` argument: the members of a union
        annotation (``int | None`` gives ``(int, NoneType)``), else ``(annotation,)``
        (``(inspect.Parameter.empty,)`` for an argument without one)."""
        names = _Names(getattr(cls.__init__, "__globals__", {}))
        return [(p.name, _members(_evaluated(p.annotation, names)), p.default)
                for p in _init_parameters(cls)]

    @classmethod
    def get_deprecated_arg_names(cls) -> list[str]:
        """The deprecated arguments: ``deprecated_arg_names`` and any ``DEPRECATED*`` tuple
        or list attribute (0.8.5's ``DEPRECATED_IN_0_9``) of the class or its bases."""
        names: list[str] = []
        for klass in cls.__mro__:
            for attr, value in vars(klass).items():
                if attr == "deprecated_arg_names" or (attr.startswith("DEPRECATED")
                                                      and isinstance(value, tuple | list)):
                    names += [name for name in value if name not in names]
        return names

    @classmethod
    def add_argparse_args(cls, parent_parser: ArgumentParser) -> ArgumentParser:
        """A new parser with ``parent_parser``'s options and one ``--name`` per argument.

        Bool arguments take ``--flag`` (True), ``--flag true`` or ``--flag 0``; ``gpus`` and
        ``tpu_cores`` take a count (``2``) or indices (``0,2``); an argument that may be None
        takes ``None``. Arguments of other types (callbacks, loggers) and deprecated ones are
        left out.

        Example:
            >>> parser = Trainer.add_argparse_args(ArgumentParser(add_help=False))
            >>> parser.parse_args(["--fast_dev_run"]).fast_dev_run
            True
        """
        parser = ArgumentParser(parents=[parent_parser], add_help=False)
        skipped = set(cls.get_deprecated_arg_names()) | set(_SKIPPED)
        for name, arg_types, default in cls.get_init_arguments_and_types():
            if name in skipped:
                continue
            option = _option(name, arg_types, default)
            if option is not None:
                parser.add_argument(f"--{name}", dest=name, **option)
        return parser

    @classmethod
    def parse_argparser(cls, arg_parser: ArgumentParser | Namespace) -> Namespace:
        """Parse the command line (``sys.argv``) with ``arg_parser``, or take a parsed
        Namespace; a bool argument left None by a bare ``--flag`` becomes True."""
        args = arg_parser.parse_args() if isinstance(arg_parser, ArgumentParser) else arg_parser
        flags = {name for name, arg_types, default in cls.get_init_arguments_and_types()
                 if bool in arg_types and type(None) not in arg_types
                 and isinstance(default, bool)}
        return Namespace(**{name: True if value is None and name in flags else value
                            for name, value in vars(args).items()})

    @classmethod
    def from_argparse_args(cls, args: Namespace | ArgumentParser, **kwargs: Any) -> Any:
        """An instance from the parsed command line: the values of ``args`` that ``__init__``
        takes (others, the script's own, are left out), then ``kwargs`` over them.

        Args:
            args: a parsed Namespace, or a parser to parse ``sys.argv`` with.
            **kwargs: arguments that replace those of ``args``.

        Example:
            >>> trainer = Trainer.from_argparse_args(args, max_epochs=5)
        """
        if isinstance(args, ArgumentParser):
            args = cls.parse_argparser(args)
        given = vars(args)
        params = {p.name: given[p.name] for p in _init_parameters(cls) if p.name in given}
        params.update(kwargs)
        return cls(**params)


def _init_parameters(cls: type[TrainerArgparse]) -> list[inspect.Parameter]:
    """The named arguments of ``cls.__init__`` (no ``self``, ``*args`` or ``**kwargs``)."""
    parameters = list(inspect.signature(cls.__init__).parameters.values())[1:]
    return [p for p in parameters if p.kind not in (p.VAR_POSITIONAL, p.VAR_KEYWORD)]


def _members(annotation: Any) -> tuple[Any, ...]:
    """The types of a union (``typing.Union`` or ``X | Y``), else the annotation alone."""
    if typing.get_origin(annotation) in (typing.Union, types.UnionType):
        return typing.get_args(annotation)
    return (annotation,)


def _evaluated(annotation: Any, names: _Names) -> Any:
    """An annotation as an object. Under ``from __future__ import annotations`` it is text,
    evaluated with ``names``: a name that the module of ``__init__`` does not define at run
    time (an import under ``TYPE_CHECKING``) stands as a placeholder class, so that
    ``Logger | bool`` still gives bool. A signature set on ``__init__`` (``__signature__``)
    holds objects already."""
    if not isinstance(annotation, str):
        return annotation
    try:
        return eval(annotation, {}, names)
    except Exception:  # an expression beyond names: keep the text
        return annotation


class _Unresolved(type):
    """The type of placeholder classes: subscripting or attributes give placeholders too."""

    def __getitem__(cls, item: Any) -> Any:
        return cls

    def __getattr__(cls, name: str) -> Any:
        if name.startswith("__"):
            raise AttributeError(name)
        return _Unresolved(name, (), {})


class _Names(dict[str, Any]):
    """Names for ``eval``: the module's, the builtins, then a placeholder for any other."""

    def __init__(self, module_globals: dict[str, Any]) -> None:
        super().__init__()
        self.module_globals = module_globals

    def __missing__(self, key: str) -> Any:
        if key in self.module_globals:
            return self.module_globals[key]
        if hasattr(builtins, key):
            return getattr(builtins, key)
        return _Unresolved(key, (), {})


def _option(name: str, arg_types: tuple[Any, ...], default: Any) -> dict[str, Any] | None:
    """``add_argument`` keywords for an argument, or None when no plain type fits it.

    A ``Literal`` counts as the types of its values (and its values are the choices when
    nothing else is allowed); ``Any`` as the type of a plain default (``logger: Any = True``
    is a bool).
    """
    literals = [value for kind in arg_types if typing.get_origin(kind) is Literal
                for value in typing.get_args(kind)]
    kinds = {*arg_types, *(type(value) for value in literals)}
    if Any in arg_types and isinstance(default, _SCALARS):
        kinds.add(type(default))
    plain = tuple(t for t in _SCALARS if t in kinds)
    if not plain:
        return None
    optional = type(None) in arg_types
    option: dict[str, Any] = {"default": default, "help": _help(arg_types, default)}
    if name in _DEVICE_LISTS:
        option["type"] = _device_list_parser(name, optional)
    else:
        option["type"] = _value_parser(plain, literals, optional)
    if literals and all(typing.get_origin(t) is Literal or t in (bool, type(None))
                        for t in arg_types):
        option["choices"] = literals + [True, False] * (bool in arg_types) + [None] * optional
    if bool in plain:
        option.update(nargs="?", const=True)
    return option


def _help(arg_types: tuple[Any, ...], default: Any) -> str:
    names = " | ".join(_type_name(t) for t in arg_types)
    return f"{names} (default: {default!r})".replace("%", "%%")


def _type_name(kind: Any) -> str:
    """A type as the help shows it: ``int | None``, ``list[int]``, ``'top' | 'full'``."""
    origin, args = typing.get_origin(kind), typing.get_args(kind)
    if kind is type(None):
        return "None"
    if origin is typing.Annotated:  # pydantic's strictness markers say nothing to a user
        return _type_name(args[0])
    if origin is Literal:
        return " | ".join(repr(value) for value in args)
    if origin in (typing.Union, types.UnionType):
        return " | ".join(_type_name(arg) for arg in args)
    if origin is not None and args:
        name = getattr(origin, "__name__", str(origin))
        return f"{name}[{', '.join(_type_name(arg) for arg in args)}]"
    if isinstance(kind, type):
        return kind.__name__
    return str(kind).replace("typing.", "")


def _value_parser(plain: tuple[type, ...], literals: list[Any],
                  optional: bool) -> Callable[[str], Any]:
    """Parse a value: a ``Literal`` value it spells, else the first of int, float, a truth
    value, str that ``plain`` allows (so ``1`` is an int for ``int | float`` and ``power`` a
    string for ``bool | str``)."""
    order = [t for t in (int, float, bool, str) if t in plain]
    accepted = " or ".join("a truth value (true/false)" if t is bool else t.__name__
                           for t in order) + (" or None" if optional else "")

    def parse(text: str) -> Any:
        if optional and text.strip() == "None":
            return None
        for value in literals:
            if str(value) == text:
                return value
        for kind in order:
            try:
                return str_to_bool(text) if kind is bool else kind(text)
            except ValueError:
                continue
        raise ArgumentTypeError(f"expected {accepted}; got {text!r}")

    parse.__name__ = "/".join(t.__name__ for t in order)
    return parse


def _device_list_parser(name: str, optional: bool) -> Callable[[str], Any]:
    """Parse ``gpus``/``tpu_cores``: ``2`` and ``-1`` are ints, ``0,2`` stays a string."""

    def parse(text: str) -> Any:
        text = text.strip()
        if optional and text == "None":
            return None
        if "," in text:
            return text
        try:
            return int(text)
        except ValueError:
            raise ArgumentTypeError(
                "expected a count like 2 (-1: all), indices like 0,2"
                f"{' or None' if optional else ''}; got {text!r}"
            ) from None

    parse.__name__ = name
    return parse
