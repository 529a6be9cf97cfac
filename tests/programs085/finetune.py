"""A Lightning 0.8 fine-tuning program: a pretrained backbone frozen, a new head trained,
accuracy from the functional metrics, the backbone unfrozen for a second stage."""

import sys

import pytorch_lightning as pl
import torch
import torch.nn.functional as F
from pytorch_lightning.metrics.functional import accuracy, f1_score
from torch import nn
from torch.utils.data import DataLoader, TensorDataset


class Classifier(pl.LightningModule):
    def __init__(self, backbone, lr=0.1):
        super().__init__()
        self.backbone = backbone
        self.head = nn.Linear(16, 3)
        self.lr = lr

    def forward(self, x):
        return self.head(torch.relu(self.backbone(x)))

    def training_step(self, batch, batch_idx):
        x, y = batch
        return {"loss": F.cross_entropy(self(x), y)}

    def validation_step(self, batch, batch_idx):
        x, y = batch
        pred = self(x).argmax(dim=1)
        return {"val_acc": accuracy(pred, y, num_classes=3), "val_f1": f1_score(pred, y)}

    def validation_epoch_end(self, outputs):
        acc = torch.stack([o["val_acc"] for o in outputs]).mean()
        return {"val_acc": acc, "log": {"val_acc": acc}, "progress_bar": {"val_acc": acc}}

    def configure_optimizers(self):
        params = [p for p in self.parameters() if p.requires_grad]
        return torch.optim.SGD(params, lr=self.lr)

    def _data(self, seed):
        x = torch.randn(96, 6, generator=torch.Generator().manual_seed(seed))
        y = (x[:, 0] > 0).long() + (x[:, 1] > 0).long()
        return DataLoader(TensorDataset(x, y), batch_size=16)

    def train_dataloader(self):
        return self._data(0)

    def val_dataloader(self):
        return self._data(1)


def main(root):
    backbone = nn.Linear(6, 16)
    model = Classifier(backbone)
    for param in model.backbone.parameters():
        param.requires_grad = False
    frozen = backbone.weight.detach().clone()
    trainer = pl.Trainer(max_epochs=3, default_root_dir=root, progress_bar_refresh_rate=0,
                         weights_summary="full")
    trainer.fit(model)
    assert torch.equal(backbone.weight, frozen), "the frozen backbone changed"
    first = float(trainer.callback_metrics["val_acc"])

    for param in model.backbone.parameters():
        param.requires_grad = True
    trainer = pl.Trainer(max_epochs=3, default_root_dir=root, progress_bar_refresh_rate=0,
                         weights_summary=None)
    trainer.fit(model)
    assert not torch.equal(backbone.weight, frozen), "the unfrozen backbone did not train"
    model.freeze()
    assert not any(p.requires_grad for p in model.parameters()) and not model.training
    print(f"val_acc frozen={first:.3f} unfrozen={float(trainer.callback_metrics['val_acc']):.3f}")


if __name__ == "__main__":
    main(sys.argv[1])
