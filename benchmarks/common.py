"""Shared pieces of the benchmarks: the tiny MLP task and a plain PyTorch loop to compare with."""

from __future__ import annotations

import io
import statistics
import time
from collections.abc import Callable
from typing import Any

import torch
from torch import nn
from torch.nn import functional as F
from torch.utils.data import DataLoader, Dataset

import orchestrator as pl

BATCH, FEATURES, HIDDEN = 32, 32, 64


class PreBatched(Dataset):
    """Batches made in advance: item i is batch i (use with DataLoader(batch_size=None))."""

    def __init__(self, batches: int, seed: int = 0, batch: int = BATCH,
                 features: int = FEATURES) -> None:
        generator = torch.Generator().manual_seed(seed)
        self.x = torch.randn(batches, batch, features, generator=generator)
        self.y = torch.randn(batches, batch, 1, generator=generator)

    def __len__(self) -> int:
        return len(self.x)

    def __getitem__(self, index: int) -> tuple[torch.Tensor, torch.Tensor]:
        return self.x[index], self.y[index]


def make_net(features: int = FEATURES, hidden: int = HIDDEN) -> nn.Module:
    torch.manual_seed(0)
    return nn.Sequential(nn.Linear(features, hidden), nn.ReLU(), nn.Linear(hidden, 1))


def plain_loop(batches: int, epochs: int,
               after_step: Callable[[], Any] | None = None) -> nn.Module:
    """The reference: a hand-written PyTorch training loop (``after_step`` for the lockstep)."""
    net = make_net()
    optimizer = torch.optim.Adam(net.parameters(), lr=1e-3)
    loader = DataLoader(PreBatched(batches), batch_size=None)
    for _ in range(epochs):
        for x, y in loader:
            loss = F.mse_loss(net(x), y)
            optimizer.zero_grad()
            loss.backward()
            optimizer.step()
            if after_step is not None:
                after_step()
    return net


def parity_loop(batches: int, epochs: int,
                after_step: Callable[[], Any] | None = None) -> nn.Module:
    """Lightning's own parity benchmark's "vanilla" loop: the same ``TinyModule`` trained by
    hand, ``training_step(batch, i)['loss']``, backward, step, zero_grad. Against it, the
    ratio leaves out the user's module code and measures the framework alone."""
    model = TinyModule(batches)
    optimizer = model.configure_optimizers()
    loader = model.train_dataloader()  # once, as the Trainer and the plain loop make theirs
    for _ in range(epochs):
        for batch_idx, batch in enumerate(loader):
            loss = model.training_step(batch, batch_idx)["loss"]
            loss.backward()
            optimizer.step()
            optimizer.zero_grad()
            if after_step is not None:
                after_step()
    return model


class TinyModule(pl.LightningModule):
    """The same network and data as the plain loop, as a LightningModule."""

    def __init__(self, batches: int, with_logs: bool = False, log_only: bool = False) -> None:
        super().__init__()
        self.net = make_net()
        self.batches = batches
        self.with_logs = with_logs  # 'log' and 'progress_bar' dicts every step
        self.log_only = log_only  # a 'log' dict every step, as most seed-era code returns

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return self.net(x)

    def training_step(self, batch: Any, batch_idx: int) -> Any:
        x, y = batch
        loss = F.mse_loss(self(x), y)
        if self.with_logs:
            return {"loss": loss, "log": {"train_loss": loss}, "progress_bar": {"l": loss}}
        if self.log_only:
            return {"loss": loss, "log": {"train_loss": loss}}
        return {"loss": loss}

    def configure_optimizers(self) -> torch.optim.Optimizer:
        return torch.optim.Adam(self.parameters(), lr=1e-3)

    def train_dataloader(self) -> DataLoader:
        return DataLoader(PreBatched(self.batches), batch_size=None)


