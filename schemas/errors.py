"""The project's exception classes, all in one place.

Users import them from ``orchestrator.exceptions`` (or ``orchestrator``), whose docstring
draws the tree.
"""

from __future__ import annotations

__all__ = [
    "ArgumentIndexError",
    "ArgumentTypeError",
    "CheckpointError",
    "CheckpointNotFoundError",
    "CheckpointWriteError",
    "ConfigError",
    "HardwareUnavailableError",
    "HookOutputError",
    "HyperparametersError",
    "MisconfigurationError",
    "MonitorKeyError",
    "NonFiniteLossError",
    "OrchestratorError",
    "RunInterrupted",
    "UnknownArgumentError",
    "WorkerFailedError",
]


class OrchestratorError(Exception):
    """Base of every error this project raises on purpose."""


class MisconfigurationError(OrchestratorError, ValueError):
    """The module, its dataloaders or the callbacks are not wired in a usable way (0.8's
    ``MisconfigurationException`` is this class)."""


class ConfigError(MisconfigurationError):
    """A Trainer argument has a wrong type, value or combination (a misconfiguration, as
    Lightning 0.8 raised it)."""


class UnknownArgumentError(ConfigError, TypeError):
    """The Trainer got an argument it does not take (a TypeError, as Python raises for it)."""


class ArgumentTypeError(ConfigError, TypeError):
    """A Trainer argument of a type it does not take (a TypeError too, as 0.8.5 raised)."""


class ArgumentIndexError(ConfigError, IndexError):
    """An epoch index below 0 in a Trainer argument (an IndexError too, as 0.8.5 raised)."""


class HookOutputError(OrchestratorError, ValueError):
    """A hook returned a value of the wrong shape."""


class HyperparametersError(OrchestratorError, TypeError, ValueError):
    """Hyperparameters of a kind that cannot be kept (a number, a string, another object), or
    their file cannot be read or written. Both a TypeError and a ValueError: seed-era code
    catches the latter."""


class MonitorKeyError(OrchestratorError, KeyError):
    """A callback monitors a metric that the run does not produce."""

    def __str__(self) -> str:  # KeyError quotes its message; keep it readable
        return str(self.args[0]) if self.args else ""


class NonFiniteLossError(OrchestratorError, ValueError, RuntimeError):
    """The loss or a parameter became nan or inf while ``terminate_on_nan`` was on (a
    ValueError, as 0.8.5 raised it)."""


class HardwareUnavailableError(OrchestratorError, RuntimeError):
    """The requested accelerator is not present on this machine."""


class WorkerFailedError(OrchestratorError, RuntimeError):
    """A process of a multi-process run failed; every process was stopped."""


class CheckpointError(OrchestratorError, ValueError):
    """A checkpoint file is missing, torn, foreign or of another format."""


class CheckpointNotFoundError(CheckpointError, FileNotFoundError):
    """The checkpoint named is not there (a FileNotFoundError, as 0.8.5 raised it)."""


class CheckpointWriteError(CheckpointError, OSError):
    """A checkpoint could not be written (disk full, read-only, not a folder); nothing partial
    was left and the files written before were kept."""


class RunInterrupted(KeyboardInterrupt):
    """A run ended by SIGINT or SIGTERM at a batch boundary; ``args[0]`` is the checkpoint."""
