"""Run state as one ordered list of parts, each saving and loading its own state.

One list serves every use: capturing a checkpoint, and loading one back to ``resume`` a fit,
to take only the ``weights`` (``test(ckpt_path=...)``), or to ``handback`` what the DDP workers
trained to the process that launched them. An entry names the section of the checkpoint body
its part fills and the uses that load it; loading walks the list in order.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass
from typing import Any, Literal, Protocol

__all__ = ["BodyEntry", "BodyHook", "Entry", "StateEntry", "Stateful", "Use", "View", "capture",
           "gather", "restore"]

Use = Literal["resume", "weights", "handback"]


class Stateful(Protocol):
    """A part that owns state: it gives it as plain data and takes it back."""

    def state_dict(self) -> Any: ...
    def load_state_dict(self, state: Any) -> None: ...


class BodyHook(Protocol):
    """A part that sees the whole body (the module's ``on_save_checkpoint`` and
    ``on_load_checkpoint``): at capture it runs after every section is filled."""

    def saving(self, body: dict[str, Any]) -> None: ...
    def loaded(self, body: Mapping[str, Any]) -> None: ...


class View:
    """A section derived from other state, for people and other readers; never loaded."""

    def __init__(self, read: Callable[[], Any]) -> None:
        self.read = read

    def state_dict(self) -> Any:
        return self.read()

    def load_state_dict(self, state: Any) -> None:
        raise AssertionError("a derived section is never loaded")


@dataclass(frozen=True)
class StateEntry:
    """``key``: the body's section. ``on_device``: loaded onto the run's device (a file is read
    onto the CPU). ``gathered``: its state comes from every process (a collective, run on each
    before rank zero captures). ``writes``: False for a part that only reads a section another
    entry writes."""

    key: str
    part: Stateful
    uses: frozenset[Use] = frozenset()
    on_device: bool = False
    gathered: bool = False
    writes: bool = True


@dataclass(frozen=True)
class BodyEntry:
    part: BodyHook
    uses: frozenset[Use] = frozenset()


Entry = StateEntry | BodyEntry


def gather(entries: Iterable[Entry]) -> dict[str, Any]:
    """The gathered sections; every process calls it at the same point."""
    return {entry.key: entry.part.state_dict() for entry in entries
            if isinstance(entry, StateEntry) and entry.gathered}


def capture(entries: Iterable[Entry], gathered: Mapping[str, Any] | None = None) -> dict[str, Any]:
    """The body: every section in list order, then the body hooks. Gathered sections are
    written when the caller gathered them (``gather``, on every process)."""
    entries = list(entries)
    body: dict[str, Any] = {}
    for entry in entries:
        if not isinstance(entry, StateEntry) or not entry.writes:
            continue
        if not entry.gathered:
            body[entry.key] = entry.part.state_dict()
        elif gathered is not None:
            body[entry.key] = gathered[entry.key]
    for entry in entries:
        if isinstance(entry, BodyEntry):
            entry.part.saving(body)
    return body


def restore(entries: Iterable[Entry], body: Mapping[str, Any], use: Use,
            to_device: Callable[[Any], Any]) -> None:
    """Load, in list order, every entry that ``use`` loads and whose section the body has."""
    for entry in entries:
        if use not in entry.uses:
            continue
        if isinstance(entry, BodyEntry):
            entry.part.loaded(body)
        elif entry.key in body:
            section = body[entry.key]
            entry.part.load_state_dict(to_device(section) if entry.on_device else section)
