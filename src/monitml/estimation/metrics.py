"""Classification metrics from an expected confusion matrix, and regression errors.

Every function takes the chance that each row belongs to a class — a calibrated probability for
an estimate, or the 0/1 label itself for the realised value — so the estimate and the realised
metric are the same formula. ``expected_auc`` is the Mann–Whitney statistic with each row
counted as positive with weight ``p`` and negative with weight ``1 - p``, ranking by the model's
own score (ties count half; a row is never paired with itself).

>>> import numpy as np
>>> y = np.array([0.0, 0.0, 1.0, 1.0])
>>> float(expected_auc(np.array([0.1, 0.4, 0.35, 0.8]), y))  # sklearn's roc_auc_score: 0.75
0.75
>>> binary_metrics(y, np.array([0, 1, 1, 1]), np.array([0.1, 0.6, 0.7, 0.9]))["f1"]
0.8
"""

from __future__ import annotations

from collections.abc import Callable

import numpy as np
from numpy.typing import NDArray

__all__ = [
    "CLASSIFICATION_METRICS",
    "REGRESSION_METRICS",
    "binary_metrics",
    "expected_auc",
    "multiclass_metrics",
    "regression_errors",
]

CLASSIFICATION_METRICS = ("roc_auc", "f1", "precision", "recall", "specificity", "accuracy")
REGRESSION_METRICS = ("mae", "rmse")

Floats = NDArray[np.float64]
MetricFunction = Callable[..., dict[str, float]]


def _ratio(numerator: float, denominator: float) -> float:
    return numerator / denominator if denominator > 0 else float("nan")


def expected_auc(scores: Floats, positive: Floats) -> float:
    """ROC AUC expected when row ``i`` is positive with chance ``positive[i]``."""
    if scores.size < 2:
        return float("nan")
    order = np.argsort(scores, kind="mergesort")
    ranked = scores[order]
    pos = positive[order]
    neg = 1.0 - pos
    starts = np.flatnonzero(np.r_[True, ranked[1:] != ranked[:-1]])
    pos_tie = np.add.reduceat(pos, starts)
    neg_tie = np.add.reduceat(neg, starts)
    neg_below = np.cumsum(neg_tie) - neg_tie
    self_pairs = float(np.dot(pos, neg))
    numerator = float(np.dot(pos_tie, neg_below + 0.5 * neg_tie)) - 0.5 * self_pairs
    denominator = float(pos.sum()) * float(neg.sum()) - self_pairs
    return _ratio(numerator, denominator)


def _confusion(positive: Floats, predicted: NDArray[np.bool_]) -> dict[str, float]:
    tp = float(positive[predicted].sum())
    fp = float(predicted.sum()) - tp
    fn = float(positive[~predicted].sum())
    tn = float((~predicted).sum()) - fn
    return {
        "f1": _ratio(2 * tp, 2 * tp + fp + fn),
        "precision": _ratio(tp, tp + fp),
        "recall": _ratio(tp, tp + fn),
        "specificity": _ratio(tn, tn + fp),
        "accuracy": _ratio(tp + tn, tp + tn + fp + fn),
    }


def binary_metrics(
    positive: Floats, predicted: NDArray[np.int_], scores: Floats
) -> dict[str, float]:
    """The six metrics of a binary classifier; ``predicted`` is 1 for the positive class."""
    metrics = _confusion(positive, predicted.astype(bool))
    metrics["roc_auc"] = expected_auc(scores, positive)
    return metrics


def multiclass_metrics(
    probabilities: Floats, predicted: NDArray[np.int_], scores: Floats
) -> dict[str, float]:
    """Macro averages over the classes (one against the rest); accuracy over all rows.

    ``probabilities`` and ``scores`` are ``(rows, classes)``; ``predicted`` holds class indices.
    A class that never occurs (weight zero) is left out of the averages, as sklearn warns.
    """
    per_class: dict[str, list[float]] = {name: [] for name in CLASSIFICATION_METRICS}
    for k in range(probabilities.shape[1]):
        positive = probabilities[:, k]
        metrics = _confusion(positive, predicted == k)
        metrics["roc_auc"] = expected_auc(scores[:, k], positive)
        for name in CLASSIFICATION_METRICS:
            if name != "accuracy":
                per_class[name].append(metrics[name])
    rows = np.arange(probabilities.shape[0])
    result = {
        name: float(np.nanmean(values)) if np.isfinite(values).any() else float("nan")
        for name, values in per_class.items()
        if name != "accuracy"
    }
    result["accuracy"] = float(probabilities[rows, predicted].mean()) if rows.size else float("nan")
    return result


def regression_errors(absolute: Floats, squared: Floats) -> dict[str, float]:
    """MAE and RMSE from per-row absolute and squared errors (expected or realised)."""
    if absolute.size == 0:
        return {"mae": float("nan"), "rmse": float("nan")}
    return {
        "mae": float(np.mean(absolute)),
        "rmse": float(np.sqrt(max(float(np.mean(squared)), 0.0))),
    }
