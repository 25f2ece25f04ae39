"""Mergeable counts behind the performance metrics: confusion counts and error sums.

The prediction and target columns are summarised like any column (``NumericSummary`` or
``CategoricalSummary``); these add what ``monitml.stats.performance`` needs once labels are
joined. Classification: the confusion matrix over a fixed label list (counts add exactly),
from which accuracy, precision, recall and F1 follow as ``classification_metrics`` defines
them. Regression: count, and the sums of error, |error|, error², |error| / |truth| over the
rows with a non-zero truth, and the truth's sum and ``m2`` (for R²), merged by Chan's rule.
ROC AUC and log loss need the scores and are not kept.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from typing import Any

import numpy as np
from numpy.typing import ArrayLike, NDArray

from monitml.errors import DataError
from monitml.stats.performance import classification_metrics

__all__ = [
    "ClassificationSummary",
    "RegressionSummary",
    "summarise_classification",
    "summarise_regression",
]

IntArray = NDArray[np.int64]


@dataclass(frozen=True, slots=True, eq=False)
class ClassificationSummary:
    """Confusion counts over ``labels`` (rows: truth, columns: prediction)."""

    labels: tuple[str, ...]
    matrix: IntArray
    missing: int
    positive_label: str | None = None

    def merge(self, other: ClassificationSummary) -> ClassificationSummary:
        if self.labels != other.labels or self.positive_label != other.positive_label:
            raise DataError("cannot merge confusion counts over different labels")
        return ClassificationSummary(
            self.labels,
            self.matrix + other.matrix,
            self.missing + other.missing,
            self.positive_label,
        )

    def metrics(self) -> dict[str, Any]:
        """``classification_metrics`` of the rows behind the counts, without the scores."""
        matrix = self.matrix
        count = int(matrix.sum())
        hits = np.diag(matrix)
        predicted, true = matrix.sum(axis=0), matrix.sum(axis=1)
        if self.positive_label is not None:
            j = self.labels.index(self.positive_label)
            precision = _ratio(hits[j], predicted[j])
            recall = _ratio(hits[j], true[j])
            f1 = _ratio(2 * hits[j], true[j] + predicted[j])
        else:
            precision, recall = _macro(hits, predicted), _macro(hits, true)
            f1 = _macro(2 * hits, true + predicted)
        return {
            "count": count,
            "missing": self.missing,
            "labels": list(self.labels),
            "positive_label": self.positive_label,
            "accuracy": _ratio(int(hits.sum()), count),
            "precision": precision,
            "recall": recall,
            "f1": f1,
            "roc_auc": None,
            "log_loss": None,
            "confusion_matrix": matrix.tolist(),
        }


def _ratio(part: float, whole: float) -> float | None:
    return float(part / whole) if whole else None


def _macro(part: IntArray, whole: IntArray) -> float | None:
    defined = whole > 0
    return float(np.mean(part[defined] / whole[defined])) if defined.any() else None


def summarise_classification(
    y_true: ArrayLike,
    y_pred: ArrayLike,
    labels: list[str],
    *,
    positive_label: str | None = None,
) -> ClassificationSummary:
    """Confusion counts of one batch over a fixed label list (labels compared as text).

    The label list must be fixed for counts to merge: pass the model's classes.
    """
    found = classification_metrics(y_true, y_pred, labels=labels, positive_label=positive_label)
    size = len(found["labels"])
    matrix = np.asarray(found["confusion_matrix"], dtype=np.int64).reshape(size, size)
    return ClassificationSummary(
        tuple(found["labels"]), matrix, int(found["missing"]), found["positive_label"]
    )


@dataclass(frozen=True, slots=True)
class RegressionSummary:
    """Sums of the errors ``prediction − truth`` and of the truth, over the rows with both."""

    count: int = 0
    missing: int = 0
    sum_error: float = 0.0
    sum_abs_error: float = 0.0
    sum_sq_error: float = 0.0
    sum_abs_pct: float = 0.0
    nonzero: int = 0
    truth_total: float = 0.0
    truth_m2: float = 0.0

    def merge(self, other: RegressionSummary) -> RegressionSummary:
        count = self.count + other.count
        m2 = self.truth_m2 + other.truth_m2
        if self.count and other.count:
            delta = other.truth_total / other.count - self.truth_total / self.count
            m2 += delta * delta * (self.count * other.count / count)
        return RegressionSummary(
            count=count,
            missing=self.missing + other.missing,
            sum_error=self.sum_error + other.sum_error,
            sum_abs_error=self.sum_abs_error + other.sum_abs_error,
            sum_sq_error=self.sum_sq_error + other.sum_sq_error,
            sum_abs_pct=self.sum_abs_pct + other.sum_abs_pct,
            nonzero=self.nonzero + other.nonzero,
            truth_total=self.truth_total + other.truth_total,
            truth_m2=m2,
        )

    def metrics(self) -> dict[str, Any]:
        """The same keys and definitions as ``regression_metrics``."""
        n = self.count
        return {
            "count": n,
            "missing": self.missing,
            "me": self.sum_error / n if n else None,
            "mae": self.sum_abs_error / n if n else None,
            "rmse": math.sqrt(self.sum_sq_error / n) if n else None,
            "mape": self.sum_abs_pct / self.nonzero if self.nonzero else None,
            "r2": 1.0 - self.sum_sq_error / self.truth_m2 if n and self.truth_m2 > 0 else None,
        }


def summarise_regression(y_true: ArrayLike, y_pred: ArrayLike) -> RegressionSummary:
    truth = np.asarray(y_true, dtype=np.float64).ravel()
    predicted = np.asarray(y_pred, dtype=np.float64).ravel()
    if truth.size != predicted.size:
        raise DataError(f"y_pred has {predicted.size} rows but y_true has {truth.size}")
    keep = np.isfinite(truth) & np.isfinite(predicted)
    truth, predicted = truth[keep], predicted[keep]
    count = int(truth.size)
    if count == 0:
        return RegressionSummary(missing=int(keep.size))
    error = predicted - truth
    absolute = np.abs(error)
    nonzero = truth != 0
    centred = truth - truth.mean()
    return RegressionSummary(
        count=count,
        missing=int(keep.size - count),
        sum_error=float(error.sum()),
        sum_abs_error=float(absolute.sum()),
        sum_sq_error=float(error @ error),
        sum_abs_pct=float(np.sum(absolute[nonzero] / np.abs(truth[nonzero]))),
        nonzero=int(nonzero.sum()),
        truth_total=float(truth.sum()),
        truth_m2=float(centred @ centred),
    )
