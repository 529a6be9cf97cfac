"""orchestrator.metrics: 0.8.5's metrics against values worked out by hand, and a real DDP sum."""

from __future__ import annotations

import math
import socket
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

import numpy as np
import pytest
import torch
import torch.distributed as dist
import torch.multiprocessing as mp

from orchestrator import metrics as M
from orchestrator.metrics import functional as F

NAN = math.nan
# the 0.8.5 docstrings' example: classes 0..3, class 3 predicted once and never true
PRED = torch.tensor([0, 1, 2, 3])
TARGET = torch.tensor([0, 1, 2, 2])
# scores whose argmax is PRED (classes at dim 1)
SCORES = torch.tensor([[0.7, 0.1, 0.1, 0.1],
                       [0.2, 0.6, 0.1, 0.1],
                       [0.1, 0.1, 0.5, 0.3],
                       [0.1, 0.2, 0.3, 0.4]])
BINARY_SCORE = torch.tensor([0.1, 0.4, 0.35, 0.8])
BINARY_TARGET = torch.tensor([0, 0, 1, 1])


def close(actual: Any, expected: Any) -> bool:
    """Tensors (or nested tuples of them) equal up to 1e-4, NaN equal to NaN."""
    if isinstance(expected, tuple):
        return len(actual) == len(expected) and all(map(close, actual, expected))
    actual = torch.as_tensor(actual, dtype=torch.float64)
    expected = torch.as_tensor(expected, dtype=torch.float64)
    return actual.shape == expected.shape and bool(
        torch.allclose(actual, expected, atol=1e-4, equal_nan=True))


# --- input rules -------------------------------------------------------------------------------

def test_to_onehot_and_to_categorical() -> None:
    onehot = F.to_onehot(torch.tensor([1, 2, 0]))
    assert torch.equal(onehot, torch.eye(3, dtype=torch.long)[[1, 2, 0]])
    assert F.to_onehot(torch.tensor([1, 0]), num_classes=4).shape == (2, 4)
    onehot = F.to_onehot(torch.tensor([[1, 0], [2, 1]]))
    assert onehot.shape == (2, 3, 2) and onehot[1, 2, 0] == 1 and onehot[:, :, 0].sum() == 2
    assert torch.equal(F.to_categorical(SCORES), PRED)
    assert torch.equal(F.to_categorical(torch.tensor([[0.1, 0.9], [0.8, 0.2]]), argmax_dim=0),
                       torch.tensor([1, 0]))


@pytest.mark.parametrize("pred", [PRED, SCORES, PRED.float()], ids=["labels", "scores", "floats"])
def test_stat_scores_of_one_class(pred: torch.Tensor) -> None:
    assert F.stat_scores(pred, TARGET, class_index=2) == (1, 0, 2, 1, 2)
    assert F.stat_scores(pred, TARGET, class_index=3) == (0, 1, 3, 0, 0)
    assert F.stat_scores(pred, TARGET, class_index=7) == (0, 0, 4, 0, 0)


def test_stat_scores_argmax_dim() -> None:
    scores = SCORES.T.unsqueeze(0)  # [1, C, N]: classes at dim 1 of a 3-d input
    assert F.stat_scores(scores, TARGET.unsqueeze(0), class_index=2) == (1, 0, 2, 1, 2)
    classes_last = SCORES.unsqueeze(0)  # [1, N, C]
    assert F.stat_scores(classes_last, TARGET.unsqueeze(0), 3, argmax_dim=2) == (0, 1, 3, 0, 0)


@pytest.mark.parametrize("pred", [PRED, SCORES], ids=["labels", "scores"])
def test_stat_scores_multiple_classes(pred: torch.Tensor) -> None:
    expected = ([1., 1., 1., 0.], [0., 0., 0., 1.], [3., 3., 2., 3.], [0., 0., 1., 0.],
                [1., 1., 2., 0.])
    assert close(F.stat_scores_multiple_classes(pred, TARGET), tuple(map(torch.tensor, expected)))
    tps, *_, sups = F.stat_scores_multiple_classes(pred, TARGET, num_classes=6)
    assert close(tps, [1., 1., 1., 0., 0., 0.]) and close(sups, [1., 1., 2., 0., 0., 0.])


