"""Sharded checkpoint sections through ``torch.distributed.checkpoint`` (DCP): every rank
writes its own shard of the tensors into one folder; the full state reads back from it in any
process, with or without a process group."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import torch.distributed.checkpoint as dcp
from torch.distributed.checkpoint.default_planner import _EmptyStateDictLoadPlanner
from torch.distributed.checkpoint.state_dict_loader import _load_state_dict

from schemas.errors import CheckpointError

__all__ = ["read_full_shards", "save_shards"]


def save_shards(sections: dict[str, Any], folder: Path) -> None:
    """Write ``sections`` (sharded tensors as DTensors) into ``folder``; every rank calls it."""
    dcp.save(sections, checkpoint_id=str(folder))


def read_full_shards(folder: Path, name: str) -> dict[str, Any]:
    """The sections saved in ``folder``, each tensor whole, on the CPU. ``name`` names the
    checkpoint in errors."""
    sections: dict[str, Any] = {}
    try:
        _load_state_dict(sections, storage_reader=dcp.FileSystemReader(str(folder)),
                         planner=_EmptyStateDictLoadPlanner(), no_dist=True)
    except Exception as exc:  # a missing or torn shard file; DCP raises several kinds
        raise CheckpointError(
            f"{name!r} is a sharded checkpoint whose shards in {str(folder)!r} cannot be read "
            f"({type(exc).__name__}: {str(exc)[:300]}); every rank's shard file "
            "(__<rank>_0.distcp) and .metadata must be there, as the run wrote them") from None
    for optimizer in sections.get("optimizer_states", []):
        # DCP keeps keys as text: an optimizer's state is keyed by parameter index
        optimizer["state"] = {int(key): value for key, value in optimizer["state"].items()}
    return sections
