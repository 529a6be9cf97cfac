"""Sharded checkpoints (``fsdp_state_dict_type='sharded'``): a folder in which every rank
writes its own shard of the module, gradient and optimizer states, beside one ordinary
checkpoint file (``meta.ckpt``) with the rest of the body.

The folder is written under a temporary name and renamed into place by rank zero once every
shard and the file are complete. ``load_checkpoint`` reads such a folder whole.
"""

from __future__ import annotations

import os
import shutil
from pathlib import Path
from typing import Any

from orchestrator.checkpoint_io import SHARDED_LIST, SHARDED_META, SHARDED_SHARDS, write_atomically
from orchestrator.checkpoint_state import capture_checkpoint, state_entries
from states.stateful import gather

__all__ = ["SHARDED_SECTIONS", "write_sharded"]

SHARDED_SECTIONS = ("state_dict", "grads", "optimizer_states")


def write_sharded(trainer: Any, filepath: str | os.PathLike[str], weights_only: bool) -> None:
    """Write the checkpoint folder ``filepath``; every rank calls it at the same point."""
    from backends.shards import save_shards  # torch.distributed.checkpoint: imported on use

    backend, target = trainer.backend, Path(filepath)
    work = target.parent / f".{target.name}.sharding.tmp"
    if trainer.is_global_zero:
        shutil.rmtree(work, ignore_errors=True)  # left by a write that was cut
        work.mkdir(parents=True)
    backend.barrier("sharded checkpoint: folder made")
    with backend.keeping_shards():
        gathered = gather(state_entries(trainer, weights_only))
        body = capture_checkpoint(trainer, weights_only, gathered)
    sections = {key: body.pop(key) for key in SHARDED_SECTIONS if key in body}
    body[SHARDED_LIST] = sorted(sections)  # (DCP keeps no empty section: no gradients yet)
    save_shards(sections, work / SHARDED_SHARDS)
    if trainer.is_global_zero:
        write_atomically(body, work / SHARDED_META)
        _swap_in(work, target)
    backend.barrier("sharded checkpoint: in place")


def _swap_in(work: Path, target: Path) -> None:
    """Put the complete folder ``work`` at ``target``; an older checkpoint there is set aside
    first and removed after."""
    old = target.parent / f".{target.name}.old.tmp"
    if target.exists():
        shutil.rmtree(old, ignore_errors=True)
        os.replace(target, old)
    os.replace(work, target)
    if old.is_dir():
        shutil.rmtree(old)
    elif old.exists():
        old.unlink()
