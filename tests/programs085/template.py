"""A Lightning 0.8 program in the style of its templates: argparse, save_hyperparameters,
setup, the TEST RESULTS, then load_from_checkpoint of the best checkpoint."""

import os
from argparse import ArgumentParser

import pytorch_lightning as pl
import torch
import torch.nn.functional as F
from pytorch_lightning import Trainer, seed_everything
from pytorch_lightning import _logger as log
from pytorch_lightning.callbacks import ModelCheckpoint
from torch import nn
from torch.utils.data import DataLoader, TensorDataset, random_split


class LightningTemplateModel(pl.LightningModule):
    def __init__(self, in_features=10, hidden_dim=32, out_features=3, drop_prob=0.1,
                 learning_rate=0.05, batch_size=16, **kwargs):
        super().__init__()
        self.save_hyperparameters()
        self.c_d1 = nn.Linear(self.hparams.in_features, self.hparams.hidden_dim)
        self.c_d1_drop = nn.Dropout(self.hparams.drop_prob)
        self.c_d2 = nn.Linear(self.hparams.hidden_dim, self.hparams.out_features)
        self.example_input_array = torch.zeros(2, self.hparams.in_features)

    def forward(self, x):
        return self.c_d2(self.c_d1_drop(torch.tanh(self.c_d1(x))))

    def setup(self, stage):
        generator = torch.Generator().manual_seed(0)
        x = torch.randn(240, self.hparams.in_features, generator=generator)
        y = (x[:, 0] > 0).long() + (x[:, 1] > 0).long()
        self.mnist_train, self.mnist_val, self.mnist_test = random_split(
            TensorDataset(x, y), [160, 40, 40], generator=generator)
        self.stages = getattr(self, "stages", []) + [stage]

    def training_step(self, batch, batch_idx):
        x, y = batch
        loss = F.cross_entropy(self(x), y)
        tensorboard_logs = {"train_loss": loss}
        return {"loss": loss, "log": tensorboard_logs}

    def validation_step(self, batch, batch_idx):
        x, y = batch
        y_hat = self(x)
        val_loss = F.cross_entropy(y_hat, y)
        n_correct_pred = torch.sum(y == torch.argmax(y_hat, dim=1)).item()
        return {"val_loss": val_loss, "n_correct_pred": n_correct_pred, "n_pred": len(x)}

    def test_step(self, batch, batch_idx):
        x, y = batch
        y_hat = self(x)
        test_loss = F.cross_entropy(y_hat, y)
        n_correct_pred = torch.sum(y == torch.argmax(y_hat, dim=1)).item()
        return {"test_loss": test_loss, "n_correct_pred": n_correct_pred, "n_pred": len(x)}

    def validation_epoch_end(self, outputs):
        avg_loss = torch.stack([x["val_loss"] for x in outputs]).mean()
        val_acc = sum([x["n_correct_pred"] for x in outputs]) / sum(x["n_pred"] for x in outputs)
        tensorboard_logs = {"val_loss": avg_loss, "val_acc": val_acc}
        return {"val_loss": avg_loss, "log": tensorboard_logs}

    def test_epoch_end(self, outputs):
        avg_loss = torch.stack([x["test_loss"] for x in outputs]).mean()
        test_acc = sum([x["n_correct_pred"] for x in outputs]) / sum(x["n_pred"] for x in outputs)
        tensorboard_logs = {"test_loss": avg_loss, "test_acc": test_acc}
        return {"test_loss": avg_loss, "log": tensorboard_logs}

    def configure_optimizers(self):
        optimizer = torch.optim.Adam(self.parameters(), lr=self.hparams.learning_rate)
        scheduler = torch.optim.lr_scheduler.CosineAnnealingLR(optimizer, T_max=10)
        return [optimizer], [scheduler]

    def train_dataloader(self):
        return DataLoader(self.mnist_train, batch_size=self.hparams.batch_size, shuffle=True)

    def val_dataloader(self):
        return DataLoader(self.mnist_val, batch_size=self.hparams.batch_size)

    def test_dataloader(self):
        return DataLoader(self.mnist_test, batch_size=self.hparams.batch_size)

    @staticmethod
    def add_model_specific_args(parent_parser, root_dir):
        parser = ArgumentParser(parents=[parent_parser])
        parser.add_argument("--in_features", default=10, type=int)
        parser.add_argument("--out_features", default=3, type=int)
        parser.add_argument("--hidden_dim", default=32, type=int)
        parser.add_argument("--drop_prob", default=0.1, type=float)
        parser.add_argument("--learning_rate", default=0.05, type=float)
        parser.add_argument("--batch_size", default=16, type=int)
        return parser


def main(args):
    model = LightningTemplateModel(**vars(args))
    checkpoint = ModelCheckpoint(filepath=os.path.join(args.default_root_dir, "{epoch}"),
                                 monitor="val_loss", save_top_k=1)
    trainer = Trainer.from_argparse_args(args, checkpoint_callback=checkpoint)
    trainer.fit(model)
    results = trainer.test()
    log.info("test results: %s", results)
    assert model.stages == ["fit", "test"], model.stages
    assert trainer.current_epoch == args.max_epochs - 1

    best = checkpoint.best_model_path
    restored = LightningTemplateModel.load_from_checkpoint(best)
    assert restored.hparams.hidden_dim == args.hidden_dim
    restored.eval()
    trained = LightningTemplateModel.load_from_checkpoint(best, hidden_dim=args.hidden_dim)
    trained.eval()
    x = torch.randn(4, args.in_features)
    assert torch.equal(restored(x), trained(x))
    print(f"best={os.path.basename(best)} test_acc={results[0]['test_acc']:.3f}")


if __name__ == "__main__":
    root_dir = os.path.dirname(os.path.realpath(__file__))
    parent_parser = ArgumentParser(add_help=False)
    parent_parser = Trainer.add_argparse_args(parent_parser)
    parser = LightningTemplateModel.add_model_specific_args(parent_parser, root_dir)
    hyperparams = parser.parse_args()
    seed_everything(1234)
    main(hyperparams)