def test_a_num_classes_below_the_labels_says_what_to_pass() -> None:
    with pytest.raises(ValueError, match=r"num_classes=3, but .* label 3: pass num_classes=4"):
        F.accuracy(PRED, TARGET, num_classes=3)


def test_pred_of_another_shape_says_what_to_pass() -> None:
    with pytest.raises(ValueError, match=r"pred has shape \(4, 4, 1\) and target \(4,\)"):
        F.precision(SCORES.unsqueeze(-1), TARGET)


# --- counting metrics, every reduction, labels and scores --------------------------------------
# per class: precision [1, 1, 1, 0], recall [1, 1, .5, 0 (0/0)], F1 [1, 1, 2/3, 0],
# F2 of class 2: 5 * 1 * .5 / (4 * 1 + .5) = 5/9; IoU [1, 1, .5, 0]

CASES: list[tuple[str, Callable[..., Any], dict[str, Any], dict[str, Any]]] = [
    ("accuracy", F.accuracy, {}, {"elementwise_mean": 0.75, "sum": 0.75,
                                  "none": [1., 1., .5, NAN]}),
    ("precision", F.precision, {}, {"elementwise_mean": 0.75, "sum": 3.,
                                    "none": [1., 1., 1., 0.]}),
    ("recall", F.recall, {}, {"elementwise_mean": 0.625, "sum": 2.5, "none": [1., 1., .5, 0.]}),
    ("f1", F.f1_score, {}, {"elementwise_mean": (2 + 2 / 3) / 4, "sum": 2 + 2 / 3,
                            "none": [1., 1., 2 / 3, 0.]}),
    ("f2", F.fbeta_score, {"beta": 2.0}, {"elementwise_mean": (2 + 5 / 9) / 4, "sum": 2 + 5 / 9,
                                          "none": [1., 1., 5 / 9, 0.]}),
    ("f0", F.fbeta_score, {"beta": 0.0}, {"elementwise_mean": 0.75, "sum": 3.,
                                          "none": [1., 1., 1., 0.]}),
    ("iou", F.iou, {}, {"elementwise_mean": 0.625, "sum": 2.5, "none": [1., 1., .5, 0.]}),
    ("iou_nobg", F.iou, {"remove_bg": True}, {"elementwise_mean": 0.5, "sum": 1.5,
                                              "none": [1., .5, 0.]}),
]


@pytest.mark.parametrize("reduction", ["elementwise_mean", "sum", "none"])
@pytest.mark.parametrize("pred", [PRED, SCORES], ids=["labels", "scores"])
@pytest.mark.parametrize(("name", "fn", "kwargs", "expected"), CASES, ids=[c[0] for c in CASES])
def test_counting_metrics_by_hand(name: str, fn: Callable[..., Any], kwargs: dict[str, Any],
                                  expected: dict[str, Any], pred: torch.Tensor,
                                  reduction: str) -> None:
    value = fn(pred, TARGET, **kwargs, reduction=reduction)
    assert close(value, expected[reduction]), (name, value)
    given = fn(pred, TARGET, **kwargs, num_classes=4, reduction=reduction)
    assert close(given, expected[reduction])


def test_a_larger_num_classes_adds_classes_that_count_zero() -> None:
    assert close(F.accuracy(PRED, TARGET, num_classes=5, reduction="none"),
                 [1., 1., .5, NAN, NAN])
    assert close(F.accuracy(PRED, TARGET, num_classes=5), 0.75)  # overall: unchanged
    assert close(F.precision(PRED, TARGET, num_classes=5), 3 / 5)  # macro: one more zero
    assert close(F.precision_recall(PRED, TARGET, num_classes=5), (torch.tensor(0.6),
                                                                   torch.tensor(0.5)))
    assert close(F.iou(PRED, TARGET, num_classes=5, reduction="none"), [1., 1., .5, 0., 0.])


