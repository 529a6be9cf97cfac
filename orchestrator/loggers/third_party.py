"""Lightning 0.8's third-party loggers not built yet (W&B):
importable; making one raises an ImportError that says so, and what to use meanwhile."""

from __future__ import annotations

import importlib
from typing import Any, ClassVar

from orchestrator.loggers.base import LightningLoggerBase

__all__ = ["PendingLogger", "WandbLogger"]


class PendingLogger(LightningLoggerBase):
    """A logger whose backend is not built yet: making one (with any arguments) raises.

    Raises:
        ImportError: always; the message names the logger, its package and the extra it will
            come with, and whether the package is installed here.

    Example:
        >>> MLFlowLogger(experiment_name="default")  # doctest: +SKIP
        ImportError: MLFlowLogger needs the package 'mlflow', which is not installed here ...
    """

    package: ClassVar[str]  # the module the real logger is built on
    extra: ClassVar[str]  # pip install 'orchestrator[<extra>]' will bring it

    def __new__(cls, *args: Any, **kwargs: Any) -> PendingLogger:
        raise _not_built(cls)


def _not_built(cls: type[PendingLogger]) -> ImportError:
    name, package = cls.__name__, cls.package
    later = (f"the real {name} lands with `pip install 'orchestrator[{cls.extra}]'` in a later "
             "release; until then log with TensorBoardLogger (the default) or a "
             "LightningLoggerBase subclass of your own")
    try:
        importlib.import_module(package)
    except ImportError:
        return ImportError(f"{name} needs the package {package!r}, which is not installed "
                           f"here; {later}", name=package)
    return ImportError(f"{name} is not built yet in orchestrator (the package {package!r} is "
                       f"installed, but nothing logs to it); {later}", name=package)


class WandbLogger(PendingLogger):
    """Lightning 0.8's Weights & Biases logger (not built yet: making one raises ImportError)."""

    package = "wandb"
    extra = "wandb"
