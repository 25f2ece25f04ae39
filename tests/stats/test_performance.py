"""Regression and classification metrics, checked against scikit-learn and worked values."""

from __future__ import annotations

import json
import math
from collections.abc import Callable
from typing import Any

import numpy as np
import pytest
from sklearn import metrics as sk

from monitml.errors import DataError
from monitml.stats.performance import classification_metrics, regression_metrics

NAN = float("nan")


def _assert_plain(value: Any) -> None:
    """JSON-ready: builtin types only (no numpy scalars), no NaN or infinity."""
    json.dumps(value, allow_nan=False)
    if isinstance(value, dict):
        for item in value.values():
            _assert_plain(item)
    elif isinstance(value, list):
        for item in value:
            _assert_plain(item)
    else:
        assert value is None or type(value) in {bool, int, float, str}


# --- regression -------------------------------------------------------------------------------

REGRESSION_DATA: dict[str, Callable[[np.random.Generator], tuple[np.ndarray, np.ndarray]]] = {
    "normal-noise": lambda rng: (t := rng.normal(50, 10, 2_000), t + rng.normal(0, 3, t.size)),
    "biased-skewed": lambda rng: (
        t := rng.lognormal(2, 1, 2_000),
        1.2 * t + rng.exponential(2, t.size),
    ),
    "five-rows": lambda rng: (rng.uniform(1, 9, 5), rng.uniform(1, 9, 5)),
    "worse-than-the-mean": lambda rng: (rng.normal(0, 1, 300) + 5, rng.normal(0, 5, 300) + 5),
}


@pytest.mark.parametrize("shape", list(REGRESSION_DATA))
def test_regression_metrics_match_scikit_learn(shape: str) -> None:
    y_true, y_pred = REGRESSION_DATA[shape](np.random.default_rng(len(shape)))
    metrics = regression_metrics(y_true, y_pred)
    assert metrics["count"] == y_true.size
    assert metrics["missing"] == 0
    assert metrics["me"] == pytest.approx(np.mean(y_pred - y_true))
    assert metrics["mae"] == pytest.approx(sk.mean_absolute_error(y_true, y_pred))
    assert metrics["rmse"] == pytest.approx(math.sqrt(sk.mean_squared_error(y_true, y_pred)))
    assert metrics["mape"] == pytest.approx(sk.mean_absolute_percentage_error(y_true, y_pred))
    assert metrics["r2"] == pytest.approx(sk.r2_score(y_true, y_pred))
    _assert_plain(metrics)


def test_mean_error_is_positive_when_the_model_over_predicts() -> None:
    metrics = regression_metrics([1.0, 2.0, 3.0], [2.0, 3.0, 3.0])
    assert metrics["me"] == pytest.approx(2 / 3)
    assert metrics["mae"] == pytest.approx(2 / 3)
    assert metrics["rmse"] == pytest.approx(math.sqrt(2 / 3))


def test_mape_leaves_out_rows_whose_true_value_is_zero() -> None:
    rng = np.random.default_rng(3)
    y_true = rng.integers(0, 5, 1_000).astype(float)
    y_pred = y_true + rng.normal(0, 1, y_true.size)
    nonzero = y_true != 0
    metrics = regression_metrics(y_true, y_pred)
    expected = sk.mean_absolute_percentage_error(y_true[nonzero], y_pred[nonzero])
    assert metrics["mape"] == pytest.approx(expected)
    assert metrics["mae"] == pytest.approx(sk.mean_absolute_error(y_true, y_pred))


def test_mape_is_none_when_every_true_value_is_zero() -> None:
    metrics = regression_metrics([0.0, 0.0, 0.0], [1.0, -1.0, 0.5])
    assert metrics["mape"] is None
    assert metrics["mae"] == pytest.approx(2.5 / 3)


