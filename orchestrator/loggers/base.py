"""The logger interface, and a collection that fans one call out to several loggers."""

from __future__ import annotations

import functools
import importlib
from abc import ABC, abstractmethod
from argparse import Namespace
from collections.abc import Callable, Iterable
from typing import Any

from orchestrator.loggers.aggregate import StepAggregator, merge_dicts
from orchestrator.rank_zero import rank_zero_only

__all__ = ["DummyExperiment", "DummyLogger", "LightningLoggerBase", "LoggerCollection",
           "OtherRankLogger", "for_other_rank",
           "hparams_as_dict", "merge_dicts", "rank_zero_experiment"]


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
        """Flush and close at the end of a run; ``status`` says how it ended: ``"success"``,
        ``"failed"`` or ``"aborted"`` (a KeyboardInterrupt), in 0.8.5's words."""
        self.save()

    def write_pending(self) -> None:  # noqa: B027 - loggers that write at once need nothing
        """Write every row kept so far, before returning.

        Called before a checkpoint is saved, so that a run resumed from it, even after the
        process was killed, has every row logged up to it.
        """

    def log_lifecycle(self, image: bytes | None, mermaid: str,  # noqa: B027
                      step: int) -> None:
        """The run's lifecycle diagram at its ``step``-th state change: PNG bytes (None where
        Graphviz is missing) and the diagram's Mermaid text. Loggers that take images or
        artifacts keep them; the others nothing."""

    @property
    def takes_pictures(self) -> bool:
        """Whether ``log_lifecycle`` keeps anything (the diagram is drawn only then): where
        the logger offers it and was not made with ``lifecycle=False``."""
        return getattr(self, "lifecycle", None) is not False and \
            type(self).log_lifecycle is not LightningLoggerBase.log_lifecycle

    @property
    def pictures_every_change(self) -> bool:
        """Made with ``lifecycle=True``: a picture as each state is entered, whatever it costs
        (the default, None: pictures on a budget of the run's time)."""
        return self.takes_pictures and getattr(self, "lifecycle", None) is True

    def state_dict(self) -> dict[str, Any]:
        """The logger's identity, stored in checkpoints."""
        return {"name": str(self.name), "version": self.version}

    @property
    def save_dir(self) -> str | None:
        """The folder the logger writes under, or None where it keeps nothing locally."""
        return None

    def update_agg_funcs(self, agg_key_funcs: dict[str, Any] | None = None,
                         agg_default_func: Any = None) -> None:
        """How ``agg_and_log_metrics`` merges the rows of one step: a function per key
        (a list of values -> one value), and the default (the mean)."""
        aggregator = self._aggregator
        if agg_key_funcs:
            aggregator.key_funcs.update(agg_key_funcs)
        if agg_default_func is not None:
            aggregator.default_func = agg_default_func

    def agg_and_log_metrics(self, metrics: dict[str, float], step: int | None = None) -> None:
        """Log the rows given for one step as one merged row, once a row of another step
        comes (or at ``close()``)."""
        released = self._aggregator.add(metrics, step)
        if released is not None:
            self.log_metrics(released[1], released[0])

    def close(self) -> None:
        """Log the row ``agg_and_log_metrics`` still keeps, then save."""
        released = self._aggregator.flush()
        if released is not None:
            self.log_metrics(released[1], released[0])
        self.save()

    @property
    def _aggregator(self) -> StepAggregator:
        # made on first use: subclasses need not call LightningLoggerBase.__init__
        aggregator = self.__dict__.get("_step_aggregator")
        if aggregator is None:
            aggregator = self.__dict__["_step_aggregator"] = StepAggregator()
        return aggregator

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

    def log_hyperparams(self, params: Any, metrics: dict[str, Any] | None = None) -> None:
        for lg in self.loggers:
            if metrics is None:
                lg.log_hyperparams(params)
            else:
                lg.log_hyperparams(params, metrics)  # type: ignore[call-arg]

    def log_lifecycle(self, image: bytes | None, mermaid: str, step: int) -> None:
        for lg in self.loggers:
            lg.log_lifecycle(image, mermaid, step)

    @property
    def takes_pictures(self) -> bool:
        return any(lg.takes_pictures for lg in self.loggers)

    @property
    def pictures_every_change(self) -> bool:
        return any(lg.pictures_every_change for lg in self.loggers)

    def save(self) -> None:
        for lg in self.loggers:
            lg.save()

    def finalize(self, status: str) -> None:
        for lg in self.loggers:
            lg.finalize(status)

    def agg_and_log_metrics(self, metrics: dict[str, float], step: int | None = None) -> None:
        for lg in self.loggers:
            lg.agg_and_log_metrics(metrics, step)

    def close(self) -> None:
        for lg in self.loggers:
            lg.close()

    def write_pending(self) -> None:
        for lg in self.loggers:
            lg.write_pending()

    def load_state_dict(self, state: dict[str, Any]) -> None:
        """Each logger continues its own run where the collection's name and version say so."""
        for lg in self.loggers:
            if str(lg.name) == state["name"]:
                lg.load_state_dict(state)


