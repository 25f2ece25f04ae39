"""Model performance from labels, predictions and scores: regression and classification.

The definitions follow scikit-learn's (the tests check every metric against it); the
differences are deliberate and documented per function: a metric that is undefined on the
data (R² of a constant target, ROC AUC with one class present, precision with no positive
prediction) is ``None`` rather than NaN, 0 or a warning. Every number is a plain Python
``int`` or ``float``, so the result is JSON-ready.
"""

from __future__ import annotations

import math
from typing import Any

import numpy as np
from numpy.typing import ArrayLike, NDArray

from monitml.errors import DataError

__all__ = ["PROBABILITY_CLIP", "classification_metrics", "regression_metrics"]

FloatArray = NDArray[np.float64]
IntArray = NDArray[np.int64]
BoolArray = NDArray[np.bool_]

PROBABILITY_CLIP = 1e-15


def _column(values: ArrayLike, name: str) -> NDArray[Any]:
    array = np.asarray(values)
    if array.ndim != 1:
        raise DataError(f"{name} must be one-dimensional. Got shape {array.shape} instead.")
    return array


def _same_length(*arrays: tuple[str, NDArray[Any]]) -> None:
    (first_name, first), *rest = arrays
    for name, array in rest:
        if array.shape[0] != first.shape[0]:
            raise DataError(
                f"{name} has {array.shape[0]} rows but {first_name} has {first.shape[0]}"
            )


def regression_metrics(y_true: ArrayLike, y_pred: ArrayLike) -> dict[str, Any]:
    """Count, mean error, MAE, RMSE, MAPE and R² of predictions against true values.

    Rows where either value is NaN or infinite are dropped and counted in ``missing``.
    ``me`` is ``mean(y_pred - y_true)``: positive when the model over-predicts. ``mape`` is a
    fraction (0.1 is 10%) over the rows with ``y_true != 0`` only, where scikit-learn would
    divide by machine epsilon instead; it is ``None`` when no such row is left. ``r2`` is
    ``None`` for a constant target (scikit-learn reports 0 or 1 there).

    >>> metrics = regression_metrics([1.0, 2.0, 4.0, float("nan")], [2.0, 2.0, 3.0, 1.0])
    >>> metrics["count"], metrics["missing"], metrics["me"], metrics["mae"]
    (3, 1, 0.0, 0.6666666666666666)
    """
    truth = _column(y_true, "y_true").astype(np.float64, copy=False)
    predicted = _column(y_pred, "y_pred").astype(np.float64, copy=False)
    _same_length(("y_true", truth), ("y_pred", predicted))
    keep = np.isfinite(truth) & np.isfinite(predicted)
    if not keep.all():
        truth, predicted = truth[keep], predicted[keep]
    count = int(truth.size)
    metrics: dict[str, Any] = {
        "count": count,
        "missing": int(keep.size - count),
        "me": None,
        "mae": None,
        "rmse": None,
        "mape": None,
        "r2": None,
    }
    if count == 0:
        return metrics
    error = predicted - truth
    absolute = np.abs(error)
    squares = float(error @ error)
    spread = float(np.sum((truth - truth.mean()) ** 2))
    nonzero = truth != 0
    metrics.update(
        me=float(error.mean()),
        mae=float(absolute.mean()),
        rmse=math.sqrt(squares / count),
        mape=float(np.mean(absolute[nonzero] / np.abs(truth[nonzero]))) if nonzero.any() else None,
        r2=1.0 - squares / spread if spread > 0 else None,
    )
    return metrics


def _missing(values: NDArray[Any]) -> BoolArray:
    """``None`` or NaN; for objects, NaN is the one value unequal to itself."""
    missing: BoolArray
    if values.dtype.kind == "f":
        missing = np.isnan(values)
    elif values.dtype.kind == "O":
        missing = np.equal(values, np.array(None, dtype=object)) | np.not_equal(values, values)
    else:
        missing = np.zeros(values.size, dtype=bool)
    return missing


def _as_text(values: NDArray[Any]) -> NDArray[np.str_]:
    # Integral floats (labels read through a column with missing values) print as ints, so
    # that 1.0 and 1 are one label.
    if values.dtype.kind == "f" and bool(np.all(np.mod(values, 1.0) == 0.0)):
        values = values.astype(np.int64)
    return values.astype(str)