def test_regression_drops_and_counts_rows_with_a_missing_value_on_either_side() -> None:
    rng = np.random.default_rng(11)
    y_true, y_pred = rng.normal(0, 1, 500), rng.normal(0, 1, 500)
    y_true[:7], y_pred[100:103], y_pred[200] = NAN, NAN, np.inf
    keep = np.isfinite(y_true) & np.isfinite(y_pred)
    metrics = regression_metrics(y_true, y_pred)
    assert (metrics["count"], metrics["missing"]) == (489, 11)
    assert metrics["mae"] == pytest.approx(sk.mean_absolute_error(y_true[keep], y_pred[keep]))
    assert metrics["r2"] == pytest.approx(sk.r2_score(y_true[keep], y_pred[keep]))


@pytest.mark.parametrize(
    ("y_true", "y_pred"),
    [
        pytest.param([3.0, 3.0, 3.0], [3.0, 3.0, 3.0], id="constant-perfect"),
        pytest.param([3.0, 3.0, 3.0], [1.0, 2.0, 3.0], id="constant-target"),
        pytest.param([4.0], [5.0], id="one-row"),
    ],
)
def test_r2_is_none_for_a_constant_target(y_true: list[float], y_pred: list[float]) -> None:
    metrics = regression_metrics(y_true, y_pred)
    assert metrics["r2"] is None
    _assert_plain(metrics)


@pytest.mark.parametrize(
    ("y_true", "y_pred"),
    [
        pytest.param([], [], id="no-rows"),
        pytest.param([NAN, 1.0], [2.0, NAN], id="all-rows-missing"),
    ],
)
def test_regression_without_usable_rows_gives_none_for_every_metric(
    y_true: list[float], y_pred: list[float]
) -> None:
    metrics = regression_metrics(y_true, y_pred)
    assert metrics["count"] == 0
    assert all(metrics[key] is None for key in ("me", "mae", "rmse", "mape", "r2"))
    _assert_plain(metrics)


def test_regression_rejects_arrays_of_different_lengths() -> None:
    with pytest.raises(DataError, match="y_pred has 2 rows but y_true has 3"):
        regression_metrics([1.0, 2.0, 3.0], [1.0, 2.0])


# --- classification: labels, counts and the confusion matrix ----------------------------------

LABEL_SETS: dict[str, list[Any]] = {
    "binary-strings": ["churn", "stay"],
    "binary-ints": [0, 1],
    "binary-bools": [False, True],
    "multiclass-strings": ["bird", "cat", "dog", "eel"],
    "multiclass-ints": [0, 1, 2, 5, 12],
}


def _labelled(
    rng: np.random.Generator, classes: list[Any], size: int = 3_000, accuracy: float = 0.7
) -> tuple[np.ndarray, np.ndarray]:
    options = np.array(classes)
    y_true = options[rng.integers(0, options.size, size)]
    guesses = options[rng.integers(0, options.size, size)]
    y_pred = np.where(rng.random(size) < accuracy, y_true, guesses)
    return y_true, y_pred


@pytest.mark.parametrize("label_set", list(LABEL_SETS))
def test_label_metrics_and_confusion_matrix_match_scikit_learn(label_set: str) -> None:
    classes = LABEL_SETS[label_set]
    y_true, y_pred = _labelled(np.random.default_rng(len(label_set)), classes)
    metrics = classification_metrics(y_true, y_pred)
    binary = len(classes) == 2
    average = {"average": "binary", "pos_label": classes[-1]} if binary else {"average": "macro"}
    precision, recall, f1, _ = sk.precision_recall_fscore_support(y_true, y_pred, **average)
    assert metrics["labels"] == [str(c) for c in classes]
    assert metrics["positive_label"] == (str(classes[-1]) if binary else None)
    assert metrics["count"] == y_true.size
    assert metrics["accuracy"] == pytest.approx(sk.accuracy_score(y_true, y_pred))
    assert (metrics["precision"], metrics["recall"], metrics["f1"]) == pytest.approx(
        (precision, recall, f1)
    )
    assert metrics["confusion_matrix"] == sk.confusion_matrix(y_true, y_pred).tolist()
    _assert_plain(metrics)


def test_confusion_matrix_rows_are_true_labels_and_columns_predictions() -> None:
    metrics = classification_metrics(["a", "a", "a", "b"], ["a", "b", "b", "b"])
    assert metrics["confusion_matrix"] == [[1, 2], [0, 1]]
    assert metrics["precision"] == pytest.approx(1 / 3)
    assert metrics["recall"] == 1.0
    assert metrics["f1"] == pytest.approx(0.5)


