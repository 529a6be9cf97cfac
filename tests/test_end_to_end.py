"""Seed-era Lightning code run with only its import changed: the template model and a GAN."""

from __future__ import annotations

from argparse import Namespace
from typing import Any

import torch
from torch import nn
from torch.nn import functional as F
from torch.utils.data import DataLoader, TensorDataset

import orchestrator as pl
from tests.helpers import TEMPLATE_HPARAMS, TemplateModel


def test_seed_template_trains_validates_checkpoints_and_tests(tmp_path: Any) -> None:
    pl.seed_everything(7)
    hparams = Namespace(**{**TEMPLATE_HPARAMS, "in_features": 4, "hidden_dim": 32,
                           "drop_prob": 0.1, "learning_rate": 0.02, "batch_size": 16,
                           "step_gamma": 1.0, "epoch_gamma": 0.9})
    model = TemplateModel(hparams)
    trainer = pl.Trainer(max_epochs=8, default_root_dir=str(tmp_path), progress_bar_refresh_rate=0,
                         early_stop_callback=pl.callbacks.EarlyStopping(patience=3),
                         gradient_clip_val=1.0)
    assert trainer.fit(model) == 1
    assert trainer.checkpoint_callback.best_model_path.endswith(".ckpt")
    assert trainer.checkpoint_callback.best_model_score is not None
    assert float(trainer.callback_metrics["val_acc"]) > 0.6
    results = trainer.test()
    assert results[0]["test_acc"] > 0.6
    checkpoint = torch.load(trainer.checkpoint_callback.best_model_path, weights_only=True)
    assert checkpoint["hyper_parameters"]["hidden_dim"] == 32
    assert (tmp_path / "lightning_logs" / "version_0").is_dir()


class Generator(nn.Module):
    def __init__(self, latent: int) -> None:
        super().__init__()
        self.net = nn.Sequential(nn.Linear(latent, 16), nn.ReLU(), nn.Linear(16, 2))

    def forward(self, z: torch.Tensor) -> torch.Tensor:
        return self.net(z)


class GAN(pl.LightningModule):
    """The seed-era GAN pattern: two optimizers, training_step with optimizer_idx."""

    def __init__(self) -> None:
        super().__init__()
        self.latent = 4
        self.generator = Generator(self.latent)
        self.discriminator = nn.Sequential(nn.Linear(2, 16), nn.ReLU(), nn.Linear(16, 1))
        self.steps: list[int] = []

    def forward(self, z: torch.Tensor) -> torch.Tensor:
        return self.generator(z)

    def training_step(self, batch: Any, batch_idx: int, optimizer_idx: int) -> dict[str, Any]:
        (real,) = batch
        self.steps.append(optimizer_idx)
        z = torch.randn(real.size(0), self.latent)
        if optimizer_idx == 0:
            fake_logits = self.discriminator(self(z))
            g_loss = F.binary_cross_entropy_with_logits(fake_logits, torch.ones_like(fake_logits))
            return {"loss": g_loss, "progress_bar": {"g_loss": g_loss}, "log": {"g_loss": g_loss}}
        real_logits = self.discriminator(real)
        fake_logits = self.discriminator(self(z).detach())
        d_loss = (F.binary_cross_entropy_with_logits(real_logits, torch.ones_like(real_logits))
                  + F.binary_cross_entropy_with_logits(fake_logits, torch.zeros_like(fake_logits)))
        return {"loss": d_loss / 2, "progress_bar": {"d_loss": d_loss}, "log": {"d_loss": d_loss}}

    def configure_optimizers(self) -> tuple[list[Any], list[Any]]:
        opt_g = torch.optim.Adam(self.generator.parameters(), lr=0.01)
        opt_d = torch.optim.Adam(self.discriminator.parameters(), lr=0.01)
        return [opt_g, opt_d], []

    def train_dataloader(self) -> DataLoader:
        real = torch.randn(64, 2) * 0.1 + torch.tensor([2.0, -1.0])
        return DataLoader(TensorDataset(real), batch_size=16, shuffle=True)


def test_two_optimizer_gan(tmp_path: Any) -> None:
    pl.seed_everything(3)
    model = GAN()
    before_g = [p.clone() for p in model.generator.parameters()]
    trainer = pl.Trainer(max_epochs=3, default_root_dir=str(tmp_path), progress_bar_refresh_rate=0,
                         row_log_interval=1, weights_summary=None)
    trainer.fit(model)
    assert model.steps == [0, 1] * 12
    assert trainer.global_step == 12
    assert all(not torch.equal(a, b) for a, b in zip(before_g, model.generator.parameters()))
    assert {"g_loss", "d_loss"} <= set(trainer.callback_metrics)
    assert {"g_loss", "d_loss"} <= set(trainer.progress_bar_dict)
