"""Apply a function to every element of a type inside nested collections (0.8.5's
``utilities.apply_func.apply_to_collection``)."""

from __future__ import annotations

from collections.abc import Callable, Mapping
from typing import Any

__all__ = ["apply_to_collection"]


def apply_to_collection(data: Any, dtype: type | tuple[type, ...],
                        function: Callable[..., Any], *args: Any, **kwargs: Any) -> Any:
    """``data`` with ``function(element, *args, **kwargs)`` in place of every element of
    ``dtype``, found inside mappings, namedtuples, lists and tuples (each rebuilt as its own
    type); anything else, strings included, is left as it is.

    Example:
        >>> apply_to_collection({"a": [1, 2.5], "b": "text"}, (int, float), lambda x: x * 2)
        {'a': [2, 5.0], 'b': 'text'}
    """
    if isinstance(data, dtype):
        return function(data, *args, **kwargs)
    if isinstance(data, Mapping):
        applied = {key: apply_to_collection(value, dtype, function, *args, **kwargs)
                   for key, value in data.items()}
        return type(data)(applied)  # type: ignore[call-arg]
    if isinstance(data, tuple) and hasattr(data, "_fields"):  # a namedtuple
        return type(data)(*(apply_to_collection(v, dtype, function, *args, **kwargs)
                            for v in data))
    if isinstance(data, list | tuple):
        return type(data)([apply_to_collection(v, dtype, function, *args, **kwargs)
                           for v in data])
    return data
