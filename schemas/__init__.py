"""Pydantic schemas and the project's exceptions; imports no other project package."""

from schemas.checkpoint import CHECKPOINT_FORMAT_VERSION, CHECKPOINT_KIND, CheckpointManifest
from schemas.config import TrainerConfig, build_config
from schemas.errors import (
    ArgumentIndexError,
    ArgumentTypeError,
    CheckpointError,
    CheckpointNotFoundError,
    CheckpointWriteError,
    ConfigError,
    HardwareUnavailableError,
    HookOutputError,
    HyperparametersError,
    MisconfigurationError,
    MonitorKeyError,
    NonFiniteLossError,
    OrchestratorError,
    RunInterrupted,
    UnknownArgumentError,
    WorkerFailedError,
)
from schemas.outputs import OutputValidator

__all__ = [
    "CHECKPOINT_FORMAT_VERSION",
    "CHECKPOINT_KIND",
    "ArgumentIndexError",
    "ArgumentTypeError",
    "CheckpointError",
    "CheckpointNotFoundError",
    "CheckpointWriteError",
    "CheckpointManifest",
    "ConfigError",
    "HardwareUnavailableError",
    "HookOutputError",
    "HyperparametersError",
    "MisconfigurationError",
    "MonitorKeyError",
    "NonFiniteLossError",
    "OrchestratorError",
    "OutputValidator",
    "RunInterrupted",
    "UnknownArgumentError",
    "TrainerConfig",
    "WorkerFailedError",
    "build_config",
]
