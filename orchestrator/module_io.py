"""Building a module from a checkpoint (``load_from_checkpoint``), ours or Lightning 0.8's."""

from __future__ import annotations

import inspect
import os
import warnings
from argparse import Namespace
from collections.abc import Mapping
from typing import Any, TypeVar

from orchestrator.checkpoint_io import check_module_keys, load_module_checkpoint
from orchestrator.hparams import AttributeDict, load_hparams_from_tags_csv, load_hparams_from_yaml
from schemas.errors import CheckpointError

__all__ = ["CHECKPOINT_HYPER_PARAMS_KEY", "CHECKPOINT_HYPER_PARAMS_NAME",
           "CHECKPOINT_HYPER_PARAMS_TYPE", "CHECKPOINT_PAST_HPARAMS_KEYS", "ModelIO"]

CHECKPOINT_HYPER_PARAMS_KEY = "hyper_parameters"  # Lightning 0.8's key
CHECKPOINT_HYPER_PARAMS_NAME = "hparams_name"
CHECKPOINT_HYPER_PARAMS_TYPE = "hparams_type"
CHECKPOINT_PAST_HPARAMS_KEYS = ("hparams", "module_arguments")  # ours before; older Lightning

M = TypeVar("M", bound="ModelIO")


class ModelIO:
    """``load_from_checkpoint`` (and the deprecated ``load_from_metrics``) for a module class."""

    # the checkpoint keys, where 0.8 code reads them (LightningModule.CHECKPOINT_HYPER_PARAMS_KEY)
    CHECKPOINT_HYPER_PARAMS_KEY = CHECKPOINT_HYPER_PARAMS_KEY
    CHECKPOINT_HYPER_PARAMS_NAME = CHECKPOINT_HYPER_PARAMS_NAME
    CHECKPOINT_HYPER_PARAMS_TYPE = CHECKPOINT_HYPER_PARAMS_TYPE

    @classmethod
    def load_from_checkpoint(cls: type[M], checkpoint_path: str | os.PathLike[str], *args: Any,
                             map_location: Any = None, hparams_file: str | None = None,
                             tags_csv: str | None = None, strict: bool = True,
                             **kwargs: Any) -> M:
        """A module built with the checkpoint's hyperparameters and holding its weights.

        The hyperparameters go to ``__init__`` as they were taken: as its arguments after
        ``save_hyperparameters()``, as the argument that held them after ``self.hparams = x``.
        ``kwargs`` override them; ``hparams_file`` (.yaml or .csv) replaces them.

        Args:
            checkpoint_path: a checkpoint of ours, or one written by Lightning 0.8.
            map_location: where tensors go (as for ``torch.load``; default: the CPU).
            hparams_file: hyperparameters to use instead of the checkpoint's.
            tags_csv: the older spelling of a .csv ``hparams_file`` (deprecated).
            strict: every parameter of the module must be in the checkpoint, and no other.

        Raises:
            CheckpointError: the file cannot be read, or its weights do not fit the module.

        Example:
            >>> model = MyModel.load_from_checkpoint("epoch=3.ckpt", learning_rate=1e-4)
        """
        checkpoint = load_module_checkpoint(checkpoint_path, map_location)
        if tags_csv is not None:
            warnings.warn("load_from_checkpoint(tags_csv=...) is deprecated: use "
                          "hparams_file=...", DeprecationWarning, stacklevel=2)
            hparams_file = hparams_file or tags_csv
        hparams = saved_hparams(checkpoint)
        if hparams_file is not None:
            hparams = _hparams_file(hparams_file)
        hparams.update(kwargs)
        model = _construct(cls, args, hparams, checkpoint.get(CHECKPOINT_HYPER_PARAMS_NAME))
        state_dict = checkpoint["state_dict"]
        if strict:
            check_module_keys(str(checkpoint_path), model, state_dict)  # type: ignore[arg-type]
        model.load_state_dict(state_dict, strict=strict)  # type: ignore[attr-defined]
        model.on_load_checkpoint(checkpoint)  # type: ignore[attr-defined]
        return model

    @classmethod
    def load_from_metrics(cls: type[M], weights_path: str | os.PathLike[str], tags_csv: str,
                          map_location: Any = None) -> M:
        """The deprecated spelling of ``load_from_checkpoint(weights_path, hparams_file=...)``."""
        warnings.warn("load_from_metrics is deprecated: use load_from_checkpoint("
                      "path, hparams_file=...)", DeprecationWarning, stacklevel=2)
        return cls.load_from_checkpoint(weights_path, map_location=map_location,
                                        hparams_file=tags_csv)


def saved_hparams(checkpoint: Mapping[str, Any]) -> AttributeDict:
    """The hyperparameters a checkpoint holds, under any key ours or Lightning's used."""
    found = AttributeDict()
    for key in (*CHECKPOINT_PAST_HPARAMS_KEYS, CHECKPOINT_HYPER_PARAMS_KEY):
        value = checkpoint.get(key)
        if value:
            found.update(vars(value) if isinstance(value, Namespace) else dict(value))
    return found


def _hparams_file(path: str) -> AttributeDict:
    suffix = os.path.splitext(path)[1].lower()
    if suffix == ".csv":
        return AttributeDict(load_hparams_from_tags_csv(path))
    if suffix in (".yml", ".yaml"):
        return AttributeDict(load_hparams_from_yaml(path))
    raise CheckpointError(
        f"load_from_checkpoint(hparams_file={path!r}): use a .yaml, .yml or .csv file"
    )


def _construct(cls: type[M], args: tuple[Any, ...], hparams: AttributeDict,
               name: str | None) -> M:
    """``cls(...)`` with the hyperparameters where ``__init__`` takes them."""
    build: Any = cls  # a LightningModule class: its __init__ is the user's
    parameters = inspect.signature(cls.__init__).parameters
    takes_any = any(p.kind is p.VAR_KEYWORD for p in parameters.values())
    named = [n for n, p in parameters.items() if n != "self"
             and p.kind in (p.POSITIONAL_OR_KEYWORD, p.KEYWORD_ONLY)]
    if not hparams:
        return build(*args)  # type: ignore[no-any-return]
    if name == "kwargs" or (name is None and takes_any):
        kept = hparams if takes_any else {k: v for k, v in hparams.items() if k in named}
        return build(*args, **kept)  # type: ignore[no-any-return]
    if name is not None and name in named:
        return build(*args, **{name: hparams})  # type: ignore[no-any-return]
    if named and not args:  # stored without a name: the first argument, as 0.8.5 did
        return build(hparams)  # type: ignore[no-any-return]
    return build(*args)  # type: ignore[no-any-return]