def test_given_labels_fix_the_order_of_the_confusion_matrix() -> None:
    metrics = classification_metrics(
        ["a", "b", "c", "c"], ["a", "c", "c", "b"], labels=["c", "b", "a"]
    )
    assert metrics["labels"] == ["c", "b", "a"]
    assert metrics["confusion_matrix"] == [[1, 1, 0], [1, 0, 0], [0, 0, 1]]


def test_a_label_outside_the_given_labels_is_an_error() -> None:
    with pytest.raises(DataError, match="y_pred has labels that are not in labels: z"):
        classification_metrics(["a", "b"], ["a", "z"], labels=["a", "b"])


def test_numeric_labels_are_sorted_as_numbers() -> None:
    metrics = classification_metrics([9, 10, 2], [10, 9, 2])
    assert metrics["labels"] == ["2", "9", "10"]


def test_integral_float_predictions_are_the_same_labels_as_ints() -> None:
    metrics = classification_metrics(np.array([0, 1, 1]), np.array([0.0, 1.0, 0.0]))
    assert metrics["labels"] == ["0", "1"]
    assert metrics["accuracy"] == pytest.approx(2 / 3)


def test_classification_drops_and_counts_rows_with_a_missing_label() -> None:
    y_true = np.array(["a", None, "b", "b", "a"], dtype=object)
    y_pred = np.array(["a", "b", float("nan"), "b", "b"], dtype=object)
    metrics = classification_metrics(y_true, y_pred)
    assert (metrics["count"], metrics["missing"]) == (3, 2)
    assert metrics["confusion_matrix"] == [[1, 1], [0, 1]]


@pytest.mark.parametrize(
    ("labels", "positive"),
    [
        pytest.param(["0", "1"], "1", id="one"),
        pytest.param([True, False], "True", id="true"),
        pytest.param(["yes", "no"], "yes", id="last-in-sorted-order"),
        pytest.param([1, 2], "1", id="one-over-last"),
        pytest.param(["neg"], "neg", id="single-label"),
    ],
)
def test_default_positive_label(labels: list[Any], positive: str) -> None:
    metrics = classification_metrics([labels[0]], [labels[-1]], labels=labels)
    assert metrics["positive_label"] == positive


def test_an_explicit_positive_label_decides_binary_precision_and_recall() -> None:
    y_true, y_pred = _labelled(np.random.default_rng(5), ["a", "b"])
    metrics = classification_metrics(y_true, y_pred, positive_label="a")
    precision, recall, f1, _ = sk.precision_recall_fscore_support(
        y_true, y_pred, average="binary", pos_label="a"
    )
    assert (metrics["precision"], metrics["recall"], metrics["f1"]) == pytest.approx(
        (precision, recall, f1)
    )


def test_an_absent_positive_label_still_makes_the_task_binary() -> None:
    metrics = classification_metrics([0, 0, 0], [0, 0, 0], positive_label=1)
    assert metrics["labels"] == ["0", "1"]
    assert metrics["confusion_matrix"] == [[3, 0], [0, 0]]
    assert (metrics["accuracy"], metrics["precision"], metrics["recall"]) == (1.0, None, None)
    assert metrics["f1"] is None


def test_macro_averages_skip_labels_absent_from_the_data() -> None:
    y_true, y_pred = _labelled(np.random.default_rng(8), ["a", "b", "c"])
    metrics = classification_metrics(y_true, y_pred, labels=["a", "b", "c", "never"])
    expected = sk.precision_recall_fscore_support(
        y_true, y_pred, labels=["a", "b", "c"], average="macro"
    )
    assert (metrics["precision"], metrics["recall"], metrics["f1"]) == pytest.approx(expected[:3])


def test_binary_precision_is_none_when_the_positive_label_is_never_predicted() -> None:
    metrics = classification_metrics([0, 1, 1], [0, 0, 0])
    assert metrics["precision"] is None
    assert metrics["recall"] == 0.0
    assert metrics["f1"] == 0.0
    _assert_plain(metrics)


