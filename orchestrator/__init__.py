"""orchestrator: an explicit state-machine training orchestrator with Lightning's API.

``import orchestrator as pl`` gives the names seed-era Lightning code uses.
"""

from orchestrator import callbacks, loggers
from orchestrator.callbacks import Callback
from orchestrator.module import LightningModule
from orchestrator.seed import seed_everything
from orchestrator.trainer import Trainer
from orchestrator.version import __version__

__all__ = ["Callback", "LightningModule", "Trainer", "__version__", "callbacks", "loggers",
           "seed_everything"]