class DummyExperiment:
    """An experiment that records nothing: every method call does nothing and returns None
    (what a logger's ``experiment`` is on processes other than rank zero)."""

    def nop(self, *args: Any, **kwargs: Any) -> None:
        return None

    def __getattr__(self, name: str) -> Any:
        if name.startswith("__"):  # copy, pickle and friends look these up: not methods here
            raise AttributeError(name)
        return self.nop


def rank_zero_experiment(fn: Callable[[Any], Any]) -> Callable[[Any], Any]:
    """For a logger's ``experiment`` property: the real experiment on rank zero, a
    ``DummyExperiment`` on every other process (so that only rank zero writes)."""
    @functools.wraps(fn)
    def experiment(self: Any) -> Any:
        return fn(self) if rank_zero_only.rank == 0 else DummyExperiment()
    return experiment


class DummyLogger(LightningLoggerBase):
    """A logger that records nothing, for code that needs a logger but must not log."""

    def __init__(self) -> None:
        self._experiment = DummyExperiment()

    @property
    def experiment(self) -> DummyExperiment:
        return self._experiment

    @property
    def name(self) -> str:
        return ""

    @property
    def version(self) -> str:
        return ""

    def log_metrics(self, metrics: dict[str, float], step: int | None = None) -> None:
        pass

    def log_hyperparams(self, params: Any) -> None:
        pass


class OtherRankLogger(DummyLogger):
    """The logger on processes other than rank zero, as 0.8.5 had it: its ``experiment`` is a
    ``DummyExperiment`` and every method of the logger it stands for (its own too, such as
    ``NeptuneLogger.log_image``) does nothing, so hooks that log run on every rank."""

    def __init__(self, logger: LightningLoggerBase) -> None:
        super().__init__()
        kind = type(logger)
        self._methods = {name for name in dir(kind)
                         if not name.startswith("_") and callable(getattr(kind, name, None))}

    def __getattr__(self, name: str) -> Any:
        if name in self.__dict__.get("_methods", ()):
            return self._experiment.nop
        raise AttributeError(f"{type(self).__name__} has no attribute {name!r}")


def for_other_rank(logger: LightningLoggerBase | None) -> LightningLoggerBase | None:
    """What ``logger`` is on a process other than rank zero (None stays None)."""
    if logger is None:
        return None
    if isinstance(logger, LoggerCollection):
        return LoggerCollection([OtherRankLogger(each) for each in logger.loggers])
    return OtherRankLogger(logger)


def hparams_as_dict(params: Any) -> dict[str, Any]:
    """A plain dict from a Namespace, dict or None."""
    if params is None:
        return {}
    if isinstance(params, Namespace):
        return dict(vars(params))
    return dict(params)


def flattened(params: dict[str, Any], prefix: str = "") -> dict[str, Any]:
    """Nested dicts as ``outer/inner`` keys (for backends that keep flat parameters)."""
    flat: dict[str, Any] = {}
    for key, value in params.items():
        if isinstance(value, dict):
            flat.update(flattened(value, f"{prefix}{key}/"))
        else:
            flat[f"{prefix}{key}"] = value
    return flat


def backend_module(logger: str, module: str, extra: str, package: str | None = None,
                   what: str = "") -> Any:
    """``module`` imported for ``logger``; without it an ImportError naming the package
    (``package``, else the module's top level; ``what`` said after it) and the extra."""
    package = package or module.split(".")[0]
    try:
        return importlib.import_module(module)
    except ImportError:
        raise ImportError(
            f"{logger} needs the package {package!r}{what}, which is not installed here: "
            f"pip install 'orchestrator[{extra}]'", name=package) from None