@pytest.mark.parametrize(
    ("labels", "matrix"),
    [
        pytest.param(["a", "b"], [[0, 0], [0, 0]], id="given-labels"),
        pytest.param(None, [], id="no-labels"),
    ],
)
def test_classification_without_rows_gives_none_for_every_metric(
    labels: list[str] | None, matrix: list[list[int]]
) -> None:
    metrics = classification_metrics([], [], labels=labels, scores=[])
    assert metrics["count"] == 0
    assert metrics["confusion_matrix"] == matrix
    for key in ("accuracy", "precision", "recall", "f1", "roc_auc", "log_loss"):
        assert metrics[key] is None
    _assert_plain(metrics)


# --- classification: scores -------------------------------------------------------------------


def _binary_scores(
    rng: np.random.Generator, classes: list[Any], size: int = 2_000
) -> tuple[np.ndarray, np.ndarray]:
    y_true = np.array(classes)[rng.integers(0, 2, size)]
    positive = y_true == classes[-1]
    scores = 1.0 / (1.0 + np.exp(-(rng.normal(0, 1.5, size) + 1.2 * np.where(positive, 1, -1))))
    return y_true, scores


@pytest.mark.parametrize("label_set", ["binary-strings", "binary-ints", "binary-bools"])
def test_binary_roc_auc_and_log_loss_match_scikit_learn(label_set: str) -> None:
    classes = LABEL_SETS[label_set]
    y_true, scores = _binary_scores(np.random.default_rng(len(label_set)), classes)
    y_pred = np.where(scores >= 0.5, classes[-1], classes[0])
    metrics = classification_metrics(y_true, y_pred, scores=scores)
    assert metrics["roc_auc"] == pytest.approx(sk.roc_auc_score(y_true == classes[-1], scores))
    assert metrics["log_loss"] == pytest.approx(sk.log_loss(y_true, scores))


def test_binary_scores_may_be_two_columns_in_labels_order() -> None:
    y_true, scores = _binary_scores(np.random.default_rng(2), ["n", "y"])
    one_column = classification_metrics(y_true, y_true, scores=scores)
    two_columns = classification_metrics(
        y_true, y_true, labels=["y", "n"], scores=np.column_stack([scores, 1 - scores])
    )
    assert two_columns["roc_auc"] == pytest.approx(one_column["roc_auc"])
    assert two_columns["log_loss"] == pytest.approx(one_column["log_loss"])


@pytest.mark.parametrize("label_set", ["multiclass-strings", "multiclass-ints"])
def test_multiclass_roc_auc_and_log_loss_match_scikit_learn(label_set: str) -> None:
    classes = LABEL_SETS[label_set]
    rng = np.random.default_rng(len(label_set))
    codes = rng.integers(0, len(classes), 3_000)
    logits = rng.normal(0, 1.0, (codes.size, len(classes)))
    logits[np.arange(codes.size), codes] += 1.0
    scores = np.exp(logits) / np.exp(logits).sum(axis=1, keepdims=True)
    y_true = np.array(classes)[codes]
    y_pred = np.array(classes)[scores.argmax(axis=1)]
    metrics = classification_metrics(y_true, y_pred, scores=scores)
    expected_auc = sk.roc_auc_score(y_true, scores, multi_class="ovr", average="macro")
    assert metrics["roc_auc"] == pytest.approx(expected_auc)
    assert metrics["log_loss"] == pytest.approx(sk.log_loss(y_true, scores))
    assert metrics["accuracy"] == pytest.approx(sk.accuracy_score(y_true, y_pred))


def test_roc_auc_gives_tied_scores_their_average_rank() -> None:
    # Pairs (positive, negative): 0.8 beats both, 0.4 beats 0.1 and ties 0.4 (a half).
    metrics = classification_metrics([0, 0, 1, 1], [0, 0, 1, 1], scores=[0.1, 0.4, 0.4, 0.8])
    assert metrics["roc_auc"] == pytest.approx(0.875)


