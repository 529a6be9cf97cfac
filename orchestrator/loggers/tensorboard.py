"""TensorBoardLogger: real event files under ``save_dir/name/version_N``."""

from __future__ import annotations

import os
import queue
import struct
import threading
from typing import Any

from loguru import logger

from orchestrator.loggers.base import LightningLoggerBase, hparams_as_dict
from orchestrator.loggers.folders import VersionedFolder

__all__ = ["TensorBoardLogger"]


class TensorBoardLogger(VersionedFolder, LightningLoggerBase):
    """Writes scalars and hyperparameters with ``torch.utils.tensorboard``.

    Args:
        save_dir: the root directory.
        name: the experiment name, a folder under ``save_dir`` ('default', as in 0.8.5; None or
            '' for none).
        version: an int (``version_N``), a string (used as the folder name), or None for the
            next free ``version_N``.
        lifecycle: the run's lifecycle diagram, as an image and as Mermaid text, as the run
            moves between states: None (the default) on a budget of 2% of the run's time,
            True at each state entered, False never (see docs/loggers.md).

    Example:
        >>> logger = TensorBoardLogger("runs", name="mnist")
        >>> trainer = Trainer(logger=logger)
        >>> logger.experiment.add_histogram(...)   # the SummaryWriter itself
    """

    NAME_HPARAMS_FILE = "hparams.yaml"  # beside the event files, as 0.8.5 writes it

    def __init__(self, save_dir: str | os.PathLike[str], name: str | None = "default",
                 version: int | str | None = None, lifecycle: bool | None = None,
                 **writer_kwargs: Any) -> None:
        super().__init__(save_dir, name, version)
        self.lifecycle = lifecycle  # the lifecycle diagram at state changes: None budgeted
        self.hparams: dict[str, Any] = {}
        self._writer: Any = None  # a SummaryWriter, created on first use
        self._writer_kwargs = writer_kwargs
        self._purge_step: int | None = None
        self._rows: list[tuple[int | None, dict[str, float]]] = []  # logged, not yet written
        self._background: _RowWriter | None = None

    def __getstate__(self) -> dict[str, Any]:
        """The logger without its open writer and thread (a copy, in a pickle or another
        process, opens its own writer when it first logs); rows kept but not yet written stay
        with this logger, which writes them."""
        state = dict(self.__dict__)
        state.update(_writer=None, _background=None, _rows=[])
        return state

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

    def load_state_dict(self, state: dict[str, Any]) -> None:
        """Continue the run a checkpoint names (same name, no version chosen yet): its folder,
        with what it wrote at ``state['step']`` or later hidden.

        TensorBoard drops events of earlier files from that step on (``purge_step``), so steps
        a killed run logged after its checkpoint are not shown twice.
        """
        if self._version not in (None, state["version"]) or state["name"] != self.name:
            return
        self._close_writer()
        self.continues(state)
        self._purge_step = state.get("step")

    def log_metrics(self, metrics: dict[str, float], step: int | None = None) -> None:
        """Keep the row; ``save`` (every ``log_save_interval`` steps) writes the kept rows."""
        self._rows.append((step, dict(metrics)))

    def save(self) -> None:
        """Write the kept rows and flush the event file, on a background thread.

        Building the events and flushing (which waits for TensorBoard's own writer thread)
        costs the training thread nothing; an error in it is raised by the next ``save``.
        """
        writer = self.experiment  # created here: the folder and the file exist from now on
        if self._background is None:
            self._background = _RowWriter(writer)
        rows, self._rows = self._rows, []
        self._background.submit(rows)

    def write_pending(self) -> None:
        """Write the kept rows and flush, and wait for it (before a checkpoint is saved)."""
        if self._rows:
            self.save()
        if self._background is not None:  # no new rows: wait for those given, no extra flush
            self._background.wait()

    def finalize(self, status: str) -> None:
        """Write every kept row, flush and close: the event file is complete on return."""
        self._close_writer()

    def _close_writer(self) -> None:
        background, self._background = self._background, None
        if background is not None:
            background.stop()  # waits for the rows it was given
        rows, self._rows = self._rows, []
        if rows:
            _write_rows(self.experiment, rows)
        if self._writer is not None:
            self._writer.flush()
            self._writer.close()
            self._writer = None
        if background is not None:
            background.raise_error()

    def log_lifecycle(self, image: bytes | None, mermaid: str, step: int) -> None:
        write_lifecycle(self.experiment, image, mermaid, step)

    def log_hyperparams(self, params: Any, metrics: dict[str, Any] | None = None) -> None:
        """The hyperparameters to TensorBoard's hparams plugin (with ``metrics``, as 0.8.5) and
        to ``hparams.yaml`` in the run's folder."""
        from torch.utils.tensorboard.summary import hparams as hparams_summary

        from orchestrator.hparams import save_hparams_to_yaml

        given = hparams_as_dict(params)
        values = {k: _loggable(v) for k, v in given.items()}
        if not values:
            return
        self.hparams.update(given)
        os.makedirs(self.log_dir, exist_ok=True)
        try:
            save_hparams_to_yaml(os.path.join(self.log_dir, self.NAME_HPARAMS_FILE), self.hparams)
        except (TypeError, ValueError) as exc:  # a value YAML cannot hold: the plugin still has it
            logger.warning("TensorBoardLogger: hparams.yaml not written: {e}", e=exc)
        experiment, session_start, session_end = hparams_summary(values, dict(metrics or {}))
        writer = self.experiment.file_writer
        assert writer is not None
        for summary in (experiment, session_start, session_end):
            writer.add_summary(summary)


