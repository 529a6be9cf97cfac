"""TensorBoardLogger: real event files under ``save_dir/name/version_N``."""

from __future__ import annotations

import os
import re
from pathlib import Path
from typing import Any

from orchestrator.loggers.base import LightningLoggerBase, hparams_as_dict

__all__ = ["TensorBoardLogger"]


class TensorBoardLogger(LightningLoggerBase):
    """Writes scalars and hyperparameters with ``torch.utils.tensorboard``.

    Args:
        save_dir: the root directory.
        name: the experiment name (a folder under ``save_dir``).
        version: an int (``version_N``), a string (used as the folder name), or None for the
            next free ``version_N``.

    Example:
        >>> logger = TensorBoardLogger("runs", name="mnist")
        >>> trainer = Trainer(logger=logger)
        >>> logger.experiment.add_histogram(...)   # the SummaryWriter itself
    """

    def __init__(self, save_dir: str | Path, name: str = "lightning_logs",
                 version: int | str | None = None, **writer_kwargs: Any) -> None:
        self.save_dir = str(save_dir)
        self._name = name
        self._version = version
        self._writer: Any = None  # a SummaryWriter, created on first use
        self._writer_kwargs = writer_kwargs
        self._purge_step: int | None = None

    @property
    def name(self) -> str:
        return self._name

    @property
    def version(self) -> int | str:
        if self._version is None:
            self._version = self._next_version()
        return self._version

    @property
    def root_dir(self) -> str:
        return os.path.join(self.save_dir, self.name)

    @property
    def log_dir(self) -> str:
        """Where the event files of this run are written."""
        version = self.version
        folder = version if isinstance(version, str) else f"version_{version}"
        return os.path.join(self.root_dir, folder)

    @property
    def experiment(self) -> Any:
        """The ``SummaryWriter`` (created on first use; TensorBoard is imported only then)."""
        if self._writer is None:
            from torch.utils.tensorboard import SummaryWriter

            os.makedirs(self.log_dir, exist_ok=True)
            self._writer = SummaryWriter(log_dir=self.log_dir, purge_step=self._purge_step,
                                         **self._writer_kwargs)
            self._purge_step = None
        return self._writer

    def resume(self, version: int | str, step: int) -> None:
        """Continue the run ``version``: hide what it wrote at ``step`` or later.

        TensorBoard drops events of earlier files from ``step`` on (``purge_step``), so steps
        a killed run logged after its checkpoint are not shown twice.
        """
        if self._writer is not None:
            self._writer.close()
            self._writer = None
        self._version = version
        self._purge_step = step

    def log_metrics(self, metrics: dict[str, float], step: int | None = None) -> None:
        """Write one event holding every scalar of the row (a third of ``add_scalar`` per value)."""
        from tensorboard.compat.proto.summary_pb2 import Summary

        values = [Summary.Value(tag=key, simple_value=float(value))
                  for key, value in metrics.items()]
        file_writer = self.experiment.file_writer
        assert file_writer is not None
        file_writer.add_summary(Summary(value=values), step)

    def log_hyperparams(self, params: Any) -> None:
        from torch.utils.tensorboard.summary import hparams as hparams_summary

        values = {k: _loggable(v) for k, v in hparams_as_dict(params).items()}
        if not values:
            return
        experiment, session_start, session_end = hparams_summary(values, {})
        writer = self.experiment.file_writer
        assert writer is not None
        for summary in (experiment, session_start, session_end):
            writer.add_summary(summary)

    def save(self) -> None:
        if self._writer is not None:
            self._writer.flush()

    def finalize(self, status: str) -> None:
        if self._writer is not None:
            self._writer.flush()
            self._writer.close()
            self._writer = None

    def _next_version(self) -> int:
        if not os.path.isdir(self.root_dir):
            return 0
        found = [int(m.group(1)) for d in os.listdir(self.root_dir)
                 if (m := re.fullmatch(r"version_(\d+)", d))]
        return max(found) + 1 if found else 0


def _loggable(value: Any) -> Any:
    if isinstance(value, bool | int | float | str):
        return value
    return str(value)
