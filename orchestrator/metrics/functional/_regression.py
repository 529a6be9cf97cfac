"""Regression metrics of 0.8.5 (squared, absolute and log errors, PSNR)."""

from __future__ import annotations

import math
from collections.abc import Callable

import torch
from torchmetrics.functional.image import peak_signal_noise_ratio
from torchmetrics.functional.regression import (
    mean_absolute_error,
    mean_squared_error,
    mean_squared_log_error,
)

from orchestrator.metrics.functional._inputs import check_reduction, reduce

__all__ = ["mae", "mse", "psnr", "rmse", "rmsle"]


def _errors(metric: Callable[..., torch.Tensor], pred: torch.Tensor, target: torch.Tensor,
            reduction: str) -> torch.Tensor:
    """``metric`` (a torchmetrics mean error), or its per-element errors reduced by ``reduction``.

    One row with one output per element makes torchmetrics' mean over rows the element itself.
    """
    if check_reduction(reduction) == "elementwise_mean":
        return metric(pred, target)
    count = pred.numel()
    each = metric(pred.reshape(1, count), target.reshape(1, count), num_outputs=count)
    return reduce(each.reshape(pred.shape), reduction)


def mse(pred: torch.Tensor, target: torch.Tensor,
        reduction: str = "elementwise_mean") -> torch.Tensor:
    """The squared error, averaged (``'elementwise_mean'``), summed, or per element (``'none'``).

    Raises:
        ValueError: ``reduction`` is not one of the three names.

    Example:
        >>> mse(torch.tensor([0.0, 1, 2, 3]), torch.tensor([0.0, 1, 2, 2]))
        tensor(0.2500)
    """
    return _errors(mean_squared_error, pred, target, reduction)


def rmse(pred: torch.Tensor, target: torch.Tensor,
         reduction: str = "elementwise_mean") -> torch.Tensor:
    """The square root of :func:`mse` with the same ``reduction``.

    Example:
        >>> rmse(torch.tensor([0.0, 1, 2, 3]), torch.tensor([0.0, 1, 2, 2]))
        tensor(0.5000)
    """
    return torch.sqrt(mse(pred, target, reduction))


def mae(pred: torch.Tensor, target: torch.Tensor,
        reduction: str = "elementwise_mean") -> torch.Tensor:
    """The absolute error, averaged (``'elementwise_mean'``), summed, or per element (``'none'``).

    Raises:
        ValueError: ``reduction`` is not one of the three names.

    Example:
        >>> mae(torch.tensor([0.0, 1, 2, 3]), torch.tensor([0.0, 1, 2, 2]))
        tensor(0.2500)
    """
    return _errors(mean_absolute_error, pred, target, reduction)


def rmsle(pred: torch.Tensor, target: torch.Tensor,
          reduction: str = "elementwise_mean") -> torch.Tensor:
    """The root of the squared log error ``(log(1 + pred) - log(1 + target))**2``, reduced.

    0.8.5 returned the squared log error without the root; this is the real RMSLE.

    Raises:
        ValueError: ``reduction`` is not one of the three names.

    Example:
        >>> rmsle(torch.tensor([0.0, 1, 2, 3]), torch.tensor([0.0, 1, 2, 2]))
        tensor(0.1438)
    """
    if check_reduction(reduction) == "elementwise_mean":
        return torch.sqrt(mean_squared_log_error(pred, target))
    # torchmetrics' squared log error is the squared error of log1p, which has the per-element form
    return torch.sqrt(_errors(mean_squared_error, torch.log1p(pred), torch.log1p(target),
                              reduction))


def psnr(pred: torch.Tensor, target: torch.Tensor, data_range: float | None = None,
         base: float = 10.0, reduction: str = "elementwise_mean") -> torch.Tensor:
    """The peak signal-to-noise ratio ``10 * log_base(data_range**2 / error)``.

    Args:
        pred: the estimate.
        target: the signal.
        data_range: the signal's range; ``None`` takes the larger of ``target``'s and ``pred``'s
            ``max - min``.
        base: the base of the logarithm.
        reduction: the ``error``: ``'elementwise_mean'`` the mean squared error,
            ``'sum'`` the summed squared error, ``'none'`` each element's (a PSNR per element).

    Raises:
        ValueError: ``reduction`` is not one of the three names.

    Example:
        >>> psnr(torch.tensor([[0.0, 1.0], [2.0, 3.0]]), torch.tensor([[3.0, 2.0], [1.0, 0.0]]))
        tensor(2.5527)
    """
    check_reduction(reduction)
    if data_range is None:
        data_range = float(torch.maximum(target.max() - target.min(), pred.max() - pred.min()))
    if reduction == "none":  # one row per element, each its own PSNR
        return peak_signal_noise_ratio(pred.reshape(-1, 1), target.reshape(-1, 1),
                                       data_range=float(data_range), base=base,
                                       reduction="none", dim=1)
    if reduction == "sum":  # range**2 / sum == (range / sqrt(n))**2 / mean
        data_range = float(data_range) / math.sqrt(pred.numel())
    return peak_signal_noise_ratio(pred, target, data_range=float(data_range), base=base)