def test_precision_recall_is_both() -> None:
    assert close(F.precision_recall(PRED, TARGET), (torch.tensor(0.75), torch.tensor(0.625)))
    assert close(F.precision_recall(SCORES, TARGET, reduction="none"),
                 (torch.tensor([1., 1., 1., 0.]), torch.tensor([1., 1., .5, 0.])))


def test_one_class_everywhere() -> None:
    zeros = torch.zeros(3, dtype=torch.long)
    assert close(F.accuracy(zeros, zeros), 1.0)  # 0.8.5 raised here; see docs/metrics.md
    assert close(F.precision(zeros, zeros, reduction="none"), [1.])
    assert close(F.confusion_matrix(zeros, zeros), [[3.]])


def test_confusion_matrix_rows_are_targets() -> None:
    expected = [[1., 0., 0., 0.], [0., 1., 0., 0.], [0., 0., 1., 1.], [0., 0., 0., 0.]]
    matrix = F.confusion_matrix(PRED, TARGET)
    assert matrix.dtype == torch.float32 and close(matrix, expected)
    assert close(F.confusion_matrix(SCORES, TARGET), expected)


def test_confusion_matrix_normalizes_each_row() -> None:
    # row 2 holds 2 samples, column 3 only 1: 0.8.5 divided by the wrong axis here
    normalized = F.confusion_matrix(PRED, TARGET, normalize=True)
    assert close(normalized, [[1., 0., 0., 0.], [0., 1., 0., 0.], [0., 0., .5, .5],
                              [0., 0., 0., 0.]])


# the 0.8.5 example: argmax [0, 1, 2, 3] against [0, 1, 3, 2]
DICE_PRED = torch.tensor([[0.85, 0.05, 0.05, 0.05], [0.05, 0.85, 0.05, 0.05],
                          [0.05, 0.05, 0.85, 0.05], [0.05, 0.05, 0.05, 0.85]])
DICE_TARGET = torch.tensor([0, 1, 3, 2])


@pytest.mark.parametrize(("kwargs", "expected"), [
    ({}, 1 / 3),
    ({"reduction": "sum"}, 1.0),
    ({"reduction": "none"}, [1., 0., 0.]),
    ({"bg": True, "reduction": "none"}, [1., 1., 0., 0.]),
    ({"bg": True}, 0.5),
])
def test_dice_score_by_hand(kwargs: dict[str, Any], expected: Any) -> None:
    assert close(F.dice_score(DICE_PRED, DICE_TARGET, **kwargs), expected)


def test_dice_score_of_a_class_absent_from_target_is_no_fg_score() -> None:
    # class 3 is predicted once and never true; class 2: 2 * 1 / (2 + 0 + 1)
    scores = F.dice_score(SCORES, TARGET, no_fg_score=0.7, reduction="none")
    assert close(scores, [1., 2 / 3, 0.7])


def test_dice_score_with_spatial_dims() -> None:
    pred = DICE_PRED.T.reshape(1, 4, 2, 2)  # [N, C, H, W], argmax [[0, 1], [2, 3]]
    assert close(F.dice_score(pred, DICE_TARGET.reshape(1, 2, 2)), 1 / 3)
    with pytest.raises(ValueError, match="target holds the label 5, but pred has 4 score"):
        F.dice_score(DICE_PRED, torch.tensor([0, 1, 5, 2]))


# --- curves ------------------------------------------------------------------------------------

def test_roc_by_hand() -> None:
    # scores descending 3 (neg), 2 (neg), 1 (pos), 0 (neg), with pos_label=1
    fpr, tpr, thresholds = F.roc(PRED, TARGET)
    assert close((fpr, tpr), (torch.tensor([0, 1 / 3, 2 / 3, 2 / 3, 1]),
                              torch.tensor([0., 0., 0., 1., 1.])))
    assert torch.equal(thresholds, torch.tensor([4, 3, 2, 1, 0]))  # first: the top score + 1


