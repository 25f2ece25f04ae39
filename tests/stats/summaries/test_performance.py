"""Performance counts: metrics from merged summaries equal the metrics of all the rows."""

from __future__ import annotations

import numpy as np
import pytest

from monitml.errors import DataError
from monitml.stats.performance import classification_metrics, regression_metrics
from monitml.stats.summaries import summarise_classification, summarise_regression

COUNT_KEYS = ["count", "missing", "labels", "positive_label", "confusion_matrix"]
RATIO_KEYS = ["accuracy", "precision", "recall", "f1"]


def _split(size: int, parts: int, rng: np.random.Generator) -> list[np.ndarray]:
    cuts = np.sort(rng.choice(np.arange(1, size), parts - 1, replace=False))
    return np.split(np.arange(size), cuts)


@pytest.mark.parametrize("labels", [["0", "1"], ["a", "b", "c", "d"]], ids=["binary", "4-class"])
def test_classification_metrics_from_merged_counts_equal_those_of_all_rows(
    labels: list[str],
) -> None:
    rng = np.random.default_rng(len(labels))
    truth = rng.choice(labels, 3_000).astype(object)
    predicted = np.where(rng.random(3_000) < 0.7, truth, rng.choice(labels, 3_000)).astype(object)
    truth[rng.random(3_000) < 0.02] = None
    parts = [
        summarise_classification(truth[i], predicted[i], labels) for i in _split(3_000, 4, rng)
    ]
    merged = parts[0]
    for part in parts[1:]:
        merged = merged.merge(part)
    found, expected = merged.metrics(), classification_metrics(truth, predicted, labels=labels)
    for key in COUNT_KEYS:
        assert found[key] == expected[key], key
    for key in RATIO_KEYS:
        assert found[key] == pytest.approx(expected[key], rel=1e-12), key


def test_regression_metrics_from_merged_sums_equal_those_of_all_rows() -> None:
    rng = np.random.default_rng(3)
    truth = rng.normal(100.0, 20.0, 5_000)
    truth[::50] = 0.0  # rows MAPE leaves out
    predicted = truth + rng.normal(1.0, 5.0, 5_000)
    predicted[rng.random(5_000) < 0.01] = np.nan
    parts = [summarise_regression(truth[i], predicted[i]) for i in _split(5_000, 5, rng)]
    merged = parts[0]
    for part in parts[1:]:
        merged = merged.merge(part)
    found, expected = merged.metrics(), regression_metrics(truth, predicted)
    assert (found["count"], found["missing"]) == (expected["count"], expected["missing"])
    for key in ["me", "mae", "rmse", "mape", "r2"]:
        assert found[key] == pytest.approx(expected[key], rel=1e-9), key


def test_regression_merge_is_commutative_and_empty_parts_change_nothing() -> None:
    rng = np.random.default_rng(4)
    a = summarise_regression(rng.normal(size=100), rng.normal(size=100))
    b = summarise_regression(rng.normal(size=50), rng.normal(size=50))
    empty = summarise_regression(np.array([]), np.array([]))
    assert a.merge(b) == b.merge(a)
    assert empty.merge(a) == a
    assert empty.metrics()["rmse"] is None


def test_confusion_counts_over_different_labels_do_not_merge() -> None:
    first = summarise_classification(["a"], ["a"], ["a", "b"])
    second = summarise_classification(["a"], ["a"], ["a", "c"])
    with pytest.raises(DataError, match="different labels"):
        first.merge(second)
