"""Small ready-made modules for examples and docs (like Lightning's ``demos.boring_classes``)."""

from __future__ import annotations

from typing import Any

import torch
from torch import nn
from torch.nn import functional as F
from torch.utils.data import DataLoader, TensorDataset

from orchestrator.module import LightningModule

__all__ = ["BoringModel", "regression_data"]


def regression_data(n: int = 64, features: int = 8, seed: int = 0) -> TensorDataset:
    """A linear regression problem with a little noise; the same weights for every seed."""
    weights = torch.randn(features, 1, generator=torch.Generator().manual_seed(1234))
    generator = torch.Generator().manual_seed(seed)
    x = torch.randn(n, features, generator=generator)
    return TensorDataset(x, x @ weights + 0.01 * torch.randn(n, 1, generator=generator))


class BoringModel(LightningModule):
    """A linear model with train, validation and test loops in the seed's dict style.

    Example:
        >>> from orchestrator import Trainer
        >>> from orchestrator.demos import BoringModel
        >>> Trainer(max_epochs=1).fit(BoringModel())
    """

    def __init__(self, batch_size: int = 16, n: int = 64, lr: float = 0.05) -> None:
        super().__init__()
        self.layer = nn.Linear(8, 1)
        self.batch_size = batch_size
        self.n = n
        self.lr = lr

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return self.layer(x)

    def training_step(self, batch: Any, batch_idx: int) -> dict[str, Any]:
        x, y = batch
        loss = F.mse_loss(self(x), y)
        return {"loss": loss, "log": {"train_loss": loss}, "progress_bar": {"tl": loss}}

    def validation_step(self, batch: Any, batch_idx: int) -> dict[str, Any]:
        x, y = batch
        return {"val_loss": F.mse_loss(self(x), y)}

    def validation_epoch_end(self, outputs: list[dict[str, Any]]) -> dict[str, Any]:
        val_loss = torch.stack([o["val_loss"] for o in outputs]).mean()
        return {"val_loss": val_loss, "log": {"val_loss": val_loss}}

    def test_step(self, batch: Any, batch_idx: int) -> dict[str, Any]:
        x, y = batch
        return {"test_loss": F.mse_loss(self(x), y)}

    def test_epoch_end(self, outputs: list[dict[str, Any]]) -> dict[str, Any]:
        test_loss = torch.stack([o["test_loss"] for o in outputs]).mean()
        return {"test_loss": test_loss, "log": {"test_loss": test_loss}}

    def configure_optimizers(self) -> torch.optim.Optimizer:
        return torch.optim.SGD(self.parameters(), lr=self.lr)

    def train_dataloader(self) -> DataLoader:
        return DataLoader(regression_data(self.n, seed=0), batch_size=self.batch_size)

    def val_dataloader(self) -> DataLoader:
        return DataLoader(regression_data(self.n, seed=1), batch_size=self.batch_size)

    def test_dataloader(self) -> DataLoader:
        return DataLoader(regression_data(self.n, seed=2), batch_size=self.batch_size)
