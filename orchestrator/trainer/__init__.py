"""The Trainer (``orchestrator.trainer.trainer``) and ``seed_everything``, where 0.8 code
imports them (``from pytorch_lightning.trainer import Trainer, seed_everything``)."""

from orchestrator.seed import seed_everything
from orchestrator.trainer.trainer import Trainer

__all__ = ["Trainer", "seed_everything"]
