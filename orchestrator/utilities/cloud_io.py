"""0.8's ``pytorch_lightning.utilities.cloud_io.load``: reading a checkpoint (ours, or one
Lightning 0.8 wrote), as ``load(path, map_location)``."""

from orchestrator.checkpoint_io import load_checkpoint as load

__all__ = ["load"]