@pytest.mark.parametrize("decimals", [0, 1, 2], ids=lambda d: f"rounded-to-{d}-decimals")
def test_roc_auc_with_many_ties_matches_scikit_learn(decimals: int) -> None:
    y_true, scores = _binary_scores(np.random.default_rng(decimals), [0, 1])
    rounded = np.round(scores, decimals)
    metrics = classification_metrics(y_true, y_true, scores=rounded)
    assert metrics["roc_auc"] == pytest.approx(sk.roc_auc_score(y_true, rounded))


def test_log_loss_clips_a_zero_probability_of_the_true_label() -> None:
    metrics = classification_metrics([1, 0], [1, 0], scores=[0.0, 0.0])
    assert metrics["log_loss"] == pytest.approx(-math.log(1e-15) / 2)


def test_log_loss_renormalises_rows_that_do_not_sum_to_one() -> None:
    raw = np.array([[0.4, 0.2, 0.2], [0.5, 0.25, 0.25], [0.1, 0.1, 0.6]])
    y_true = ["a", "b", "c"]
    metrics = classification_metrics(y_true, y_true, scores=raw)
    normalised = raw / raw.sum(axis=1, keepdims=True)
    assert metrics["log_loss"] == pytest.approx(sk.log_loss(y_true, normalised))


def test_rows_with_a_missing_score_are_left_out_of_score_metrics() -> None:
    y_true, scores = _binary_scores(np.random.default_rng(4), [0, 1], size=200)
    holed = scores.copy()
    holed[:10] = NAN
    metrics = classification_metrics(y_true, y_true, scores=holed)
    assert metrics["count"] == 200
    assert metrics["roc_auc"] == pytest.approx(sk.roc_auc_score(y_true[10:], scores[10:]))
    assert metrics["log_loss"] == pytest.approx(sk.log_loss(y_true[10:], scores[10:]))


@pytest.mark.parametrize(
    ("y_true", "scores"),
    [
        pytest.param([1, 1, 1], [0.2, 0.7, 0.9], id="binary-one-class"),
        pytest.param(["a", "a"], [[0.5, 0.3, 0.2], [0.6, 0.2, 0.2]], id="multiclass-one-class"),
    ],
)
def test_roc_auc_is_none_when_only_one_class_is_present(
    y_true: list[Any], scores: list[Any]
) -> None:
    labels = None if np.ndim(scores) == 1 else ["a", "b", "c"]
    metrics = classification_metrics(y_true, y_true, labels=labels, scores=scores)
    assert metrics["roc_auc"] is None
    assert metrics["log_loss"] is not None
    _assert_plain(metrics)


def test_multiclass_roc_auc_averages_over_labels_present_and_absent() -> None:
    rng = np.random.default_rng(6)
    y_true = np.array(["a", "b", "c"])[rng.integers(0, 3, 500)]
    scores = rng.dirichlet([1.0, 1.0, 1.0, 1.0], 500)
    metrics = classification_metrics(y_true, y_true, labels=["a", "b", "c", "d"], scores=scores)
    expected = np.mean([sk.roc_auc_score(y_true == c, scores[:, j]) for j, c in enumerate("abc")])
    assert metrics["roc_auc"] == pytest.approx(expected)


def test_score_metrics_are_none_without_scores() -> None:
    metrics = classification_metrics([0, 1], [0, 1])
    assert (metrics["roc_auc"], metrics["log_loss"]) == (None, None)


@pytest.mark.parametrize(
    ("labels", "scores", "message"),
    [
        pytest.param(["a", "b"], [0.1, 0.2, 0.3], "one row per row of y_true", id="rows"),
        pytest.param(["a", "b", "c"], [0.1, 0.2], "have 3 columns", id="1-D-multiclass"),
        pytest.param(["a", "b"], [[0.1, 0.2, 0.7]] * 2, "be 1-D or have 2 columns", id="columns"),
    ],
)
def test_scores_of_the_wrong_shape_are_an_error(
    labels: list[str], scores: list[Any], message: str
) -> None:
    with pytest.raises(DataError, match=message):
        classification_metrics(["a", "b"], ["a", "b"], labels=labels, scores=scores)
