"""A user who ports has checkpoints that Lightning 0.8 wrote: load them with
load_from_checkpoint (weights and hyperparameters), and test the model they hold."""

import sys
from argparse import Namespace

import pytorch_lightning as pl
import torch
import torch.nn.functional as F
from torch import nn
from torch.utils.data import DataLoader, TensorDataset


class Regressor(pl.LightningModule):
    def __init__(self, hidden=8, lr=0.1):
        super().__init__()
        self.save_hyperparameters()
        self.net = nn.Sequential(nn.Linear(4, hidden), nn.Tanh(), nn.Linear(hidden, 1))

    def forward(self, x):
        return self.net(x)

    def test_step(self, batch, batch_idx):
        x, y = batch
        return {"test_loss": F.mse_loss(self(x), y)}

    def test_epoch_end(self, outputs):
        return {"test_loss": torch.stack([o["test_loss"] for o in outputs]).mean()}

    def test_dataloader(self):
        x = torch.randn(32, 4, generator=torch.Generator().manual_seed(3))
        return DataLoader(TensorDataset(x, x.sum(dim=1, keepdim=True)), batch_size=8)


class OldStyle(pl.LightningModule):  # 0.7 style: a Namespace in __init__
    def __init__(self, hparams):
        super().__init__()
        self.hparams = hparams
        self.layer = nn.Linear(4, hparams.out)

    def forward(self, x):
        return self.layer(x)


def lightning_08_file(path, module, hparams, name):
    """What Lightning 0.8.5's ModelCheckpoint wrote (the keys of its dump_checkpoint)."""
    torch.save({"epoch": 4, "global_step": 40, "pytorch-lightning_version": "0.8.5",
                "checkpoint_callback_best_model_score": torch.tensor(0.25),
                "checkpoint_callback_best_model_path": str(path),
                "optimizer_states": [], "lr_schedulers": [],
                "state_dict": module.state_dict(), "hparams_name": name,
                "hyper_parameters": hparams, "hparams_type": dict}, path)


def lightning_07_file(path, module, hparams):
    """What Lightning 0.7 wrote: the hyperparameters as a dict under 'hparams'."""
    torch.save({"epoch": 1, "global_step": 10, "state_dict": module.state_dict(),
                "hparams": vars(hparams)}, path)


def main(root):
    source = Regressor(hidden=12, lr=0.02)
    lightning_08_file(f"{root}/new.ckpt", source, {"hidden": 12, "lr": 0.02}, "kwargs")
    model = Regressor.load_from_checkpoint(f"{root}/new.ckpt")
    assert model.hparams.hidden == 12 and model.hparams.lr == 0.02, model.hparams
    x = torch.randn(5, 4)
    assert torch.equal(model(x), source(x))
    results = pl.Trainer(logger=False, progress_bar_refresh_rate=0).test(model)
    x = torch.randn(32, 4, generator=torch.Generator().manual_seed(3))
    expected = float(F.mse_loss(source(x), x.sum(dim=1, keepdim=True)).detach())
    assert abs(results[0]["test_loss"] - expected) < 1e-5, (results, expected)

    old = OldStyle(Namespace(out=2))
    lightning_07_file(f"{root}/old.ckpt", old, Namespace(out=2))
    loaded = OldStyle.load_from_checkpoint(f"{root}/old.ckpt", map_location="cpu")
    assert loaded.hparams.out == 2 and torch.equal(loaded.layer.weight, old.layer.weight)
    print(f"loaded hidden={model.hparams.hidden} test_loss={results[0]['test_loss']:.3f}")


if __name__ == "__main__":
    main(sys.argv[1])