def test_roc_with_sample_weights_and_pos_label() -> None:
    # descending .8 (pos, w1), .4 (neg, w2), .35 (pos, w1), .1 (neg, w1)
    expected = (torch.tensor([0., 0., 2 / 3, 2 / 3, 1.]), torch.tensor([0., .5, .5, 1., 1.]),
                torch.tensor([1.8, .8, .4, .35, .1]))
    weights = [1.0, 2.0, 1.0, 1.0]
    assert close(F.roc(BINARY_SCORE, BINARY_TARGET, sample_weight=weights), expected)
    assert close(F.roc(BINARY_SCORE, BINARY_TARGET, torch.tensor(weights)), expected)
    flipped = F.roc(BINARY_SCORE, 1 - BINARY_TARGET, sample_weight=weights, pos_label=0)
    assert close(flipped, expected)
    assert close(F.auroc(BINARY_SCORE, BINARY_TARGET, sample_weight=weights), 2 / 3)


def test_roc_keeps_raw_scores_as_thresholds() -> None:
    # logits stay logits (torchmetrics' public binary_roc would squash them by a sigmoid)
    _, _, thresholds = F.roc(torch.tensor([-3.0, 5.0]), torch.tensor([0, 1]))
    assert close(thresholds, [6.0, 5.0, -3.0])


def test_roc_without_one_kind_of_sample_says_so() -> None:
    with pytest.raises(ValueError, match=r"needs a negative sample.*pos_label=1"):
        F.roc(BINARY_SCORE, torch.ones(4, dtype=torch.long))
    with pytest.raises(ValueError, match="needs a positive sample"):
        F.auroc(BINARY_SCORE, torch.zeros(4, dtype=torch.long))


def test_auroc_and_average_precision_by_hand() -> None:
    # positives .8, .35 against negatives .4, .1: 3 of 4 pairs ranked right
    assert close(F.auroc(BINARY_SCORE, BINARY_TARGET), 0.75)
    # precision at recall .5 is 1, at recall 1 it is 2/3: .5 * 1 + .5 * 2/3
    assert close(F.average_precision(BINARY_SCORE, BINARY_TARGET), 0.5 + 1 / 3)
    assert close(F.auroc(PRED, TARGET), 1 / 3) and close(F.average_precision(PRED, TARGET), 1 / 3)


def test_precision_recall_curve_stops_at_full_recall() -> None:
    precision, recall, thresholds = F.precision_recall_curve(PRED, TARGET)
    assert close((precision, recall), (torch.tensor([1 / 3, 0., 0., 1.]),
                                       torch.tensor([1., 0., 0., 0.])))
    assert torch.equal(thresholds, torch.tensor([1, 2, 3]))
    # recall is full from .35 on, so .1 is not a threshold
    curve = F.precision_recall_curve(BINARY_SCORE, BINARY_TARGET)
    assert close(curve, (torch.tensor([2 / 3, .5, 1., 1.]), torch.tensor([1., .5, .5, 0.]),
                         torch.tensor([.35, .4, .8])))


MC_PRED = torch.tensor([[0.8, 0.2], [0.3, 0.7], [0.6, 0.4]])
MC_TARGET = torch.tensor([0, 1, 1])


