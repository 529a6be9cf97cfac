"""orchestrator: an explicit state-machine training orchestrator with Lightning's API.

``import orchestrator as pl`` gives the names seed-era Lightning code uses, and the exceptions
(``pl.ConfigError``, ...; see ``orchestrator.exceptions``).
"""

import importlib
from typing import Any

from orchestrator import callbacks, exceptions, loggers
from orchestrator.callbacks import Callback
from orchestrator.exceptions import *  # noqa: F403 - every exception, as exceptions.__all__
from orchestrator.module import LightningModule
from orchestrator.seed import seed_everything
from orchestrator.trainer import Trainer
from orchestrator.version import __version__

__all__ = ["Callback", "LightningModule", "Trainer", "__version__", "callbacks", "exceptions",  # noqa: F405
           "loggers", "metrics", "profiler", "seed_everything", *exceptions.__all__]  # noqa: F405

_LAZY = ("metrics", "profiler")  # imported on first use: torchmetrics takes about 1.6 s


def __getattr__(name: str) -> Any:
    if name in _LAZY:
        return importlib.import_module(f"orchestrator.{name}")
    raise AttributeError(f"module 'orchestrator' has no attribute {name!r}")
