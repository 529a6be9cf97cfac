"""Generate the lifecycle page's diagram and tables from the state table and the hook table.

``python -m orchestrator.lifecycle_docs`` rewrites the generated part of docs/lifecycle.md;
a test fails when the page and the tables disagree, and another when a recorded run calls a
hook in a state its row does not name (``hooks_by_state``).
"""

from __future__ import annotations

import tempfile
from pathlib import Path
from typing import Any

import torch
from torch import nn
from torch.nn import functional as F
from torch.utils.data import DataLoader, TensorDataset

from orchestrator.callbacks.base import Callback
from orchestrator.module import LightningModule
from orchestrator.trainer import Trainer
from states.graph import to_mermaid
from states.hook_table import HOOKS, Hook, HookRow
from states.table import CONDITIONS, STATES, expanded_transitions

__all__ = ["generated_section", "hook_reference", "hooks_by_state", "main", "rewrite"]

BEGIN = "<!-- generated:begin (python -m orchestrator.lifecycle_docs) -->"
END = "<!-- generated:end -->"
_PAGE = Path(__file__).resolve().parent.parent / "docs" / "lifecycle.md"


class _Recorder(Callback):
    """Records every callback hook with the lifecycle state it ran in."""

    def __init__(self, calls: list[tuple[str, str]]) -> None:
        self.calls = calls


class _Recorded(LightningModule):
    """A tiny module overriding every hook; each records itself."""

    def __init__(self, calls: list[tuple[str, str]]) -> None:
        super().__init__()
        self.calls = calls
        self.layer = nn.Linear(2, 1)

    def training_step(self, batch: Any, batch_idx: int) -> Any:
        return F.mse_loss(self.layer(batch[0]), batch[1])

    def validation_step(self, batch: Any, batch_idx: int) -> Any:
        return {"val_loss": F.mse_loss(self.layer(batch[0]), batch[1])}

    def validation_epoch_end(self, outputs: Any) -> Any:
        return {"val_loss": torch.stack([o["val_loss"] for o in outputs]).mean()}

    def test_step(self, batch: Any, batch_idx: int) -> Any:
        return {"test_loss": F.mse_loss(self.layer(batch[0]), batch[1])}

    def configure_optimizers(self) -> Any:
        return torch.optim.SGD(self.parameters(), lr=0.1)

    def _loader(self) -> DataLoader:
        return DataLoader(TensorDataset(torch.zeros(4, 2), torch.zeros(4, 1)), batch_size=2)

    def train_dataloader(self) -> DataLoader:
        return self._loader()

    def val_dataloader(self) -> DataLoader:
        return self._loader()

    def test_dataloader(self) -> DataLoader:
        return self._loader()


_MODULE_HOOKS = [str(row.hook) for row in HOOKS if row.to_module]
_CALLBACK_HOOKS = [str(row.hook) for row in HOOKS if row.to_callbacks and row.states]
_EVERYWHERE = Hook.ON_KEYBOARD_INTERRUPT  # fires in whichever state the interrupt came


def _recording(cls: type, hooks: list[str], prefix: str) -> type:
    def make(name: str) -> Any:
        original = getattr(cls, name)

        def hook(self: Any, *args: Any, **kwargs: Any) -> Any:
            trainer = self.trainer if prefix == "" else args[0]
            self.calls.append((trainer.lifecycle.state, prefix + name))
            return original(self, *args, **kwargs)
        return hook

    return type(f"Recording{cls.__name__}", (cls,), {name: make(name) for name in hooks})


