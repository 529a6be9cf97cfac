"""NeptuneLogger on the ``neptune`` package, 1.x (``pip install 'orchestrator[neptune]'``), with
Lightning 0.8.5's arguments. 0.8.5 drove Neptune's old experiments API, whose offline mode
kept nothing; here ``offline_mode=True`` is Neptune's ``offline`` mode: the run is kept under
``NEPTUNE_DATA_DIRECTORY`` (default ``./.neptune``) and ``neptune sync`` uploads it later."""

from __future__ import annotations

from typing import Any

from orchestrator.loggers.base import (
    LightningLoggerBase,
    backend_module,
    flattened,
    hparams_as_dict,
)

__all__ = ["NeptuneLogger"]

_OFFLINE_PROJECT = "dry-run/project"  # 0.8.5's project of an offline run


def _neptune() -> Any:
    return backend_module("NeptuneLogger", "neptune", "neptune", what=" (1.x)")


def _flat(params: dict[str, Any]) -> dict[str, Any]:
    """Nested dicts as ``outer/inner`` keys; values Neptune cannot hold as their text."""
    return {key: value if isinstance(value, (bool, int, float, str)) else str(value)
            for key, value in flattened(params).items()}


class NeptuneLogger(LightningLoggerBase):
    """Logs to a Neptune run.

    Args:
        api_key: Neptune's API token (None: ``NEPTUNE_API_TOKEN``).
        project_name: ``workspace/project`` (None: ``NEPTUNE_PROJECT``).
        close_after_fit: stop the run when ``fit`` ends (False: keep it for ``test``).
        offline_mode: keep the run on this machine (Neptune's ``offline`` mode).
        experiment_name: the run's name.
        upload_source_files: file patterns uploaded with the run.
        params: parameters of the run (``parameters/...``).
        properties: properties of the run (``properties/...``).
        tags: tags of the run.
        lifecycle: the lifecycle diagram as the image series ``lifecycle/diagram`` (at the
            state change's number as step) and its latest Mermaid text ``lifecycle/mermaid``:
            None (the default) on a budget of 2% of the run's time, True at each state
            entered, False never.
        **kwargs: passed on to ``neptune.init_run``.

    Example:
        >>> logger = NeptuneLogger(offline_mode=True, experiment_name="mnist")
        >>> Trainer(logger=logger).fit(model)
        >>> # neptune sync, later, uploads .neptune/offline/...
    """

    def __init__(self, api_key: str | None = None, project_name: str | None = None,
                 close_after_fit: bool = True, offline_mode: bool = False,
                 experiment_name: str | None = None, upload_source_files: list[str] | None = None,
                 params: dict[str, Any] | None = None, properties: dict[str, Any] | None = None,
                 tags: list[str] | None = None, lifecycle: bool | None = None,
                 **kwargs: Any) -> None:
        _neptune()  # fails at once without neptune
        self.api_key = api_key
        self.project_name = project_name or (_OFFLINE_PROJECT if offline_mode else None)
        self.close_after_fit = close_after_fit
        self.offline_mode = offline_mode
        self.experiment_name = experiment_name
        self.upload_source_files = upload_source_files
        self.params = dict(params or {})
        self.properties = dict(properties or {})
        self.tags = list(tags or [])
        self.lifecycle = lifecycle
        self._kwargs = kwargs
        self._run: Any = None
        self._identity: tuple[str, str] | None = None  # the run's sys/name and sys/id

    def __getstate__(self) -> dict[str, Any]:
        """Without the open run (a copy in another process opens its own)."""
        return {**self.__dict__, "_run": None, "_identity": None}

    @property
    def experiment(self) -> Any:
        """The ``neptune.Run`` (made on first use; after ``finalize``, a new one)."""
        if self._run is None:
            self._identity = None
            self._run = _neptune().init_run(
                project=self.project_name, api_token=self.api_key,
                mode="offline" if self.offline_mode else "async", name=self.experiment_name,
                tags=self.tags or None, source_files=self.upload_source_files or [],
                **self._kwargs)
            for key, value in _flat(self.params).items():
                self._run[f"parameters/{key}"] = value
            for key, value in _flat(self.properties).items():
                self._run[f"properties/{key}"] = value
        return self._run

    @property
    def save_dir(self) -> None:
        return None  # Neptune keeps runs itself

    @property
    def name(self) -> str:
        if self.offline_mode:
            return "offline-name"  # 0.8.5's names of an offline run
        return self._fetched()[0]

    @property
    def version(self) -> str:
        if self.offline_mode:
            return "offline-id-1234"
        return self._fetched()[1]

    def _fetched(self) -> tuple[str, str]:
        """The run's name and id, asked of Neptune's server once per run."""
        run = self.experiment
        if self._identity is None:
            self._identity = (str(run["sys/name"].fetch()), str(run["sys/id"].fetch()))
        return self._identity

    def log_hyperparams(self, params: Any) -> None:
        for key, value in _flat(hparams_as_dict(params)).items():
            self.experiment[f"parameters/{key}"] = value

    def log_metrics(self, metrics: dict[str, float], step: int | None = None) -> None:
        for key, value in metrics.items():
            self.log_metric(key, value, step)

    def log_metric(self, metric_name: str, metric_value: Any, step: int | None = None) -> None:
        """One value of the series ``metric_name`` (at ``step``, else the next)."""
        self.experiment[metric_name].append(float(metric_value), step=step)

    def log_text(self, log_name: str, text: str, step: int | None = None) -> None:
        self.experiment[log_name].append(str(text), step=step)

    def log_image(self, log_name: str, image: Any, step: int | None = None) -> None:
        """A PIL image, a path or an array, as Neptune's ``File.as_image``."""
        from neptune.types import File

        value = File(image) if isinstance(image, str) else File.as_image(image)
        self.experiment[log_name].append(value, step=step)

    def log_artifact(self, artifact: str, destination: str | None = None) -> None:
        self.experiment[destination or f"artifacts/{artifact}"].upload(artifact)

    def set_property(self, key: str, value: Any) -> None:
        self.experiment[f"properties/{key}"] = value

    def append_tags(self, tags: str | list[str]) -> None:
        self.experiment["sys/tags"].add([tags] if isinstance(tags, str) else list(tags))

    def log_lifecycle(self, image: bytes | None, mermaid: str, step: int) -> None:
        from neptune.types import File

        if image is not None:
            self.experiment["lifecycle/diagram"].append(
                File.from_content(image, extension="png"), step=step)
        self.experiment["lifecycle/mermaid"] = mermaid

    def finalize(self, status: str) -> None:
        if self.close_after_fit and self._run is not None:
            self._run.stop()
            self._run = None
