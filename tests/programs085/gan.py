"""A Lightning 0.8 GAN: two optimizers (optimizer_idx), a scheduler each, LearningRateLogger,
the TensorBoard logger; the logged learning rates and losses are read back from its files."""

import sys
from collections import OrderedDict

import pytorch_lightning as pl
import torch
import torch.nn.functional as F
from pytorch_lightning.callbacks import LearningRateLogger
from pytorch_lightning.loggers import TensorBoardLogger
from torch import nn
from torch.utils.data import DataLoader, TensorDataset


class Generator(nn.Module):
    def __init__(self, latent_dim, out_dim):
        super().__init__()
        self.model = nn.Sequential(nn.Linear(latent_dim, 16), nn.LeakyReLU(0.2),
                                   nn.Linear(16, out_dim))

    def forward(self, z):
        return self.model(z)


class Discriminator(nn.Module):
    def __init__(self, in_dim):
        super().__init__()
        self.model = nn.Sequential(nn.Linear(in_dim, 16), nn.LeakyReLU(0.2), nn.Linear(16, 1),
                                   nn.Sigmoid())

    def forward(self, x):
        return self.model(x)


class GAN(pl.LightningModule):
    def __init__(self, hparams):
        super().__init__()
        self.hparams = hparams
        self.generator = Generator(hparams["latent_dim"], 8)
        self.discriminator = Discriminator(8)

    def forward(self, z):
        return self.generator(z)

    def adversarial_loss(self, y_hat, y):
        return F.binary_cross_entropy(y_hat, y)

    def training_step(self, batch, batch_idx, optimizer_idx):
        real, = batch
        z = torch.randn(real.shape[0], self.hparams.latent_dim)
        valid = torch.ones(real.size(0), 1)
        fake = torch.zeros(real.size(0), 1)
        if optimizer_idx == 0:
            self.generated = self(z)
            g_loss = self.adversarial_loss(self.discriminator(self.generated), valid)
            tqdm_dict = {"g_loss": g_loss}
            return OrderedDict({"loss": g_loss, "progress_bar": tqdm_dict, "log": tqdm_dict})
        real_loss = self.adversarial_loss(self.discriminator(real), valid)
        fake_loss = self.adversarial_loss(self.discriminator(self.generated.detach()), fake)
        d_loss = (real_loss + fake_loss) / 2
        tqdm_dict = {"d_loss": d_loss}
        return OrderedDict({"loss": d_loss, "progress_bar": tqdm_dict, "log": tqdm_dict})

    def configure_optimizers(self):
        lr = self.hparams.lr
        opt_g = torch.optim.Adam(self.generator.parameters(), lr=lr, betas=(0.5, 0.999))
        opt_d = torch.optim.SGD(self.discriminator.parameters(), lr=lr)
        step_g = torch.optim.lr_scheduler.StepLR(opt_g, step_size=1, gamma=0.5)
        step_d = {"scheduler": torch.optim.lr_scheduler.ExponentialLR(opt_d, gamma=0.9),
                  "interval": "step"}
        return [opt_g, opt_d], [step_g, step_d]

    def train_dataloader(self):
        data = torch.randn(64, 8, generator=torch.Generator().manual_seed(0)) * 0.5 + 1.0
        return DataLoader(TensorDataset(data), batch_size=self.hparams.batch_size)


def main(root):
    model = GAN({"latent_dim": 4, "lr": 0.01, "batch_size": 8})
    lr_logger = LearningRateLogger()
    logger = TensorBoardLogger(root, name="gan")
    trainer = pl.Trainer(max_epochs=2, logger=logger, callbacks=[lr_logger], default_root_dir=root,
                         progress_bar_refresh_rate=0, weights_summary=None)
    trainer.fit(model)
    assert trainer.global_step == 16, trainer.global_step
    assert sorted(lr_logger.lrs) == ["lr-Adam", "lr-SGD"], sorted(lr_logger.lrs)
    assert lr_logger.lrs["lr-Adam"] == [0.01, 0.005], lr_logger.lrs["lr-Adam"]
    assert len(lr_logger.lrs["lr-SGD"]) == 16

    from tensorboard.backend.event_processing.event_accumulator import EventAccumulator

    events = EventAccumulator(logger.log_dir)
    events.Reload()
    tags = set(events.Tags()["scalars"])
    assert {"lr-Adam", "lr-SGD", "g_loss", "d_loss"} <= tags, tags
    g_steps = [event.step for event in events.Scalars("g_loss")]
    assert g_steps == [0, 8], g_steps  # the first batch of each epoch (row_log_interval=50)
    print(f"g_loss steps={g_steps} lr-Adam={lr_logger.lrs['lr-Adam']}")


if __name__ == "__main__":
    main(sys.argv[1])