def _sorted_labels(names: set[str]) -> list[str]:
    """Numerical order when every label is a number (so "10" follows "9"), text order if not."""
    try:
        return sorted(names, key=lambda name: (float(name), name))
    except ValueError:
        return sorted(names)


def _default_positive(names: list[str]) -> str:
    for candidate in ("1", "True"):
        if candidate in names:
            return candidate
    return _sorted_labels(set(names))[-1]


def _encode(values: NDArray[np.str_], names: list[str], name: str) -> IntArray:
    """Each value's index in ``names``; a value outside ``names`` is an error."""
    table = np.array(names, dtype=str)
    order = np.argsort(table)
    spot = np.searchsorted(table, values, sorter=order)
    codes = order[np.minimum(spot, table.size - 1)] if table.size else spot
    unknown = table[codes] != values if table.size else np.ones(values.size, dtype=bool)
    if values.size and unknown.any():
        extra = _sorted_labels(set(values[unknown].tolist()))[:5]
        raise DataError(f"{name} has labels that are not in labels: {', '.join(extra)}")
    return codes.astype(np.int64)


def _ratio(part: float, whole: float) -> float | None:
    return float(part / whole) if whole else None


def _macro(part: IntArray, whole: IntArray) -> float | None:
    defined = whole > 0
    return float(np.mean(part[defined] / whole[defined])) if defined.any() else None


def classification_metrics(
    y_true: ArrayLike,
    y_pred: ArrayLike,
    *,
    labels: ArrayLike | None = None,
    scores: ArrayLike | None = None,
    positive_label: Any = None,
) -> dict[str, Any]:
    """Accuracy, precision, recall, F1, ROC AUC, log loss and the confusion matrix.

    Labels are compared as text (``True`` is ``"True"``, ``1`` and ``1.0`` are ``"1"``). They
    default to every label seen in ``y_true``, ``y_pred`` and ``positive_label``, in numerical
    order when all are numbers; given ``labels`` fix the order (of the confusion matrix and of
    the score columns) and every label in the data must be among them. Rows where either
    value is missing (``None`` or NaN) are dropped and counted in ``missing``.

    With one or two labels, precision, recall and F1 are those of ``positive_label``, which
    defaults to ``"1"`` or ``"True"`` when present and else the last label in sorted order.
    With more labels they are macro averages over the labels where each is defined (precision
    over the labels predicted at least once, recall over those present, F1 over those in
    either), where scikit-learn would count the undefined ones as 0.

    ``scores`` are for ROC AUC and log loss: for one or two labels a 1-D array of the
    positive label's probability, otherwise one column per label in ``labels`` order. ROC
    AUC is the Mann–Whitney statistic with tied scores sharing their average rank; for more
    than two labels, one-vs-rest and macro-averaged over the labels for which ``y_true`` has
    both positives and negatives. Log loss clips probabilities to ``[1e-15, 1 - 1e-15]`` and
    renormalises each row. Rows with a non-finite score are left out of both.

    >>> metrics = classification_metrics(["a", "b", "b", "a"], ["a", "b", "a", "a"])
    >>> metrics["labels"], metrics["positive_label"], metrics["accuracy"], metrics["recall"]
    (['a', 'b'], 'b', 0.75, 0.5)
    >>> metrics["confusion_matrix"]
    [[2, 0], [1, 1]]
    """
    truth_raw, predicted_raw = _column(y_true, "y_true"), _column(y_pred, "y_pred")
    _same_length(("y_true", truth_raw), ("y_pred", predicted_raw))
    keep = ~(_missing(truth_raw) | _missing(predicted_raw))
    truth, predicted = _as_text(truth_raw[keep]), _as_text(predicted_raw[keep])
    positive = None if positive_label is None else str(_as_text(np.asarray([positive_label]))[0])

    if labels is None:
        seen = set(np.unique(truth).tolist()) | set(np.unique(predicted).tolist())
        names = _sorted_labels(seen | ({positive} if positive is not None else set()))
    else:
        names = _as_text(np.asarray(labels).ravel()).tolist()
        if len(set(names)) != len(names):
            raise DataError(f"labels must be distinct. Got {names} instead.")
        if positive is not None and positive not in names:
            raise DataError(f"positive_label {positive!r} is not one of labels {names}")
    size = len(names)
    true_codes = _encode(truth, names, "y_true")
    predicted_codes = _encode(predicted, names, "y_pred")
    count = int(truth.size)
    binary = 0 < size <= 2
    if binary and positive is None:
        positive = _default_positive(names)
    if not binary:
        positive = None

    matrix = np.bincount(true_codes * size + predicted_codes, minlength=size * size).reshape(
        size, size
    )
    hits = np.diag(matrix).astype(np.int64)
    predicted_totals, true_totals = matrix.sum(axis=0), matrix.sum(axis=1)
    if positive is not None:
        j = names.index(positive)
        precision = _ratio(hits[j], predicted_totals[j])
        recall = _ratio(hits[j], true_totals[j])
        f1 = _ratio(2 * hits[j], true_totals[j] + predicted_totals[j])
    else:
        precision = _macro(hits, predicted_totals)
        recall = _macro(hits, true_totals)
        f1 = _macro(2 * hits, true_totals + predicted_totals)

    roc_auc = log_loss = None
    if scores is not None and size:
        roc_auc, log_loss = _score_metrics(scores, keep, true_codes, names, positive)
    return {
        "count": count,
        "missing": int(keep.size - count),
        "labels": names,
        "positive_label": positive,
        "accuracy": _ratio(int(hits.sum()), count),
        "precision": precision,
        "recall": recall,
        "f1": f1,
        "roc_auc": roc_auc,
        "log_loss": log_loss,
        "confusion_matrix": matrix.tolist(),
    }


