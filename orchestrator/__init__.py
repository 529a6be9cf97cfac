"""orchestrator: an explicit state-machine training orchestrator with Lightning's API.

``import orchestrator as pl`` gives the names seed-era Lightning code uses.
"""

from orchestrator import callbacks, exceptions, loggers
from orchestrator.callbacks import Callback
from orchestrator.exceptions import (
    CheckpointError,
    ConfigError,
    HardwareUnavailableError,
    HookOutputError,
    MisconfigurationError,
    MonitorKeyError,
    NonFiniteLossError,
    OrchestratorError,
    RunInterrupted,
    WorkerFailedError,
)
from orchestrator.module import LightningModule
from orchestrator.seed import seed_everything
from orchestrator.trainer import Trainer
from orchestrator.version import __version__

__all__ = [
    "Callback",
    "CheckpointError",
    "ConfigError",
    "HardwareUnavailableError",
    "HookOutputError",
    "LightningModule",
    "MisconfigurationError",
    "MonitorKeyError",
    "NonFiniteLossError",
    "OrchestratorError",
    "RunInterrupted",
    "Trainer",
    "WorkerFailedError",
    "__version__",
    "callbacks",
    "exceptions",
    "loggers",
    "seed_everything",
]
