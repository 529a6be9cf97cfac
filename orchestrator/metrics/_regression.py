"""The regression metric classes of 0.8.5: plain ``Metric``s, not reduced across processes."""

from __future__ import annotations

import torch

import orchestrator.metrics.functional as F
from orchestrator.metrics._base import Metric
from orchestrator.metrics.functional._inputs import check_reduction

__all__ = ["MAE", "MSE", "PSNR", "RMSE", "RMSLE"]


class _Error(Metric):
    """An error metric with a ``reduction``; as in 0.8.5 it keeps autograd and does not sync."""

    _name = ""  # the 0.8.5 metric name of each subclass

    def __init__(self, reduction: str = "elementwise_mean") -> None:
        super().__init__(self._name)
        self.reduction = check_reduction(reduction)


class MSE(_Error):
    """:func:`~orchestrator.metrics.functional.mse` of each batch.

    Args:
        reduction: ``'elementwise_mean'``, ``'sum'`` or ``'none'`` (one value per element).

    Raises:
        ValueError: ``reduction`` is not one of the three names.

    Example:
        >>> MSE()(torch.tensor([0.0, 1, 2, 3]), torch.tensor([0.0, 1, 2, 2]))
        tensor(0.2500)
    """

    _name = "mse"

    def forward(self, pred: torch.Tensor, target: torch.Tensor) -> torch.Tensor:
        """The mean squared error of this batch."""
        return F.mse(pred, target, self.reduction)


class RMSE(_Error):
    """:func:`~orchestrator.metrics.functional.rmse` of each batch; args as :class:`MSE`.

    Example:
        >>> RMSE()(torch.tensor([0.0, 1, 2, 3]), torch.tensor([0.0, 1, 2, 2]))
        tensor(0.5000)
    """

    _name = "rmse"

    def forward(self, pred: torch.Tensor, target: torch.Tensor) -> torch.Tensor:
        """The root mean squared error of this batch."""
        return F.rmse(pred, target, self.reduction)


class MAE(_Error):
    """:func:`~orchestrator.metrics.functional.mae` of each batch; args as :class:`MSE`.

    Example:
        >>> MAE()(torch.tensor([0.0, 1, 2, 3]), torch.tensor([0.0, 1, 2, 2]))
        tensor(0.2500)
    """

    _name = "mae"

    def forward(self, pred: torch.Tensor, target: torch.Tensor) -> torch.Tensor:
        """The mean absolute error of this batch."""
        return F.mae(pred, target, self.reduction)


class RMSLE(_Error):
    """:func:`~orchestrator.metrics.functional.rmsle` of each batch (with the root, unlike 0.8.5).

    Example:
        >>> RMSLE()(torch.tensor([0.0, 1, 2, 3]), torch.tensor([0.0, 1, 2, 2]))
        tensor(0.1438)
    """

    _name = "rmsle"

    def forward(self, pred: torch.Tensor, target: torch.Tensor) -> torch.Tensor:
        """The root mean squared log error of this batch."""
        return F.rmsle(pred, target, self.reduction)


class PSNR(Metric):
    """:func:`~orchestrator.metrics.functional.psnr` of each batch.

    Args:
        data_range: the signal's range; ``None`` takes it from the data.
        base: the base of the logarithm.
        reduction: ``'elementwise_mean'``, ``'sum'`` or ``'none'``, as in ``psnr``.

    Raises:
        ValueError: ``reduction`` is not one of the three names.

    Example:
        >>> PSNR()(torch.tensor([[0.0, 1.0], [2.0, 3.0]]), torch.tensor([[3.0, 2.0], [1.0, 0.0]]))
        tensor(2.5527)
    """

    def __init__(self, data_range: float | None = None, base: float = 10,
                 reduction: str = "elementwise_mean") -> None:
        super().__init__("psnr")
        self.data_range = data_range
        self.base = float(base)
        self.reduction = check_reduction(reduction)

    def forward(self, pred: torch.Tensor, target: torch.Tensor) -> torch.Tensor:
        """The PSNR of this batch."""
        return F.psnr(pred, target, self.data_range, self.base, self.reduction)