def _write_rows(writer: Any, rows: list[tuple[int | None, dict[str, float]]]) -> None:
    """One event per row holding all its scalars (a third of ``add_scalar`` per value)."""
    from tensorboard.compat.proto.summary_pb2 import Summary

    file_writer = writer.file_writer
    assert file_writer is not None
    for step, metrics in rows:
        values = [Summary.Value(tag=key, simple_value=float(value))
                  for key, value in metrics.items()]
        file_writer.add_summary(Summary(value=values), step)


class _RowWriter:
    """A thread that writes batches of rows to a SummaryWriter and flushes it, in order."""

    def __init__(self, writer: Any) -> None:
        self.writer = writer
        self.batches: queue.Queue[list[Any] | None] = queue.Queue()
        self.error: BaseException | None = None
        self.thread = threading.Thread(target=self._run, daemon=True,
                                       name="orchestrator-tensorboard-rows")
        self.thread.start()

    def submit(self, rows: list[Any]) -> None:
        self.raise_error()
        self.batches.put(rows)

    def wait(self) -> None:
        """Return once every batch submitted so far is written and flushed."""
        self.batches.join()
        self.raise_error()

    def stop(self) -> None:
        self.batches.put(None)
        self.thread.join()

    def raise_error(self) -> None:
        error, self.error = self.error, None
        if error is not None:
            raise error

    def _run(self) -> None:
        while (rows := self.batches.get()) is not None:
            try:
                _write_rows(self.writer, rows)
                self.writer.flush()
            except Exception as exc:  # noqa: BLE001 - handed to the training thread
                self.error = exc
            finally:
                self.batches.task_done()


def _loggable(value: Any) -> Any:
    if isinstance(value, bool | int | float | str):
        return value
    return str(value)


def write_lifecycle(writer: Any, image: bytes | None, mermaid: str, step: int) -> None:
    """The diagram to a ``SummaryWriter``'s image plugin (tag ``lifecycle``) and its Mermaid
    text to the text plugin (``lifecycle/mermaid``), at ``step`` (the state change's number)."""
    from tensorboard.compat.proto.summary_pb2 import Summary

    if image is not None:
        width, height = struct.unpack(">II", image[16:24])  # the PNG's IHDR chunk
        picture = Summary.Image(height=height, width=width, colorspace=4,
                                encoded_image_string=image)
        writer.file_writer.add_summary(
            Summary(value=[Summary.Value(tag="lifecycle", image=picture)]), step)
    fenced = "\n".join("    " + line for line in mermaid.splitlines())  # Markdown code
    writer.add_text("lifecycle/mermaid", fenced, step)
