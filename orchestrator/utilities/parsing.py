"""``pytorch_lightning.utilities.parsing`` (compatibility: re-exports only).

``get_init_args`` is ``orchestrator.hparams.init_args``.
"""

from orchestrator.hparams import (
    AttributeDict,
    clean_namespace,
    collect_init_args,
    str_to_bool,
)
from orchestrator.hparams import init_args as get_init_args

__all__ = ["AttributeDict", "clean_namespace", "collect_init_args", "get_init_args",
           "str_to_bool"]
