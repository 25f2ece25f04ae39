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
    "Sums",
    "binary_from_sums",
    "binary_metrics",
    "binary_sums",
    "expected_auc",
    "multiclass_from_sums",
    "multiclass_metrics",
    "multiclass_sums",
    "regression_errors",
    "regression_from_sums",
    "regression_sums",
]

CLASSIFICATION_METRICS = ("roc_auc", "f1", "precision", "recall", "specificity", "accuracy")
REGRESSION_METRICS = ("mae", "rmse")

Floats = NDArray[np.float64]
MetricFunction = Callable[..., dict[str, float]]
# Sufficient sums of a set of rows (``*_sums``): two sets' sums add up to their union's, and
# ``*_from_sums`` turns them into the metrics that are ratios of them (all but ROC AUC).
Sums = dict[str, float]


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


def _confusion_sums(positive: Floats, predicted: NDArray[np.bool_], prefix: str = "") -> Sums:
    """The expected true positives and false negatives, and the rows predicted either way."""
    return {
        f"{prefix}tp": float(positive[predicted].sum()),
        f"{prefix}fn": float(positive[~predicted].sum()),
        f"{prefix}predicted": float(predicted.sum()),
        f"{prefix}others": float((~predicted).sum()),
    }


def _confusion(sums: Sums, prefix: str = "") -> dict[str, float]:
    tp, fn = sums[f"{prefix}tp"], sums[f"{prefix}fn"]
    fp = sums[f"{prefix}predicted"] - tp
    tn = sums[f"{prefix}others"] - fn
    return {
        "f1": _ratio(2 * tp, 2 * tp + fp + fn),
        "precision": _ratio(tp, tp + fp),
        "recall": _ratio(tp, tp + fn),
        "specificity": _ratio(tn, tn + fp),
        "accuracy": _ratio(tp + tn, tp + tn + fp + fn),
    }


def binary_sums(positive: Floats, predicted: NDArray[np.int_]) -> Sums:
    """What the binary metrics but ROC AUC are ratios of (``predicted`` 1 for the positive)."""
    return {"rows": float(positive.size), **_confusion_sums(positive, predicted.astype(bool))}


def binary_from_sums(sums: Sums) -> dict[str, float]:
    """The metrics of ``binary_metrics`` but ROC AUC, from ``binary_sums`` (added up)."""
    return _confusion(sums)


def binary_metrics(
    positive: Floats, predicted: NDArray[np.int_], scores: Floats
) -> dict[str, float]:
    """The six metrics of a binary classifier; ``predicted`` is 1 for the positive class."""
    metrics = binary_from_sums(binary_sums(positive, predicted))
    metrics["roc_auc"] = expected_auc(scores, positive)
    return metrics


def multiclass_sums(probabilities: Floats, predicted: NDArray[np.int_]) -> Sums:
    """What the multiclass metrics but ROC AUC are ratios of: each class's confusion sums
    (one against the rest) and the expected number of rows predicted right."""
    sums: Sums = {"rows": float(probabilities.shape[0])}
    for k in range(probabilities.shape[1]):
        sums.update(_confusion_sums(probabilities[:, k], predicted == k, f"{k}:"))
    rows = np.arange(probabilities.shape[0])
    sums["right"] = float(probabilities[rows, predicted].sum())
    return sums


def multiclass_from_sums(sums: Sums, classes: int) -> dict[str, float]:
    """The metrics of ``multiclass_metrics`` but ROC AUC, from ``multiclass_sums`` (added up)
    of ``classes`` classes."""
    per_class: dict[str, list[float]] = {name: [] for name in CLASSIFICATION_METRICS}
    for k in range(classes):
        for name, value in _confusion(sums, f"{k}:").items():
            per_class[name].append(value)
    return {
        **_macro(per_class, exclude=("accuracy", "roc_auc")),
        "accuracy": sums["right"] / sums["rows"] if sums["rows"] else float("nan"),
    }


def _macro(per_class: dict[str, list[float]], exclude: tuple[str, ...]) -> dict[str, float]:
    return {
        name: float(np.nanmean(values)) if np.isfinite(values).any() else float("nan")
        for name, values in per_class.items()
        if name not in exclude
    }


def multiclass_metrics(
    probabilities: Floats, predicted: NDArray[np.int_], scores: Floats
) -> dict[str, float]:
    """Macro averages over the classes (one against the rest); accuracy over all rows.

    ``probabilities`` and ``scores`` are ``(rows, classes)``; ``predicted`` holds class indices.
    A class that never occurs (weight zero) is left out of the averages, as sklearn warns.
    """
    aucs = [expected_auc(scores[:, k], probabilities[:, k]) for k in range(probabilities.shape[1])]
    sums = multiclass_sums(probabilities, predicted)
    result = multiclass_from_sums(sums, probabilities.shape[1])
    return {**_macro({"roc_auc": aucs}, exclude=()), **result}


def regression_sums(absolute: Floats, squared: Floats) -> Sums:
    """The rows and the sums of their absolute and squared errors (expected or realised)."""
    return {
        "rows": float(absolute.size),
        "absolute": float(np.sum(absolute)),
        "squared": float(np.sum(squared)),
    }


def regression_from_sums(sums: Sums) -> dict[str, float]:
    """MAE and RMSE from ``regression_sums`` (added up)."""
    rows = sums["rows"]
    if rows == 0:
        return {"mae": float("nan"), "rmse": float("nan")}
    return {
        "mae": sums["absolute"] / rows,
        "rmse": float(np.sqrt(max(sums["squared"] / rows, 0.0))),
    }


def regression_errors(absolute: Floats, squared: Floats) -> dict[str, float]:
    """MAE and RMSE from per-row absolute and squared errors (expected or realised)."""
    return regression_from_sums(regression_sums(absolute, squared))
