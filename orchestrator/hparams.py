"""Hyperparameters: the ``AttributeDict`` they live in, gathering them from an ``__init__``, and
their YAML and CSV files."""

from __future__ import annotations

import ast
import csv
import inspect
import os
from argparse import Namespace
from collections.abc import Mapping, MutableMapping
from pathlib import Path
from types import FrameType
from typing import Any

import yaml
from loguru import logger

from schemas.errors import HyperparametersError

__all__ = ["ALLOWED_CONFIG_TYPES", "PRIMITIVE_TYPES", "AttributeDict", "as_hparams",
           "clean_namespace", "collect_init_args", "convert", "init_args",
           "load_hparams_from_tags_csv", "load_hparams_from_yaml", "plain_hparams",
           "save_hparams_to_tags_csv", "save_hparams_to_yaml", "str_to_bool", "update_hparams"]

PRIMITIVE_TYPES = (bool, int, float, str)
ALLOWED_CONFIG_TYPES = (MutableMapping, Namespace)
_NOT_HPARAMS = ("self", "frame", "frame_args", "__class__")
_TRUE = ("y", "yes", "t", "true", "on", "1")
_FALSE = ("n", "no", "f", "false", "off", "0")


class AttributeDict(dict):  # type: ignore[type-arg]
    """A dict whose keys are also attributes: ``hparams.lr`` is ``hparams['lr']``.

    Example:
        >>> hparams = AttributeDict(lr=0.1)
        >>> hparams.batch_size = 32
        >>> hparams
        "batch_size": 32
        "lr":         0.1
    """

    def __getattr__(self, key: str) -> Any:
        try:
            return self[key]
        except KeyError:
            raise AttributeError(f'Missing attribute "{key}"') from None

    def __setattr__(self, key: str, value: Any) -> None:
        self[key] = value

    def __delattr__(self, key: str) -> None:
        try:
            del self[key]
        except KeyError:
            raise AttributeError(f'Missing attribute "{key}"') from None

    def __repr__(self) -> str:
        if not self:
            return ""
        width = max(len(str(key)) for key in self) + 3
        rows = [(f'"{key}":', self[key]) for key in sorted(self, key=str)]
        return "\n".join(f"{name:<{width}} {value}" for name, value in rows)


def as_hparams(value: Any, owner: str = "hparams") -> AttributeDict:
    """``value`` (a dict, a Namespace) as an AttributeDict of its items.

    Raises:
        HyperparametersError: a number or string, or any other object (``owner`` names what
            was being set in the message).
    """
    if isinstance(value, Namespace):
        value = vars(value)
    if isinstance(value, Mapping):
        return AttributeDict(value)
    raise HyperparametersError(
        f"{owner} must be an argparse.Namespace or a dict, got {type(value).__name__} "
        f"{value!r:.60}; pass your hyperparameters as a dict or Namespace, or call "
        "self.save_hyperparameters() in __init__ to take them from its arguments"
    )


def init_args(frame: FrameType) -> dict[str, Any]:
    """The arguments an ``__init__`` received (from its frame): its named parameters with their
    values now, ``**kwargs`` merged in, without ``self`` and ``*args``."""
    code = frame.f_code
    names = code.co_varnames[:code.co_argcount + code.co_kwonlyargcount]
    values = frame.f_locals
    found = {name: values[name] for name in names if name in values and name not in _NOT_HPARAMS}
    flags = code.co_flags
    position = code.co_argcount + code.co_kwonlyargcount
    if flags & inspect.CO_VARARGS:
        position += 1  # the *args name: its values are not hyperparameters
    if flags & inspect.CO_VARKEYWORDS:
        extra = values.get(code.co_varnames[position], {})
        found.update(extra if isinstance(extra, Mapping) else {})
    return found


def collect_init_args(frame: FrameType | None, path_args: list[dict[str, Any]],
                      inside: bool = False) -> list[dict[str, Any]]:
    """The arguments of each ``__init__`` in the ``super().__init__()`` chain that ``frame`` is
    in (or is called from), appended to ``path_args``: the innermost (most generic class) first,
    the most specific class last. A frame is in the chain when it holds ``__class__`` (its
    function calls ``super()``); ``inside`` says the walk has already entered the chain.

    Example:
        >>> collect_init_args(inspect.currentframe(), [])  # in a subclass's __init__
        [{'lr': 0.1}, {'lr': 0.1, 'layers': 2}]
    """
    while frame is not None:
        if "__class__" in frame.f_locals:
            path_args.append(init_args(frame))
            inside = True
        elif inside:
            break
        frame = frame.f_back
    return path_args


