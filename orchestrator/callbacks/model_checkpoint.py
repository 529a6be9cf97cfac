"""ModelCheckpoint: save the best ``save_top_k`` checkpoints by a monitored metric."""

from __future__ import annotations

import math
import os
import re
import shutil
import warnings
from pathlib import Path
from typing import Any

from loguru import logger

from orchestrator.callbacks.base import Callback
from orchestrator.callbacks.monitor import improves, read_monitored, resolve_mode
from schemas.errors import ConfigError

__all__ = ["ModelCheckpoint"]


class ModelCheckpoint(Callback):
    """Save checkpoints after validation (or at epoch end when an epoch has no validation).

    Args:
        filepath: a directory, or a path template like ``"ckpts/{epoch}-{val_loss:.2f}"``
            (seed-era form). ``None``: ``<root>/<logger name>/version_<v>/checkpoints``.
        monitor: the metric to rank by; ``None`` keeps the latest checkpoint(s) only.
        verbose: log each save.
        save_last: also keep ``last.ckpt``, the newest state.
        save_top_k: how many best checkpoints to keep (-1: all, 0: none).
        save_weights_only: save only the module's weights.
        mode: 'min', 'max' or 'auto'.
        period: epochs between saves.
        prefix: added in front of file names.
        dirpath: a directory (the newer spelling of a directory ``filepath``).
        strict: a missing monitored metric is an error (True) or falls back to ``monitor=None``.

    Example:
        >>> ckpt = ModelCheckpoint(monitor="val_acc", mode="max", save_top_k=2, save_last=True)
        >>> trainer = Trainer(checkpoint_callback=ckpt)
    """

    def __init__(self, filepath: str | Path | None = None, monitor: str | None = "val_loss",
                 verbose: bool = False, save_last: bool = False, save_top_k: int = 1,
                 save_weights_only: bool = False, mode: str = "auto", period: int = 1,
                 prefix: str = "", dirpath: str | Path | None = None,
                 strict: bool = True) -> None:
        if save_top_k < -1:
            raise ConfigError(f"ModelCheckpoint(save_top_k={save_top_k}): use -1, 0 or more")
        if period < 1:
            raise ConfigError(f"ModelCheckpoint(period={period}): use an int >= 1")
        self.dirpath, self.filename = _split_filepath(filepath, dirpath)
        self.monitor = monitor
        self.verbose = verbose
        self.save_last = save_last
        self.save_top_k = save_top_k
        self.save_weights_only = save_weights_only
        self.mode = resolve_mode("ModelCheckpoint", monitor, mode)
        self.period = period
        self.prefix = prefix
        self.strict = strict
        self.save_function: Any = None  # 0.8's hook: called as (path, weights_only) if set
        self.best_k_models: dict[str, float] = {}
        self.best_model_path = ""
        self.best_model_score: float | None = None
        self.last_model_path = ""
        self._last_saved_epoch: int | None = None
        self._swept = False

    def on_validation_end(self, trainer: Any, pl_module: Any) -> None:
        self._save_if_due(trainer)

    def on_epoch_end(self, trainer: Any, pl_module: Any) -> None:
        if not trainer.validates_at_epoch_end:
            self._save_if_due(trainer)

    def resolve_dir(self, trainer: Any) -> Path:
        """The directory checkpoints go to, once the trainer's logger is known: rank zero's
        (it alone has the logger) on every rank, so ``best_model_path`` names one file."""
        if self.dirpath is None:
            directory = trainer.default_checkpoint_dir
            self.dirpath = trainer.backend.broadcast(directory)  # as it is on one process
        return Path(self.dirpath)

    def _save_if_due(self, trainer: Any) -> None:
        epoch = trainer.current_epoch
        # every rank decides (the metrics are reduced, so alike) and calls save_checkpoint,
        # which gathers each rank's generator states; rank zero alone writes and deletes
        if self.save_top_k == 0 and not self.save_last:
            return
        if self._last_saved_epoch is not None and epoch - self._last_saved_epoch < self.period \
                and epoch != self._last_saved_epoch:
            return
        metrics = dict(trainer.callback_metrics)
        score = None
        if self.monitor is not None:
            score = read_monitored("ModelCheckpoint", self.monitor, metrics, self.strict)
        path = self.format_checkpoint_name(epoch, metrics, trainer)
        if not self._swept and trainer.is_global_zero:
            _remove_stale_temporaries(path.parent)
            self._swept = True
        if self.save_top_k != 0:
            if score is None:
                self._keep_latest(trainer, path)
            elif self._qualifies(score):
                self._keep_best(trainer, path, score)
        if self.save_last:
            self.last_model_path = str(path.with_name(f"{self.prefix}last.ckpt"))
            self._write(trainer, self.last_model_path)
        self._last_saved_epoch = epoch

    def _qualifies(self, score: float) -> bool:
        if self.save_top_k == -1 or len(self.best_k_models) < self.save_top_k:
            return True
        worst = self._worst()
        return improves(score, self.best_k_models[worst], self.mode)

    def _write(self, trainer: Any, path: str) -> None:
        if self.save_function is not None:
            self.save_function(path, self.save_weights_only)
        else:
            trainer.save_checkpoint(path, self.save_weights_only)

    @property
    def kth_best_model_path(self) -> str:
        """The worst of the ``save_top_k`` kept, once that many are kept ('' before)."""
        full = self.save_top_k not in (-1, 0) and len(self.best_k_models) >= self.save_top_k
        return self._worst() if full and self.best_k_models else ""

    @property
    def kth_value(self) -> float:
        """The score a new checkpoint must beat to be kept (inf, or -inf for 'max', before)."""
        path = self.kth_best_model_path
        if path:
            return self.best_k_models[path]
        return math.inf if self.mode == "min" else -math.inf

    @property
    def kth_best_model(self) -> str:
        """The 0.7 name of ``kth_best_model_path``."""
        warnings.warn("ModelCheckpoint.kth_best_model is named kth_best_model_path since "
                      "Lightning 0.8.0", DeprecationWarning, stacklevel=2)
        return self.kth_best_model_path

    def _worst(self) -> str:
        pick = max if self.mode == "min" else min
        return pick(self.best_k_models, key=self.best_k_models.__getitem__)

    def _keep_best(self, trainer: Any, path: Path, score: float) -> None:
        """Write the new best, then remove the one it displaces: at every instant a complete
        checkpoint is on disk (a failed write leaves the files and the state as they were)."""
        kept = (dict(self.best_k_models), self.best_model_path, self.best_model_score)
        displaced = None
        if self.save_top_k != -1 and len(self.best_k_models) >= self.save_top_k \
                and str(path) not in self.best_k_models:
            displaced = self._worst()
            self.best_k_models.pop(displaced)
        self.best_k_models[str(path)] = score
        pick = min if self.mode == "min" else max
        self.best_model_path = pick(self.best_k_models, key=self.best_k_models.__getitem__)
        self.best_model_score = self.best_k_models[self.best_model_path]
        try:
            self._write(trainer, str(path))  # holds the state just set
        except BaseException:
            self.best_k_models, self.best_model_path, self.best_model_score = kept
            raise
        if displaced is not None:
            _remove(displaced, trainer)
        if self.verbose:
            logger.info("ModelCheckpoint: saved {p} ({m}={s:.5g})", p=path, m=self.monitor, s=score)

    def _keep_latest(self, trainer: Any, path: Path) -> None:
        if self.strict is False and self.monitor is not None and not self.best_k_models:
            logger.info("ModelCheckpoint: {m} not produced; keeping the latest checkpoint",
                        m=self.monitor)
        self._write(trainer, str(path))
        for old in list(self.best_k_models):
            if old != str(path):
                _remove(old, trainer)
        self.best_k_models = {str(path): 0.0}
        self.best_model_path = str(path)

    def format_checkpoint_name(self, epoch: int, metrics: dict[str, Any], trainer: Any) -> Path:
        """The file for ``epoch``: ``{epoch}-{val_loss:.2f}`` becomes ``epoch=3-val_loss=0.12``."""
        template = re.sub(r"{([^:}]+)", lambda m: f"{m.group(1)}={{{m.group(1)}",
                          self.filename or "{epoch}")
        values = {"epoch": epoch, **{k: _as_number(v) for k, v in metrics.items()}}
        for name in re.findall(r"{([^:}]+)", template):
            values.setdefault(name, 0)
        return self.resolve_dir(trainer) / f"{self.prefix}{template.format(**values)}.ckpt"

    @property
    def state_key(self) -> str:
        """"ModelCheckpoint" for subclasses too: a subclass resumes from its parent's state (0.8.5
        restored the Trainer's one checkpoint callback whatever its class)."""
        return "ModelCheckpoint"

    def on_save_checkpoint(self, trainer: Any, pl_module: Any) -> dict[str, Any]:
        return {"best_model_path": self.best_model_path, "best_model_score": self.best_model_score,
                "best_k_models": dict(self.best_k_models), "last_model_path": self.last_model_path,
                "monitor": self.monitor, "last_saved_epoch": self._last_saved_epoch}

    def on_load_checkpoint(self, checkpointed_state: dict[str, Any]) -> None:
        self.best_model_path = checkpointed_state["best_model_path"]
        self.best_model_score = checkpointed_state["best_model_score"]
        self.best_k_models = dict(checkpointed_state["best_k_models"])
        self.last_model_path = checkpointed_state["last_model_path"]
        self._last_saved_epoch = checkpointed_state["last_saved_epoch"]