def test_multiclass_curves_are_one_vs_rest() -> None:
    class0 = (torch.tensor([0., 0., .5, 1.]), torch.tensor([0., 1., 1., 1.]),
              torch.tensor([1.8, .8, .6, .3]))
    class1 = (torch.tensor([0., 0., 0., 1.]), torch.tensor([0., .5, 1., 1.]),
              torch.tensor([1.7, .7, .4, .2]))
    assert close(F.multiclass_roc(MC_PRED, MC_TARGET), (class0, class1))
    assert close(F.multiclass_roc(MC_PRED, MC_TARGET, num_classes=1), (class0,))
    curves = F.multiclass_precision_recall_curve(MC_PRED, MC_TARGET)
    assert close(curves, ((torch.tensor([1., 1.]), torch.tensor([1., 0.]), torch.tensor([.8])),
                          (torch.tensor([1., 1., 1.]), torch.tensor([1., .5, 0.]),
                           torch.tensor([.4, .7]))))
    with pytest.raises(ValueError, match=r"3 classes need scores \[N, C\] with C >= 3"):
        F.multiclass_roc(MC_PRED, MC_TARGET, num_classes=3)


def test_auc_by_hand() -> None:
    assert close(F.auc(torch.tensor([0, 1, 2, 3]), torch.tensor([0, 1, 2, 2])), 4.0)
    assert close(F.auc(torch.tensor([3, 1, 2, 0]), torch.tensor([2, 1, 2, 0])), 4.0)
    assert close(F.auc(torch.tensor([3., 2, 1, 0]), torch.tensor([2., 2, 1, 0]), reorder=False),
                 4.0)  # decreasing x: the area is still positive
    with pytest.raises(ValueError, match="neither increasing or decreasing"):
        F.auc(torch.tensor([0., 2, 1]), torch.tensor([1., 1, 1]), reorder=False)


# --- regression --------------------------------------------------------------------------------
# errors [0, 0, 0, 1]; log errors [0, 0, 0, log(4/3)]
REG_PRED = torch.tensor([0.0, 1, 2, 3])
REG_TARGET = torch.tensor([0.0, 1, 2, 2])
LOG = math.log(4 / 3)


@pytest.mark.parametrize(("fn", "expected"), [
    (F.mse, {"elementwise_mean": .25, "sum": 1., "none": [0., 0., 0., 1.]}),
    (F.rmse, {"elementwise_mean": .5, "sum": 1., "none": [0., 0., 0., 1.]}),
    (F.mae, {"elementwise_mean": .25, "sum": 1., "none": [0., 0., 0., 1.]}),
    (F.rmsle, {"elementwise_mean": math.sqrt(LOG ** 2 / 4), "sum": LOG,
               "none": [0., 0., 0., LOG]}),
], ids=["mse", "rmse", "mae", "rmsle"])
@pytest.mark.parametrize("reduction", ["elementwise_mean", "sum", "none"])
def test_regression_by_hand(fn: Callable[..., torch.Tensor], expected: dict[str, Any],
                            reduction: str) -> None:
    assert close(fn(REG_PRED, REG_TARGET, reduction=reduction), expected[reduction])
    per_element = fn(REG_PRED.reshape(2, 2), REG_TARGET.reshape(2, 2), reduction=reduction)
    assert close(per_element.flatten() if reduction == "none" else per_element,
                 expected[reduction])


def test_rmsle_is_the_root_unlike_085() -> None:
    value = F.rmsle(REG_PRED, REG_TARGET)
    assert close(value ** 2, LOG ** 2 / 4)  # 0.8.5 returned this square


PSNR_PRED = torch.tensor([[0.0, 1.0], [2.0, 3.0]])
PSNR_TARGET = torch.tensor([[3.0, 2.0], [1.0, 0.0]])  # squared errors 9, 1, 1, 9; range 3


@pytest.mark.parametrize(("kwargs", "expected"), [
    ({}, 10 * math.log10(9 / 5)),
    ({"reduction": "sum"}, 10 * math.log10(9 / 20)),
    ({"reduction": "none"}, [0.0, 10 * math.log10(9), 10 * math.log10(9), 0.0]),
    ({"base": 2.0}, 10 * math.log2(9 / 5)),
    ({"data_range": 6}, 10 * math.log10(36 / 5)),
])
def test_psnr_by_hand(kwargs: dict[str, Any], expected: Any) -> None:
    assert close(F.psnr(PSNR_PRED, PSNR_TARGET, **kwargs), expected)