def _score_metrics(
    scores: ArrayLike, keep: BoolArray, codes: IntArray, names: list[str], positive: str | None
) -> tuple[float | None, float | None]:
    array = np.asarray(scores, dtype=np.float64)
    if array.shape[:1] != keep.shape:
        raise DataError(
            f"scores must have one row per row of y_true ({keep.size}). "
            f"Got shape {array.shape} instead."
        )
    array = array[keep]
    if array.ndim == 1 and positive is not None:
        finite = np.isfinite(array)
        probability, is_positive = array[finite], codes[finite] == names.index(positive)
        if not probability.size:
            return None, None
        # Clipped to [eps, 1 - eps], p and 1 - p already sum to one.
        clipped = np.clip(probability, PROBABILITY_CLIP, 1.0 - PROBABILITY_CLIP)
        chosen = np.where(is_positive, clipped, 1.0 - clipped)
        return _auc(probability, is_positive), float(-np.mean(np.log(chosen)))
    size = len(names)
    if array.ndim != 2 or array.shape[1] != size:
        expected = (
            f"be 1-D or have {size} columns" if positive is not None else f"have {size} columns"
        )
        raise DataError(
            f"scores must {expected}, one per label in labels order. "
            f"Got shape {array.shape} instead."
        )
    complete = np.isfinite(array).all(axis=1)
    if not complete.any():
        return None, None
    array, codes = array[complete], codes[complete]
    if positive is not None:
        auc = _auc(array[:, names.index(positive)], codes == names.index(positive))
    else:
        per_label = [_auc(array[:, j], codes == j) for j in range(size)]
        defined = [value for value in per_label if value is not None]
        auc = float(np.mean(defined)) if defined else None
    clipped = np.clip(array, PROBABILITY_CLIP, 1.0 - PROBABILITY_CLIP)
    chosen = clipped[np.arange(codes.size), codes] / clipped.sum(axis=1)
    return auc, float(-np.mean(np.log(chosen)))


def _auc(scores: FloatArray, positive: BoolArray) -> float | None:
    """ROC AUC as the Mann–Whitney U of the positives over n_pos·n_neg, ties at mean rank.

    >>> _auc(np.array([0.1, 0.4, 0.4, 0.8]), np.array([False, False, True, True]))
    0.875
    """
    n_positive = int(np.count_nonzero(positive))
    n_negative = positive.size - n_positive
    if n_positive == 0 or n_negative == 0:
        return None
    ordered = np.sort(scores)
    # Sorted queries keep the binary searches cache-friendly (~10x faster on 1M rows).
    mine = np.sort(scores[positive])
    # 1-based ranks: a value tied over sorted positions L+1..R gets (L + 1 + R) / 2.
    ranks = (
        np.searchsorted(ordered, mine, side="left") + np.searchsorted(ordered, mine, side="right")
    ) + 1
    u = float(ranks.sum()) / 2.0 - n_positive * (n_positive + 1) / 2.0
    return u / (n_positive * n_negative)
