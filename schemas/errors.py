"""The project's exception classes, all in one place.

Users import them from ``orchestrator.exceptions`` (or ``orchestrator``), whose docstring
draws the tree.
"""

from __future__ import annotations

from collections.abc import Sequence

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


MESSAGE_LIMIT = 2048  # characters: a message says the first problems, then how many more


def join_problems(parts: Sequence[str], separator: str = "; ",
                  limit: int = MESSAGE_LIMIT - 256) -> str:
    """``parts`` joined while they fit in ``limit`` characters, then "and N more" (the first
    part always, shortened if need be)."""
    kept: list[str] = []
    used = 0
    for part in parts:
        if kept and used + len(separator) + len(part) > limit:
            break
        kept.append(part if kept else _middle_cut(part, limit))
        used += len(separator) + len(kept[-1])
    left = len(parts) - len(kept)
    return separator.join(kept) + (f"{separator}and {left} more" if left else "")


def _middle_cut(text: str, limit: int) -> str:
    """``text`` with its middle left out once it passes ``limit``: the start says what failed,
    the end (a traceback's last lines) where."""
    if len(text) <= limit:
        return text
    half = limit // 2
    return f"{text[:half]} ... [{len(text) - 2 * half} characters left out] ... {text[-half:]}"


class OrchestratorError(Exception):
    """Base of every error this project raises on purpose. A message over ``MESSAGE_LIMIT``
    characters keeps its start and its end."""

    def __init__(self, *args: object) -> None:
        if len(args) == 1 and isinstance(args[0], str):
            args = (_middle_cut(args[0], MESSAGE_LIMIT),)
        super().__init__(*args)


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