def test_psnr_range_is_the_larger_of_pred_and_target() -> None:
    # target spans 1, pred spans 4; squared errors 1 and 4
    assert close(F.psnr(torch.tensor([0.0, 4.0]), torch.tensor([1.0, 2.0])),
                 10 * math.log10(16 / 2.5))


def test_regression_metrics_keep_the_graph() -> None:
    pred = REG_PRED.clone().requires_grad_()
    M.MSE()(pred, REG_TARGET).backward()
    assert pred.grad is not None and close(pred.grad, [0., 0., 0., .5])


# --- bad reductions ----------------------------------------------------------------------------

REDUCED: list[Callable[..., Any]] = [
    F.accuracy, F.precision, F.recall, F.precision_recall, F.f1_score, F.iou,
    lambda p, t, reduction: F.fbeta_score(p, t, 0.5, reduction=reduction),
    lambda p, t, reduction: F.dice_score(SCORES, t, reduction=reduction),
    F.mse, F.rmse, F.mae, F.rmsle, F.psnr,
]


@pytest.mark.parametrize("fn", REDUCED)
def test_a_bad_reduction_names_the_valid_ones(fn: Callable[..., Any]) -> None:
    with pytest.raises(ValueError, match=r"reduction='mean' .*'elementwise_mean'.*'sum'.*'none'"):
        fn(PRED.float(), TARGET.float(), reduction="mean")


@pytest.mark.parametrize("cls", [M.Accuracy, M.Precision, M.Recall, M.F1, M.DiceCoefficient,
                                 M.IoU, M.MSE, M.RMSE, M.MAE, M.RMSLE, M.PSNR,
                                 lambda reduction: M.FBeta(0.5, reduction=reduction)])
def test_a_bad_reduction_fails_at_construction(cls: Callable[..., Any]) -> None:
    with pytest.raises(ValueError, match="reduction='avg' is not a reduction"):
        cls(reduction="avg")


# --- classes equal the functions ---------------------------------------------------------------

PAIRS: list[tuple[Any, Callable[..., Any], tuple[Any, ...]]] = [
    (M.Accuracy(), F.accuracy, (SCORES, TARGET)),
    (M.Accuracy(num_classes=5, reduction="none"),
     lambda p, t: F.accuracy(p, t, 5, "none"), (PRED, TARGET)),
    (M.Precision(reduction="sum"), lambda p, t: F.precision(p, t, reduction="sum"),
     (PRED, TARGET)),
    (M.Recall(num_classes=6), lambda p, t: F.recall(p, t, 6), (PRED, TARGET)),
    (M.F1(reduction="none"), lambda p, t: F.f1_score(p, t, reduction="none"), (SCORES, TARGET)),
    (M.FBeta(2.0, num_classes=4), lambda p, t: F.fbeta_score(p, t, 2.0, 4), (PRED, TARGET)),
    (M.ConfusionMatrix(normalize=True), lambda p, t: F.confusion_matrix(p, t, True),
     (PRED, TARGET)),
    (M.DiceCoefficient(include_background=True, no_fg_score=0.5),
     lambda p, t: F.dice_score(p, t, bg=True, no_fg_score=0.5), (SCORES, TARGET)),
    (M.IoU(remove_bg=True), lambda p, t: F.iou(p, t, remove_bg=True), (PRED, TARGET)),
    (M.ROC(), F.roc, (BINARY_SCORE, BINARY_TARGET)),
    (M.ROC(pos_label=2), lambda p, t: F.roc(p, t, pos_label=2), (PRED, TARGET)),
    (M.PrecisionRecall(), F.precision_recall_curve, (PRED, TARGET)),
    (M.AUROC(), F.auroc, (BINARY_SCORE, BINARY_TARGET)),
    (M.AveragePrecision(pos_label=0), lambda p, t: F.average_precision(p, t, pos_label=0),
     (BINARY_SCORE, BINARY_TARGET)),
    (M.MulticlassROC(), F.multiclass_roc, (MC_PRED, MC_TARGET)),
    (M.MulticlassPrecisionRecall(num_classes=2),
     lambda p, t: F.multiclass_precision_recall_curve(p, t, num_classes=2), (MC_PRED, MC_TARGET)),
    (M.MSE(reduction="none"), lambda p, t: F.mse(p, t, "none"), (REG_PRED, REG_TARGET)),
    (M.RMSE(), F.rmse, (REG_PRED, REG_TARGET)),
    (M.MAE(reduction="sum"), lambda p, t: F.mae(p, t, "sum"), (REG_PRED, REG_TARGET)),
    (M.RMSLE(), F.rmsle, (REG_PRED, REG_TARGET)),
    (M.PSNR(data_range=3, base=2), lambda p, t: F.psnr(p, t, 3, 2.0), (PSNR_PRED, PSNR_TARGET)),
]