class ShadowPlainLoop(pl.Callback):
    """The plain loop, run in step with a fit and timed alone.

    After every ``block`` training batches of the fit it runs ``block`` steps of the plain
    loop (its own network, optimizer and loader); the rest of a block is run at the end of
    training, so both loops take the same number of steps. The two interleave, so a slow
    spell of a shared machine slows both alike: (fit time - shadow time) / shadow time is
    the fit's ratio to the plain loop, steady to about 1% where whole runs vary by 10%.
    With ``block=1`` every fit step starts right after a plain step, which presumably leaves
    the caches cold for the code the plain loop does not share (the lean fit has read 0.2-2%
    higher than with blocks of 50); longer blocks leave each loop its caches as in a run of
    its own, but repeat less well.
    """

    def __init__(self, batches: int, block: int = 1) -> None:
        self.net = make_net()
        self.optimizer = torch.optim.Adam(self.net.parameters(), lr=1e-3)
        self.loader = DataLoader(PreBatched(batches), batch_size=None)
        self.iterator: Any = iter(())
        self.block = block
        self.pending = 0
        self.seconds = 0.0
        self.batch: Any = None
        self.loss: Any = None

    def _step(self) -> None:
        try:
            x, y = next(self.iterator)
        except StopIteration:
            self.iterator = iter(self.loader)
            x, y = next(self.iterator)
        self.batch = x, y
        loss = F.mse_loss(self.net(x), y)
        self.loss = loss
        self.optimizer.zero_grad()
        loss.backward()
        self.optimizer.step()
        # as in plain_loop, the step's batch and loss live until the next step replaces
        # them, so they are freed inside a timed step, not in the fit's time; the loss
        # replaced after the forward keeps the gradient accumulators alive, as it does there

    def after_fit_step(self) -> None:
        """Count one fit step; at the end of a block, run as many plain steps."""
        self.pending += 1
        if self.pending >= self.block:
            self.catch_up()

    def catch_up(self) -> None:
        """Run the plain steps owed to the fit, timed as one span."""
        if not self.pending:
            return
        start = time.perf_counter()
        for _ in range(self.pending):
            self._step()
        self.seconds += time.perf_counter() - start
        self.pending = 0

    def on_batch_end(self, trainer: Any, pl_module: Any) -> None:
        self.after_fit_step()

    def on_train_end(self, trainer: Any, pl_module: Any) -> None:
        self.catch_up()


def lockstep_ratio(fit: Callable[[ShadowPlainLoop], Any], batches: int,
                   block: int = 1) -> float:
    """``fit(shadow)`` runs a fit with ``shadow`` among its callbacks; its ratio to the plain
    loop."""
    shadow = ShadowPlainLoop(batches, block)
    start = time.perf_counter()
    fit(shadow)
    total = time.perf_counter() - start
    return (total - shadow.seconds) / shadow.seconds


def loop_lockstep_ratio(loop: Callable[..., Any], batches: int, epochs: int,
                        block: int = 1) -> float:
    """A hand loop (``plain_loop`` or ``parity_loop``) against the shadow plain loop."""
    shadow = ShadowPlainLoop(batches, block)
    start = time.perf_counter()
    loop(batches, epochs, after_step=shadow.after_fit_step)
    shadow.catch_up()
    total = time.perf_counter() - start
    return (total - shadow.seconds) / shadow.seconds


def plain_lockstep_ratio(batches: int, epochs: int, block: int = 1) -> float:
    """The method's floor: the plain loop against its own shadow (ideally 1.0)."""
    return loop_lockstep_ratio(plain_loop, batches, epochs, block)


def lean_trainer(epochs: int, **kwargs: Any) -> pl.Trainer:
    """Logger, checkpointing and progress bar off; output validation on (the default)."""
    options: dict[str, Any] = dict(max_epochs=epochs, logger=False, checkpoint_callback=False,
                                   progress_bar_refresh_rate=0, weights_summary=None,
                                   num_sanity_val_steps=0)
    options.update(kwargs)
    return pl.Trainer(**options)


def features_trainer(epochs: int, root: str, strict: bool = False, callbacks: Any = (),
                     max_refresh_per_second: float = 10.0) -> pl.Trainer:
    """The default features: TensorBoard every row_log_interval under ``root``, epoch
    checkpoints, a progress bar to a non-terminal stream (``TinyModule(with_logs=True)``
    returns ``log`` and ``progress_bar`` every step)."""
    from orchestrator.callbacks import ProgressBar

    bar = ProgressBar(refresh_rate=1, file=io.StringIO(),
                      max_refresh_per_second=max_refresh_per_second)
    return lean_trainer(epochs, logger=True, checkpoint_callback=True, default_root_dir=root,
                        strict_outputs=strict, callbacks=[bar, *callbacks])


def interleaved(runs: dict[str, Callable[[], Any]], repeats: int,
                clock: Callable[[], float] = time.perf_counter) -> dict[str, list[float]]:
    """Time each callable ``repeats`` times, alternating between them; seconds per run.

    Each repetition starts one run further along (plain, lean, default; then lean, default,
    plain; ...), so every run takes every position equally often: on this machine a run can
    be slowed by what ran just before it (in one invocation the plain loop read 3.7% slower
    right after a default-features fit than right after itself; in another, no slower), and
    a fixed order would charge that to the same run every time. ``clock`` is wall time by
    default; ``time.process_time`` (CPU time of this process) is steadier on a shared machine
    for single-threaded work.
    """
    names = list(runs)
    times: dict[str, list[float]] = {name: [] for name in runs}
    for repetition in range(repeats):
        shift = repetition % len(names)
        for name in names[shift:] + names[:shift]:
            start = clock()
            runs[name]()
            times[name].append(clock() - start)
    return times


def median(values: list[float]) -> float:
    return statistics.median(values)
