"""``pytorch_lightning.core.saving`` (compatibility: re-exports only)."""

from orchestrator.hparams import (
    ALLOWED_CONFIG_TYPES,
    PRIMITIVE_TYPES,
    convert,
    load_hparams_from_tags_csv,
    load_hparams_from_yaml,
    save_hparams_to_tags_csv,
    save_hparams_to_yaml,
    update_hparams,
)
from orchestrator.module_io import CHECKPOINT_PAST_HPARAMS_KEYS, ModelIO

__all__ = ["ALLOWED_CONFIG_TYPES", "CHECKPOINT_PAST_HPARAMS_KEYS", "PRIMITIVE_TYPES", "ModelIO",
           "convert", "load_hparams_from_tags_csv", "load_hparams_from_yaml",
           "save_hparams_to_tags_csv", "save_hparams_to_yaml", "update_hparams"]
