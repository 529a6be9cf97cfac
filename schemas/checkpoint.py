"""The checkpoint manifest: what kind of file this is and which format it follows."""

from __future__ import annotations

from typing import Literal

from pydantic import BaseModel, ConfigDict

__all__ = ["CHECKPOINT_FORMAT_VERSION", "CHECKPOINT_KIND", "CheckpointManifest"]

CHECKPOINT_FORMAT_VERSION = 1
CHECKPOINT_KIND = "orchestrator-checkpoint"


class CheckpointManifest(BaseModel):
    """Stored under the ``manifest`` key of every checkpoint."""

    model_config = ConfigDict(extra="allow", frozen=True)

    kind: Literal["orchestrator-checkpoint"]
    format_version: int
    library_version: str
    created_at: str
    weights_only: bool = False
