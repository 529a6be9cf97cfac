"""orchestrator: an explicit state-machine training orchestrator with Lightning's API.

``import orchestrator as pl`` gives the names seed-era Lightning code uses, and the exceptions
(``pl.ConfigError``, ...; see ``orchestrator.exceptions``). Lightning 0.8's module paths work
with ``orchestrator`` for ``pytorch_lightning`` (``orchestrator.core.lightning``,
``orchestrator.utilities.seed``, ...), and ``from orchestrator import _logger as log`` gives the
standard-library logger that 0.8-era scripts log to.
"""

import importlib
from typing import Any

from orchestrator import callbacks, exceptions, loggers
from orchestrator.callbacks import Callback
from orchestrator.decorators import data_loader
from orchestrator.exceptions import *  # noqa: F403 - every exception, as exceptions.__all__
from orchestrator.module import LightningModule
from orchestrator.rank_zero import std_logger as _logger  # noqa: F401 - 0.8 scripts import it
from orchestrator.seed import seed_everything
from orchestrator.trainer import Trainer
from orchestrator.version import __version__

__all__ = ["Callback", "LightningModule", "Trainer", "__version__", "callbacks", "core",  # noqa: F405
           "data_loader", "exceptions", "loggers", "metrics", "profiler", "seed_everything",
           "utilities", *exceptions.__all__]  # noqa: F405

# imported on first use: torchmetrics takes about 1.6 s; core and utilities are only aliases
_LAZY = ("core", "metrics", "profiler", "utilities")


def __getattr__(name: str) -> Any:
    if name in _LAZY:
        return importlib.import_module(f"orchestrator.{name}")
    raise AttributeError(f"module 'orchestrator' has no attribute {name!r}")
