"""Shared test models and tiny datasets (the "boring" modules, and a seed-era template)."""

from __future__ import annotations

from argparse import Namespace
from collections import OrderedDict
from pathlib import Path
from typing import Any

import torch
from torch import nn
from torch.nn import functional as F
from torch.utils.data import DataLoader, Dataset

import orchestrator as pl
from orchestrator.demo import BoringModel, regression_data
from orchestrator.loggers import LightningLoggerBase

__all__ = ["TEMPLATE_HPARAMS", "BoringModel", "NoisyDataset", "RecordingLogger", "TemplateModel",
           "TrainOnlyModel", "quiet_trainer", "regression_data", "scalar_tags", "scalars"]


class TrainOnlyModel(BoringModel):
    """BoringModel without validation and test loops."""

    validation_step = pl.LightningModule.validation_step  # type: ignore[assignment]
    validation_epoch_end = pl.LightningModule.validation_epoch_end  # type: ignore[assignment]
    val_dataloader = pl.LightningModule.val_dataloader  # type: ignore[assignment]


def quiet_trainer(tmp_path: Any, **kwargs: Any) -> pl.Trainer:
    """A Trainer writing under ``tmp_path`` with no progress bar or weights summary."""
    defaults: dict[str, Any] = dict(default_root_dir=str(tmp_path), progress_bar_refresh_rate=0,
                                    weights_summary=None)
    defaults.update(kwargs)
    return pl.Trainer(**defaults)


class RecordingLogger(LightningLoggerBase):
    """A real logger subclass that records what the trainer asks of it."""

    def __init__(self) -> None:
        self.calls: list[tuple[Any, ...]] = []

    @property
    def experiment(self) -> Any:
        return None

    @property
    def name(self) -> str:
        return "recording"

    @property
    def version(self) -> int:
        return 0

    def log_metrics(self, metrics: dict[str, float], step: int | None = None) -> None:
        self.calls.append(("log_metrics", step, dict(metrics)))

    def log_hyperparams(self, params: Any) -> None:
        self.calls.append(("log_hyperparams", params))

    def save(self) -> None:
        self.calls.append(("save",))

    def finalize(self, status: str) -> None:
        self.calls.append(("finalize", status))


class NoisyDataset(Dataset):
    """Three classes from the signs of two features, with a random augmentation drawn in
    ``__getitem__`` (a resumed run must restore the generators, in worker processes too)."""

    def __init__(self, n: int, features: int, seed: int, noise: float) -> None:
        generator = torch.Generator().manual_seed(seed)
        self.x = torch.randn(n, features, generator=generator)
        self.y = (self.x[:, 0] > 0).long() + (self.x[:, 1] > 0).long()
        self.noise = noise

    def __len__(self) -> int:
        return len(self.x)

    def __getitem__(self, index: int) -> tuple[torch.Tensor, torch.Tensor]:
        return self.x[index] + self.noise * torch.randn(self.x.size(1)), self.y[index]


TEMPLATE_HPARAMS: dict[str, Any] = dict(
    in_features=6, hidden_dim=16, out_features=3, drop_prob=0.2, learning_rate=0.01,
    batch_size=8, workers=0, noise=0.05, wide=False, step_gamma=0.9, epoch_gamma=0.8)


