"""The demo, and small ready-made modules for examples, docs and tests.

``DigitsClassifier``: a seed-style LightningModule trained on scikit-learn's handwritten digits;
run it with ``python -m orchestrator.demo [--max-epochs N] [--root DIR]``. It needs the ``demo``
extra (scikit-learn, which ships the 8x8 digits; nothing is downloaded). ``BoringModel`` and
``regression_data``: a linear model with every loop, on data made in memory (like Lightning's
``demos.boring_classes``).
"""

from __future__ import annotations

import argparse
from argparse import Namespace
from collections.abc import Sequence
from typing import Any

import torch
from torch import nn
from torch.nn import functional as F
from torch.utils.data import DataLoader, TensorDataset

import orchestrator as pl
from states.record import collapsed_path

__all__ = ["BoringModel", "DigitsClassifier", "main", "regression_data"]


def regression_data(n: int = 64, features: int = 8, seed: int = 0) -> TensorDataset:
    """A linear regression problem with a little noise; the same weights for every seed."""
    weights = torch.randn(features, 1, generator=torch.Generator().manual_seed(1234))
    generator = torch.Generator().manual_seed(seed)
    x = torch.randn(n, features, generator=generator)
    return TensorDataset(x, x @ weights + 0.01 * torch.randn(n, 1, generator=generator))


class BoringModel(pl.LightningModule):
    """A linear model with train, validation and test loops in the seed's dict style.

    Example:
        >>> from orchestrator import Trainer
        >>> from orchestrator.demo import BoringModel
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


class DigitsClassifier(pl.LightningModule):
    """A small MLP on the 8x8 digits, written exactly as seed-era Lightning code."""

    def __init__(self, hparams: Namespace) -> None:
        super().__init__()
        self.hparams = hparams
        self.net = nn.Sequential(
            nn.Linear(64, hparams.hidden), nn.ReLU(), nn.Dropout(hparams.dropout),
            nn.Linear(hparams.hidden, 10),
        )

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return self.net(x)

    def prepare_data(self) -> None:
        try:
            from sklearn.datasets import load_digits
        except ImportError as exc:
            raise SystemExit(
                "the demo needs scikit-learn for its dataset: pip install -e '.[demo]'"
            ) from exc
        digits = load_digits()
        x = torch.tensor(digits.data, dtype=torch.float32) / 16.0
        y = torch.tensor(digits.target, dtype=torch.long)
        order = torch.randperm(len(x), generator=torch.Generator().manual_seed(0))
        x, y = x[order], y[order]
        self.train_set = TensorDataset(x[:1200], y[:1200])
        self.val_set = TensorDataset(x[1200:1500], y[1200:1500])
        self.test_set = TensorDataset(x[1500:], y[1500:])

    def training_step(self, batch: Any, batch_idx: int) -> dict[str, Any]:
        x, y = batch
        loss = F.cross_entropy(self(x), y)
        return {"loss": loss, "progress_bar": {"train_loss": loss}, "log": {"train_loss": loss}}

    def validation_step(self, batch: Any, batch_idx: int) -> dict[str, Any]:
        x, y = batch
        logits = self(x)
        return {"val_loss": F.cross_entropy(logits, y),
                "val_acc": (logits.argmax(1) == y).float().mean()}

    def validation_epoch_end(self, outputs: list[dict[str, Any]]) -> dict[str, Any]:
        val_loss = torch.stack([o["val_loss"] for o in outputs]).mean()
        val_acc = torch.stack([o["val_acc"] for o in outputs]).mean()
        logs = {"val_loss": val_loss, "val_acc": val_acc}
        return {"val_loss": val_loss, "progress_bar": logs, "log": logs}

    def test_step(self, batch: Any, batch_idx: int) -> dict[str, Any]:
        x, y = batch
        return {"correct": (self(x).argmax(1) == y).sum(), "count": torch.tensor(len(y))}

    def test_epoch_end(self, outputs: list[dict[str, Any]]) -> dict[str, Any]:
        correct = torch.stack([o["correct"] for o in outputs]).sum()
        count = torch.stack([o["count"] for o in outputs]).sum()
        test_acc = correct.float() / count
        return {"test_acc": test_acc, "log": {"test_acc": test_acc}}

    def configure_optimizers(self) -> Any:
        optimizer = torch.optim.Adam(self.parameters(), lr=self.hparams.lr)
        scheduler = torch.optim.lr_scheduler.StepLR(optimizer, step_size=5, gamma=0.5)
        return [optimizer], [scheduler]

    def train_dataloader(self) -> DataLoader:
        return DataLoader(self.train_set, batch_size=self.hparams.batch_size, shuffle=True)

    def val_dataloader(self) -> DataLoader:
        return DataLoader(self.val_set, batch_size=256)

    def test_dataloader(self) -> DataLoader:
        return DataLoader(self.test_set, batch_size=256)


def add_arguments(parser: argparse.ArgumentParser) -> argparse.ArgumentParser:
    """The demo's options, on ``parser`` (``python -m orchestrator.demo`` and
    ``orchestrator demo`` take the same)."""
    parser.add_argument("--max-epochs", type=int, default=10, help="epochs at most (default 10; "
                        "early stopping may end sooner)")
    parser.add_argument("--root", default="demo_runs",
                        help="where logs and checkpoints go (default: demo_runs)")
    parser.add_argument("--seed", type=int, default=0, help="seed_everything's seed")
    return parser


def main(argv: Sequence[str] | None = None) -> float:
    """Train, checkpoint and test; print where everything went and the test accuracy."""
    parser = argparse.ArgumentParser(prog="python -m orchestrator.demo", description=__doc__)
    return run(add_arguments(parser).parse_args(argv))


def run(args: argparse.Namespace) -> float:
    """The demo with parsed options (``max_epochs``, ``root``, ``seed``); the test accuracy."""
    pl.seed_everything(args.seed)
    hparams = Namespace(hidden=128, dropout=0.1, lr=3e-3, batch_size=64)
    model = DigitsClassifier(hparams)
    trainer = pl.Trainer(
        max_epochs=args.max_epochs, default_root_dir=args.root, row_log_interval=5,
        progress_bar_refresh_rate=10,
        early_stop_callback=pl.callbacks.EarlyStopping(monitor="val_loss", patience=3),
        checkpoint_callback=pl.callbacks.ModelCheckpoint(monitor="val_acc", save_last=True),
    )
    trainer.fit(model)
    fit_path = collapsed_path(trainer.lifecycle.history)
    fit_outcome = trainer.lifecycle.outcome
    results = trainer.test()
    test_acc = results[0]["test_acc"]
    print(f"fit lifecycle: {fit_path} ({fit_outcome})")
    log_dir = getattr(trainer.logger, "log_dir", args.root)
    print(f"logs:          {log_dir}  (tensorboard --logdir {args.root})")
    print(f"best ckpt:     {trainer.checkpoint_callback.best_model_path} "
          f"(val_acc={trainer.checkpoint_callback.best_model_score:.4f})")
    print(f"last ckpt:     {trainer.checkpoint_callback.last_model_path}")
    print(f"test accuracy: {test_acc:.4f}")
    return test_acc


if __name__ == "__main__":
    main()
