"""CSVLogger: metrics in ``metrics.csv`` and hyperparameters in ``hparams.yaml``, under
``save_dir/name/version_N`` (Lightning 1.x's logger, no dependency)."""

from __future__ import annotations

import csv
import io
import os
from typing import Any

from orchestrator.loggers.base import LightningLoggerBase, hparams_as_dict
from orchestrator.loggers.folders import VersionedFolder

__all__ = ["CSVLogger"]


class CSVLogger(VersionedFolder, LightningLoggerBase):
    """One row per logged step, a column per metric (``step`` first); a metric that first
    appears later adds its column and the file is rewritten with it.

    Args:
        save_dir: the root directory.
        name: the experiment name (a folder under ``save_dir``; None or '' for none).
        version: an int (``version_N``), a string (the folder's name), or None for the next
            free ``version_N``.
        prefix: put before every metric name (``prefix-name``).

    Example:
        >>> logger = CSVLogger("runs", name="mnist")
        >>> Trainer(logger=logger).fit(model)
        >>> rows = list(csv.DictReader(open(f"{logger.log_dir}/metrics.csv")))
    """

    NAME_METRICS_FILE = "metrics.csv"
    NAME_HPARAMS_FILE = "hparams.yaml"

    def __init__(self, save_dir: str | os.PathLike[str], name: str | None = "lightning_logs",
                 version: int | str | None = None, prefix: str = "") -> None:
        super().__init__(save_dir, name, version)
        self.prefix = prefix
        self.hparams: dict[str, Any] = {}
        self._rows: list[dict[str, Any]] = []  # logged, not yet written
        self._purge_step: int | None = None  # a resumed run drops the rows from this step on

    @property
    def experiment(self) -> CSVLogger:
        """The logger itself (it writes its files directly)."""
        return self

    @property
    def metrics_file(self) -> str:
        return os.path.join(self.log_dir, self.NAME_METRICS_FILE)

    def log_metrics(self, metrics: dict[str, float], step: int | None = None) -> None:
        row: dict[str, Any] = {"step": step}
        row.update({f"{self.prefix}-{k}" if self.prefix else k: _number(v)
                    for k, v in metrics.items()})
        self._rows.append(row)

    def log_hyperparams(self, params: Any, metrics: dict[str, Any] | None = None) -> None:
        """Add ``params`` to ``hparams.yaml``; ``metrics`` (0.8.5's argument) are logged as a
        row without a step."""
        from orchestrator.hparams import save_hparams_to_yaml

        self.hparams.update(hparams_as_dict(params))
        os.makedirs(self.log_dir, exist_ok=True)
        save_hparams_to_yaml(os.path.join(self.log_dir, self.NAME_HPARAMS_FILE), self.hparams)
        if metrics:
            self.log_metrics(metrics)

    def save(self) -> None:
        """Write the kept rows: appended while the columns stay, else the file rewritten with
        every column (and, once after a resume, without the rows the checkpoint did not see)."""
        if not self._rows and self._purge_step is None:
            return
        os.makedirs(self.log_dir, exist_ok=True)
        old_columns, old_rows = self._read()
        columns = list(old_columns)
        for row in self._rows:
            columns += [key for key in row if key not in columns]
        if columns == old_columns and self._purge_step is None:
            with open(self.metrics_file, "a", newline="") as handle:
                csv.DictWriter(handle, columns).writerows(self._rows)
        else:
            kept = [r for r in old_rows if not _after(r.get("step"), self._purge_step)]
            self._rewrite(columns, kept + self._rows)
        self._rows, self._purge_step = [], None

    def write_pending(self) -> None:
        self.save()

    def finalize(self, status: str) -> None:
        self.save()

    def load_state_dict(self, state: dict[str, Any]) -> None:
        """Continue the run a checkpoint names: its folder, without the rows it logged at
        ``state['step']`` or later (a killed run logged them after its checkpoint)."""
        if self.continues(state):
            self._purge_step = state.get("step")

    def _read(self) -> tuple[list[str], list[dict[str, Any]]]:
        if not os.path.isfile(self.metrics_file):
            return [], []
        with open(self.metrics_file, newline="") as handle:
            reader = csv.DictReader(handle)
            return list(reader.fieldnames or []), list(reader)

    def _rewrite(self, columns: list[str], rows: list[dict[str, Any]]) -> None:
        text = io.StringIO()
        writer = csv.DictWriter(text, columns)
        writer.writeheader()
        writer.writerows(rows)
        tmp = f"{self.metrics_file}.tmp"
        with open(tmp, "w", newline="") as handle:
            handle.write(text.getvalue())
        os.replace(tmp, self.metrics_file)


def _number(value: Any) -> Any:
    item = getattr(value, "item", None)
    return item() if callable(item) else value


def _after(step: Any, purge: int | None) -> bool:
    """Whether a row of ``step`` (as read back: text, '' for none) is at or after ``purge``."""
    return purge is not None and step not in (None, "") and int(step) >= purge