class TemplateModel(pl.LightningModule):
    """Written as Lightning 0.8's own template is: an hparams Namespace, OrderedDict returns,
    ``log`` and ``progress_bar`` dicts, Python floats from ``test_epoch_end``, dropout, and two
    schedulers (one stepped per optimizer step, one per epoch). ``wide`` makes a checkpoint of
    about 50 MB, which takes a while to write."""

    def __init__(self, hparams: Namespace) -> None:
        super().__init__()
        self.hparams = hparams
        hidden = 2048 if hparams.wide else hparams.hidden_dim
        extra = [nn.Linear(hidden, hidden), nn.ReLU()] if hparams.wide else []
        self.net = nn.Sequential(nn.Linear(hparams.in_features, hidden), nn.Tanh(),
                                 nn.Dropout(hparams.drop_prob), *extra,
                                 nn.Linear(hidden, hparams.out_features))

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return F.log_softmax(self.net(x), dim=1)

    def prepare_data(self) -> None:
        features, noise = self.hparams.in_features, self.hparams.noise
        self.train_set = NoisyDataset(96, features, 0, noise)
        self.val_set = NoisyDataset(32, features, 1, noise)
        self.test_set = NoisyDataset(32, features, 2, noise)

    def training_step(self, batch: Any, batch_idx: int) -> OrderedDict[str, Any]:
        x, y = batch
        loss_val = F.nll_loss(self(x), y)
        tqdm_dict = {"train_loss": loss_val}
        return OrderedDict({"loss": loss_val, "progress_bar": tqdm_dict, "log": tqdm_dict})

    def training_epoch_end(self, outputs: list[Any]) -> dict[str, Any]:
        mean = torch.stack([o["loss"] for o in outputs]).mean()
        return {"log": {"epoch_train_loss": mean}}

    def validation_step(self, batch: Any, batch_idx: int) -> OrderedDict[str, Any]:
        x, y = batch
        y_hat = self(x)
        val_acc = (y_hat.argmax(dim=1) == y).float().mean()
        return OrderedDict({"val_loss": F.nll_loss(y_hat, y), "val_acc": val_acc})

    def validation_epoch_end(self, outputs: list[Any]) -> dict[str, Any]:
        val_loss_mean = torch.stack([o["val_loss"] for o in outputs]).mean()
        val_acc_mean = torch.stack([o["val_acc"] for o in outputs]).mean()
        tqdm_dict = {"val_loss": val_loss_mean, "val_acc": val_acc_mean}
        return {"progress_bar": tqdm_dict, "log": tqdm_dict, "val_loss": val_loss_mean}

    def test_step(self, batch: Any, batch_idx: int) -> dict[str, Any]:
        x, y = batch
        return {"test_acc": (self(x).argmax(dim=1) == y).float().mean()}

    def test_epoch_end(self, outputs: list[Any]) -> dict[str, Any]:
        test_acc = torch.stack([o["test_acc"] for o in outputs]).mean()
        return {"progress_bar": {"test_acc": test_acc.item()}, "log": {"test_acc": test_acc.item()}}

    def configure_optimizers(self) -> Any:
        optimizer = torch.optim.Adam(self.parameters(), lr=self.hparams.learning_rate)
        per_step = torch.optim.lr_scheduler.StepLR(optimizer, step_size=3,
                                                   gamma=self.hparams.step_gamma)
        per_epoch = torch.optim.lr_scheduler.ExponentialLR(optimizer,
                                                           gamma=self.hparams.epoch_gamma)
        return [optimizer], [{"scheduler": per_step, "interval": "step"}, per_epoch]

    def _loader(self, dataset: Dataset, shuffle: bool = False) -> DataLoader:
        return DataLoader(dataset, batch_size=self.hparams.batch_size, shuffle=shuffle,
                          num_workers=self.hparams.workers)

    def train_dataloader(self) -> DataLoader:
        return self._loader(self.train_set, shuffle=True)

    def val_dataloader(self) -> DataLoader:
        return self._loader(self.val_set)

    def test_dataloader(self) -> DataLoader:
        return self._loader(self.test_set)


def scalars(log_dir: str | Path, tag: str) -> list[tuple[int, float]]:
    """(step, value) of every scalar event of ``tag`` in ``log_dir``, in write order (read back
    with TensorBoard's own reader)."""
    from tensorboard.backend.event_processing.event_accumulator import EventAccumulator

    acc = EventAccumulator(str(log_dir))
    acc.Reload()
    return [(e.step, e.value) for e in acc.Scalars(tag)]


def scalar_tags(log_dir: str | Path) -> list[str]:
    """The scalar tags written in ``log_dir``, sorted."""
    from tensorboard.backend.event_processing.event_accumulator import EventAccumulator

    acc = EventAccumulator(str(log_dir))
    acc.Reload()
    return sorted(acc.Tags()["scalars"])
