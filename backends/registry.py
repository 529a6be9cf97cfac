"""Strategies by name: each ``distributed_backend`` choice and the builder that makes it.

A strategy module registers its names when imported (``backends/__init__`` imports them all);
``schemas.config`` lists the same names for validation, and a test keeps the two alike.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from backends.base import Backend
    from schemas.config import TrainerConfig

__all__ = ["Builder", "build_strategy", "register_strategy", "strategy_names",
           "strategy_summary"]

# (config, the GPU indices asked for) -> the strategy that runs it
Builder = Callable[["TrainerConfig", list[int]], "Backend"]

_BUILDERS: dict[str | None, tuple[Builder, str]] = {}


def register_strategy(name: str | None, summary: str) -> Callable[[Builder], Builder]:
    """Register the decorated builder as ``distributed_backend=name`` (None: no
    distributed_backend given); ``summary`` is its line in the docs."""
    def register(builder: Builder) -> Builder:
        if name in _BUILDERS:
            raise ValueError(f"strategy {name!r} is registered twice")
        _BUILDERS[name] = (builder, summary)
        return builder

    return register


def build_strategy(name: str | None, config: TrainerConfig, gpu_ids: list[int]) -> Backend:
    """The strategy registered as ``name``, built for ``config``."""
    return _BUILDERS[name][0](config, gpu_ids)


def strategy_names() -> tuple[str | None, ...]:
    """Every registered ``distributed_backend`` choice."""
    return tuple(_BUILDERS)


def strategy_summary(name: str | None) -> str:
    return _BUILDERS[name][1]