def _split_filepath(filepath: str | Path | None,
                    dirpath: str | Path | None) -> tuple[str | None, str | None]:
    """(directory, file template) from the seed-era ``filepath`` or the newer ``dirpath``."""
    if filepath is None:
        return (str(dirpath) if dirpath is not None else None), None
    text = str(filepath)
    if os.path.isdir(text) or text.endswith(os.sep):
        return text, None
    directory, name = os.path.split(text)
    return directory or ".", name.removesuffix(".ckpt")


def _as_number(value: Any) -> Any:
    return value.item() if hasattr(value, "item") else value


# the temporary name write_atomically gives a checkpoint until it is complete
# (a sharded checkpoint's folder: .NAME.sharding.tmp while written, .NAME.old.tmp while
# the one it replaces is set aside)
_TEMPORARY = re.compile(r"^\..+\.ckpt\.([0-9a-f]{12}|sharding|old)\.tmp$")


def _remove_stale_temporaries(directory: Path) -> None:
    """Remove what writes killed mid-way left (a checkpoint's size each), once per fit."""
    if not directory.is_dir():
        return
    for stale in directory.iterdir():
        if _TEMPORARY.match(stale.name):
            if stale.is_dir():
                shutil.rmtree(stale, ignore_errors=True)
            else:
                stale.unlink(missing_ok=True)
            logger.info("ModelCheckpoint: removed {p}, left by a write that was cut", p=stale)


def _remove(path: str, trainer: Any) -> None:
    if not trainer.is_global_zero:
        return
    try:
        if os.path.isdir(path):  # a sharded checkpoint
            shutil.rmtree(path)
        else:
            os.remove(path)
    except FileNotFoundError:
        pass
