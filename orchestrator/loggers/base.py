"""The logger interface, and a collection that fans one call out to several loggers."""

from __future__ import annotations

from abc import ABC, abstractmethod
from argparse import Namespace
from collections.abc import Iterable
from typing import Any

__all__ = ["LightningLoggerBase", "LoggerCollection", "hparams_as_dict"]


class LightningLoggerBase(ABC):
    """What the trainer needs from a logger: metrics, hyperparameters, flush, finalize."""

    @property
    @abstractmethod
    def experiment(self) -> Any:
        """The underlying writer object."""

    @property
    @abstractmethod
    def name(self) -> str: ...

    @property
    @abstractmethod
    def version(self) -> int | str: ...

    @abstractmethod
    def log_metrics(self, metrics: dict[str, float], step: int | None = None) -> None:
        """Record a row of scalar metrics at ``step``."""

    @abstractmethod
    def log_hyperparams(self, params: Any) -> None:
        """Record the run's hyperparameters (a dict or Namespace)."""

    def save(self) -> None:  # noqa: B027 - loggers without buffering need nothing
        """Flush what was recorded to disk."""

    def finalize(self, status: str) -> None:
        """Flush and close at the end of a run; ``status`` says how it ended."""
        self.save()

    def write_pending(self) -> None:  # noqa: B027 - loggers that write at once need nothing
        """Write every row kept so far, before returning.

        Called before a checkpoint is saved, so that a run resumed from it, even after the
        process was killed, has every row logged up to it.
        """

    def state_dict(self) -> dict[str, Any]:
        """The logger's identity, stored in checkpoints."""
        return {"name": str(self.name), "version": self.version}

    def load_state_dict(self, state: dict[str, Any]) -> None:  # noqa: B027 - no versions
        """Continue the run ``state`` names: a fit resumed from a checkpoint (``state['step']``
        is its global step), or the run DDP workers logged to. Loggers with versions
        override this."""


class LoggerCollection(LightningLoggerBase):
    """Several loggers behind one; ``experiment`` is the list of their experiments."""

    def __init__(self, loggers: Iterable[LightningLoggerBase]) -> None:
        self.loggers = list(loggers)

    def __getitem__(self, index: int) -> LightningLoggerBase:
        return self.loggers[index]

    @property
    def experiment(self) -> list[Any]:
        return [lg.experiment for lg in self.loggers]

    @property
    def name(self) -> str:
        return "_".join(str(lg.name) for lg in self.loggers)

    @property
    def version(self) -> str:
        return "_".join(str(lg.version) for lg in self.loggers)

    def log_metrics(self, metrics: dict[str, float], step: int | None = None) -> None:
        for lg in self.loggers:
            lg.log_metrics(metrics, step)

    def log_hyperparams(self, params: Any) -> None:
        for lg in self.loggers:
            lg.log_hyperparams(params)

    def save(self) -> None:
        for lg in self.loggers:
            lg.save()

    def finalize(self, status: str) -> None:
        for lg in self.loggers:
            lg.finalize(status)

    def write_pending(self) -> None:
        for lg in self.loggers:
            lg.write_pending()

    def load_state_dict(self, state: dict[str, Any]) -> None:
        """Each logger continues its own run where the collection's name and version say so."""
        for lg in self.loggers:
            if str(lg.name) == state["name"]:
                lg.load_state_dict(state)


def hparams_as_dict(params: Any) -> dict[str, Any]:
    """A plain dict from a Namespace, dict or None."""
    if params is None:
        return {}
    if isinstance(params, Namespace):
        return dict(vars(params))
    return dict(params)