def hooks_by_state() -> dict[str, list[str]]:
    """For each state, the hooks a fit and a test call in it, in first-call order."""
    calls: list[tuple[str, str]] = []
    # (the deprecated ends would stand in for the epoch ends they replace)
    module_hooks = [h for h in _MODULE_HOOKS if h not in (
        Hook.ON_LOAD_CHECKPOINT, Hook.TRAINING_END, Hook.VALIDATION_END, Hook.TEST_END)]
    module = _recording(_Recorded, module_hooks, "")(calls)
    callback = _recording(_Recorder, [h for h in _CALLBACK_HOOKS
                                      if h not in (Hook.ON_LOAD_CHECKPOINT, _EVERYWHERE)],
                        "CB.")(calls)
    with tempfile.TemporaryDirectory() as root:
        trainer = Trainer(max_epochs=1, num_sanity_val_steps=1, logger=False, callbacks=[callback],
                          default_root_dir=root, progress_bar_refresh_rate=0,
                          weights_summary=None, val_check_interval=0.5)
        trainer.fit(module)
        trainer.test()
    table: dict[str, list[str]] = {}
    for state, hook in calls:
        seen = table.setdefault(state, [])
        if hook not in seen:
            seen.append(hook)
    return table


def _called_names(row: HookRow) -> list[str]:
    """How the hook shows in a call sequence: ``CB.name`` for callbacks, ``name`` for the
    module, callbacks first."""
    return ([f"CB.{row.hook}"] if row.to_callbacks else []) + (
        [str(row.hook)] if row.to_module else [])


def _arguments(args: tuple[str, ...]) -> str:
    shown = [a for a in args if not a.endswith("?")]
    optional = "".join(f"[, {a[:-1]}]" for a in args if a.endswith("?"))
    return f"({', '.join(shown)}{optional})"


def hook_reference() -> list[str]:
    """Markdown lines: every hook of the table, with receivers, states and arguments."""
    lines = ["| hook | called on | in state | module arguments | what for |",
             "| --- | --- | --- | --- | --- |"]
    for row in HOOKS:
        where = ("any but `teardown`" if row.hook is _EVERYWHERE
                 else ", ".join(f"`{s}`" for s in row.states) or "`Trainer(...)`")
        receivers = {"both": "callbacks, then the module", "module": "the module",
                     "callbacks": "callbacks"}[row.receivers]
        args = _arguments(row.module_args) if row.to_module else ""
        lines.append(f"| `{row.hook}` | {receivers} | {where} | {args} | {row.does} |")
    return lines


def generated_section() -> str:
    """The Markdown between the page's generated markers."""
    lines = ["```mermaid", to_mermaid(None).strip(), "```", "",
             "| state | hooks called there, in order (CB. = callbacks; a hook repeats per batch "
             "or epoch as the loop runs; `CB.on_keyboard_interrupt` in any state) |",
             "| --- | --- |"]
    for state in STATES:
        hooks = [name for row in HOOKS if state in row.states and row.hook is not _EVERYWHERE
                 for name in _called_names(row)]
        cell = ", ".join(f"`{h}`" for h in hooks) if hooks else "(no user hooks)"
        lines.append(f"| `{state}` | {cell} |")
    lines += ["", "| trigger | from | to | condition |", "| --- | --- | --- | --- |"]
    seen: set[tuple[str, str]] = set()
    for row in expanded_transitions():
        condition = row.get("conditions")
        key = (row["trigger"], row["source"])
        fallback = "otherwise" if key in seen else "always"
        seen.add(key)
        text = f"`{condition}`: {CONDITIONS[condition]}" if condition else fallback
        lines.append(f"| `{row['trigger']}` | `{row['source']}` | `{row['dest']}` | {text} |")
    return "\n".join(lines)


def rewrite(page: Path, begin: str, section: str) -> None:
    """Replace what stands between ``begin`` and ``END`` on ``page`` with ``section``."""
    text = page.read_text()
    head, _, rest = text.partition(begin)
    _, _, tail = rest.partition(END)
    page.write_text(f"{head}{begin}\n{section}\n{END}{tail}")
    print(f"rewrote {page}")


def main() -> None:
    """Rewrite the generated part of docs/lifecycle.md."""
    rewrite(_PAGE, BEGIN, generated_section())


if __name__ == "__main__":
    main()