@pytest.mark.parametrize(("metric", "fn", "inputs"), PAIRS,
                         ids=[type(pair[0]).__name__ for pair in PAIRS])
def test_each_class_equals_its_function(metric: M.Metric, fn: Callable[..., Any],
                                        inputs: tuple[Any, ...]) -> None:
    assert close(metric(*inputs), fn(*inputs))


def test_sample_weight_reaches_the_curve_classes() -> None:
    weights = [1.0, 2.0, 1.0, 1.0]
    assert close(M.AUROC()(BINARY_SCORE, BINARY_TARGET, sample_weight=weights), 2 / 3)
    assert close(M.ROC()(BINARY_SCORE, BINARY_TARGET, weights),
                 F.roc(BINARY_SCORE, BINARY_TARGET, weights))


def test_tensor_metric_outputs_take_the_metric_dtype() -> None:
    precision, recall, thresholds = M.PrecisionRecall()(PRED, TARGET)
    assert thresholds.dtype == torch.float32 and close(thresholds, [1., 2., 3.])
    metric = M.ConfusionMatrix().double()
    assert metric.dtype == torch.float64 and metric(PRED, TARGET).dtype == torch.float64
    assert metric.device == torch.device("cpu") and metric.name == "confusion_matrix"
    assert metric.state_dict() == {}  # the dtype anchor is not saved


def test_metric_names_are_085s() -> None:
    names = {M.Accuracy(): "accuracy", M.AveragePrecision(): "AP", M.FBeta(1.0): "fbeta",
             M.DiceCoefficient(): "dice", M.IoU(): "iou", M.RMSLE(): "rmsle", M.PSNR(): "psnr",
             M.MulticlassPrecisionRecall(): "multiclass_precision_recall_curve"}
    assert {metric.name: name for metric, name in names.items()} == {
        name: name for name in names.values()}


# --- base classes ------------------------------------------------------------------------------

class _Total(M.TensorMetric):
    def forward(self, x: torch.Tensor, extra: Any = 0) -> Any:
        return {"sum": x.sum(), "pair": (x.max(), 1.5)}


class _Median(M.NumpyMetric):
    def forward(self, x: np.ndarray) -> Any:
        assert isinstance(x, np.ndarray)
        return np.median(x)


def test_metric_is_abstract() -> None:
    with pytest.raises(TypeError, match="abstract"):
        M.Metric("x")  # type: ignore[abstract]


def test_tensor_metric_converts_inputs_and_nested_outputs() -> None:
    out = _Total("total")(np.array([1, 2, 3]), extra=2)
    assert close(out["sum"], 6.0) and out["sum"].dtype == torch.float32
    assert close(out["pair"][0], 3.0) and close(out["pair"][1], [1.5])  # a number: one element


def test_numpy_metric_runs_numpy_and_returns_tensors() -> None:
    assert close(_Median("median")(torch.tensor([1.0, 5.0, 2.0])), [2.0])
    assert close(_Median("median")(np.array([4.0, 1.0, 2.0])), [2.0])


