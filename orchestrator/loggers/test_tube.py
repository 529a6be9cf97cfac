"""TestTubeLogger on the ``test_tube`` package (``pip install 'orchestrator[testtube]'``), as
Lightning 0.8.5 offered it: a ``test_tube.Experiment`` (a TensorBoard ``SummaryWriter`` that
also keeps ``metrics.csv`` and ``meta_tags.csv``) under ``save_dir/name/version_N``."""

from __future__ import annotations

import os
from argparse import Namespace
from typing import Any

from orchestrator.loggers.base import LightningLoggerBase, backend_module, hparams_as_dict
from orchestrator.loggers.tensorboard import write_lifecycle

__all__ = ["TestTubeLogger"]


def _experiment_class() -> Any:
    return backend_module("TestTubeLogger", "test_tube", "testtube").Experiment


class TestTubeLogger(LightningLoggerBase):
    """Logs to a Test Tube experiment.

    Args:
        save_dir: the root directory.
        name: the experiment's name (a folder under ``save_dir``).
        description: the experiment's description.
        debug: True: log nothing (Test Tube's debug mode).
        version: the ``version_N`` to write to (None: the next free one).
        create_git_tag: tag the commit with the experiment's version.
        lifecycle: the lifecycle diagram in the experiment's event files, as for
            ``TensorBoardLogger``: None (the default) on a budget of 2% of the run's time,
            True at each state entered, False never.

    Example:
        >>> logger = TestTubeLogger("tt_logs", name="mnist")
        >>> Trainer(logger=logger).fit(model)
        >>> test_tube.Experiment(save_dir="tt_logs", name="mnist", version=0).metrics
    """

    __test__ = False  # not a pytest test class, despite its name

    def __init__(self, save_dir: str | os.PathLike[str], name: str = "default",
                 description: str | None = None, debug: bool = False,
                 version: int | None = None, create_git_tag: bool = False,
                 lifecycle: bool | None = None) -> None:
        self._experiment_class = _experiment_class()  # fails at once without test_tube
        self._save_dir = os.fspath(save_dir)
        self._name = name
        self.description = description
        self.debug = debug
        self._version = version
        self.create_git_tag = create_git_tag
        self.lifecycle = lifecycle
        self._experiment: Any = None

    def __getstate__(self) -> dict[str, Any]:
        """Without the open experiment (a copy in another process opens its own)."""
        return {**self.__dict__, "_experiment": None, "_experiment_class": None}

    def __setstate__(self, state: dict[str, Any]) -> None:
        self.__dict__.update(state, _experiment_class=_experiment_class())

    @property
    def experiment(self) -> Any:
        """The ``test_tube.Experiment`` (made on first use; it picks the version then)."""
        if self._experiment is None:
            self._experiment = self._experiment_class(
                save_dir=self._save_dir, name=self._name, debug=self.debug,
                version=self._version, description=self.description,
                create_git_tag=self.create_git_tag)
            self._version = self._experiment.version
        return self._experiment

    @property
    def save_dir(self) -> str:
        return self._save_dir

    @property
    def name(self) -> str:
        return self._name

    @property
    def version(self) -> int:
        return int(self._version if self._version is not None else self.experiment.version)

    @property
    def log_dir(self) -> str:
        return os.path.join(self._save_dir, self._name, f"version_{self.version}")

    def log_hyperparams(self, params: Any) -> None:
        self.experiment.debug = self.debug
        self.experiment.argparse(Namespace(**hparams_as_dict(params)))

    def log_metrics(self, metrics: dict[str, float], step: int | None = None) -> None:
        self.experiment.debug = self.debug
        self.experiment.log(dict(metrics), global_step=step)

    def log_lifecycle(self, image: bytes | None, mermaid: str, step: int) -> None:
        if not self.debug:
            write_lifecycle(self.experiment, image, mermaid, step)

    def save(self) -> None:
        self.experiment.debug = self.debug
        self.experiment.save()

    def finalize(self, status: str) -> None:
        self.save()
        self.close()

    def close(self) -> None:
        if self._experiment is not None and not self.debug:
            self._experiment.close()
        self._experiment = None

    def load_state_dict(self, state: dict[str, Any]) -> None:
        """Continue the run a checkpoint names (same name, no version chosen yet)."""
        if state.get("name") == self._name and self._version in (None, state["version"]) \
                and self._experiment is None:
            self._version = int(state["version"])