def str_to_bool(value: str) -> bool:
    """A truth value spelt as a string (``'yes'``, ``'False'``, ``'1'``, ...), e.g. as an
    argparse ``type``.

    Raises:
        HyperparametersError: ``value`` is not one of y, yes, t, true, on, 1, n, no, f, false,
            off, 0 (in any case).

    Example:
        >>> str_to_bool("YES"), str_to_bool("off")
        (True, False)
    """
    folded = str(value).strip().lower()
    if folded in _TRUE or folded in _FALSE:
        return folded in _TRUE
    raise HyperparametersError(
        f"str_to_bool({value!r}): not a truth value; use one of {', '.join(_TRUE)} "
        f"or {', '.join(_FALSE)}"
    )


def clean_namespace(hparams: Any) -> None:
    """Remove the callable values (functions, classes) from a Namespace or dict in place, so
    that it can be pickled and saved."""
    items = vars(hparams) if isinstance(hparams, Namespace) else hparams
    if isinstance(items, MutableMapping):
        for key in [key for key, value in items.items() if callable(value)]:
            del items[key]


def update_hparams(hparams: MutableMapping[str, Any], updates: Mapping[str, Any]) -> None:
    """Update ``hparams`` in place, nested dicts key by key."""
    for key, value in updates.items():
        current = hparams.get(key)
        if isinstance(current, MutableMapping) and isinstance(value, Mapping):
            update_hparams(current, value)
        else:
            hparams[key] = value


def convert(value: str) -> Any:
    """A CSV cell as the Python literal it spells (``'0.1'`` -> 0.1), or the string itself."""
    try:
        return ast.literal_eval(value)
    except (ValueError, SyntaxError):
        return value


def load_hparams_from_yaml(path: str | os.PathLike[str]) -> dict[str, Any]:
    """The hyperparameters in a YAML file ({} with a warning when it does not exist)."""
    file = Path(path)
    if not file.is_file():
        logger.warning("no hyperparameters file at {p}: using none", p=str(file))
        return {}
    loaded = yaml.safe_load(file.read_text())
    return dict(loaded) if loaded else {}


def save_hparams_to_yaml(path: str | os.PathLike[str], hparams: Any) -> None:
    """Write ``hparams`` (a dict, Namespace or AttributeDict) to a YAML file."""
    file = Path(path)
    if not file.parent.is_dir():
        raise HyperparametersError(
            f"cannot save hyperparameters to {str(file)!r}: the folder {str(file.parent)!r} "
            "does not exist"
        )
    file.write_text(yaml.safe_dump(plain_hparams(hparams) or {}, sort_keys=False))


def load_hparams_from_tags_csv(path: str | os.PathLike[str]) -> dict[str, Any]:
    """The hyperparameters of a ``key,value`` CSV file ({} with a warning when it is missing)."""
    file = Path(path)
    if not file.is_file():
        logger.warning("no hyperparameters file at {p}: using none", p=str(file))
        return {}
    with file.open(newline="") as handle:
        rows = list(csv.reader(handle))
    return {row[0]: convert(row[1]) for row in rows[1:] if len(row) >= 2}


def save_hparams_to_tags_csv(path: str | os.PathLike[str], hparams: Any) -> None:
    """Write ``hparams`` to a ``key,value`` CSV file."""
    file = Path(path)
    if not file.parent.is_dir():
        raise HyperparametersError(
            f"cannot save hyperparameters to {str(file)!r}: the folder {str(file.parent)!r} "
            "does not exist"
        )
    plain = vars(hparams) if isinstance(hparams, Namespace) else dict(hparams)
    with file.open("w", newline="") as handle:
        writer = csv.writer(handle)
        writer.writerow(["key", "value"])
        writer.writerows((key, value) for key, value in plain.items())


def plain_hparams(hparams: Any) -> dict[str, Any] | None:
    """Hyperparameters as plain data (for checkpoints and files; None when there are none):
    containers as plain ones, values of other types as their repr."""
    if not hparams:
        return None
    values = vars(hparams) if isinstance(hparams, Namespace) else dict(hparams)
    return {str(k): _plain(v) for k, v in values.items()}


def _plain(value: Any) -> Any:
    if value is None or isinstance(value, PRIMITIVE_TYPES):
        return value
    if isinstance(value, Namespace):
        value = vars(value)
    if isinstance(value, Mapping):
        return {str(k): _plain(v) for k, v in value.items()}
    if isinstance(value, list | tuple):
        return [_plain(v) for v in value]
    logger.debug("hparam of type {t} stored as its repr", t=type(value).__name__)
    return repr(value)