def test_a_bad_reduce_op_fails_at_construction() -> None:
    with pytest.raises(ValueError, match=r"reduce_op='average' is not a torch.distributed"):
        M.Accuracy(reduce_op="average")


def test_one_process_is_not_reduced() -> None:
    assert not dist.is_initialized()
    assert close(M.Accuracy(reduce_op="max")(PRED, TARGET), 0.75)


def test_all_lists_085s_names() -> None:
    classes = {"Accuracy", "AveragePrecision", "ConfusionMatrix", "DiceCoefficient", "F1",
               "FBeta", "Recall", "ROC", "AUROC", "MulticlassPrecisionRecall", "MulticlassROC",
               "Precision", "PrecisionRecall", "IoU", "MAE", "MSE", "PSNR", "RMSE", "RMSLE",
               "Metric", "TensorMetric", "NumpyMetric"}
    functions = {"accuracy", "auc", "auroc", "average_precision", "confusion_matrix",
                 "dice_score", "f1_score", "fbeta_score", "multiclass_precision_recall_curve",
                 "multiclass_roc", "precision", "precision_recall", "precision_recall_curve",
                 "recall", "roc", "stat_scores", "stat_scores_multiple_classes",
                 "to_categorical", "to_onehot", "iou", "mae", "mse", "psnr", "rmse", "rmsle"}
    assert set(M.__all__) == classes | {"functional"}
    assert set(F.__all__) == functions


# --- a real two-process reduction --------------------------------------------------------------

SHARDS = [(torch.tensor([0, 1, 2, 3]), torch.tensor([0, 1, 2, 2])),  # accuracy .75
          (torch.tensor([3, 1, 0, 3]), torch.tensor([3, 1, 2, 0]))]  # accuracy .5


def _ddp_worker(rank: int, port: int, out: str) -> None:
    dist.init_process_group("gloo", init_method=f"tcp://127.0.0.1:{port}", rank=rank,
                            world_size=2)
    try:
        pred, target = SHARDS[rank]
        group = dist.new_group([0, 1])
        results = {
            "accuracy": M.Accuracy()(pred, target),
            "max": M.Accuracy(reduce_op="max")(pred, target),
            "min_op": M.Accuracy(reduce_op=dist.ReduceOp.MIN, reduce_group=group)(pred, target),
            "confmat": M.ConfusionMatrix()(pred, target),
            "median": _Median("median")(pred.float()),
            "mse": M.MSE()(pred.float(), target.float()),  # a plain Metric: not reduced
        }
        torch.save(results, Path(out) / f"rank{rank}.pt")
    finally:
        dist.destroy_process_group()


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


@pytest.mark.slow
def test_two_processes_sum_each_output(tmp_path: Path) -> None:
    context = mp.start_processes(_ddp_worker, args=(_free_port(), str(tmp_path)), nprocs=2,
                                 join=False, start_method="spawn")
    deadline = time.monotonic() + 60
    while not context.join(timeout=1):
        if time.monotonic() > deadline:
            for process in context.processes:
                process.kill()
            pytest.fail("the two metric processes did not finish within 60 s")
    ranks = [torch.load(tmp_path / f"rank{r}.pt") for r in (0, 1)]
    full_matrix = F.confusion_matrix(torch.cat([p for p, _ in SHARDS]),
                                     torch.cat([t for _, t in SHARDS]))
    for result in ranks:
        assert close(result["accuracy"], 0.75 + 0.5)  # SUM, as 0.8.5 did
        assert close(result["max"], 0.75) and close(result["min_op"], 0.5)
        assert close(result["confmat"], full_matrix)  # summed counts are the whole data's
        assert close(result["median"], [1.5 + 2.0])  # medians of [0, 1, 2, 3] and [3, 1, 0, 3]
    assert close(ranks[0]["mse"], 0.25) and close(ranks[1]["mse"], (0 + 0 + 4 + 9) / 4)
