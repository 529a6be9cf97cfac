"""Tuning before a fit: the learning-rate range test and the batch-size search.

``TrainerTuning`` gives the Trainer ``lr_find`` and ``scale_batch_size``; ``LRFinder`` is what
``lr_find`` returns.
"""

from orchestrator.tuning.lr_finder import LRFinder
from orchestrator.tuning.mixin import TrainerTuning

__all__ = ["LRFinder", "TrainerTuning"]
