"""Expected-confusion metrics: with 0/1 weights they are the realised metrics (sklearn's)."""

from __future__ import annotations

import numpy as np
import pytest
from sklearn import metrics as skm

from monitml.estimation.metrics import (
    binary_metrics,
    expected_auc,
    multiclass_metrics,
    regression_errors,
)


@pytest.mark.parametrize("levels", [3, 20, 10_000], ids=["heavy-ties", "some-ties", "no-ties"])
def test_expected_auc_with_labels_is_sklearns_roc_auc(levels: int) -> None:
    rng = np.random.default_rng(levels)
    labels = (rng.random(3_000) < 0.3).astype(float)
    scores = np.round(rng.random(3_000) * levels + labels * levels * 0.3) / levels
    assert expected_auc(scores, labels) == pytest.approx(skm.roc_auc_score(labels, scores))


def test_expected_auc_of_calibrated_probabilities_is_the_mean_auc_of_labels_drawn_from_them() -> (
    None
):
    rng = np.random.default_rng(1)
    probabilities = rng.beta(2, 2, 400)
    draws = [
        skm.roc_auc_score(labels, probabilities)
        for labels in (rng.random((2_000, 400)) < probabilities).astype(float)
    ]
    assert expected_auc(probabilities, probabilities) == pytest.approx(np.mean(draws), abs=2e-3)


def test_binary_metrics_with_labels_match_sklearn() -> None:
    rng = np.random.default_rng(2)
    labels = (rng.random(1_000) < 0.4).astype(float)
    scores = np.clip(labels * 0.3 + rng.random(1_000) * 0.7, 0, 1)
    predicted = (scores >= 0.5).astype(int)
    found = binary_metrics(labels, predicted, scores)
    tn, fp, _, _ = skm.confusion_matrix(labels, predicted).ravel()
    assert found["f1"] == pytest.approx(skm.f1_score(labels, predicted))
    assert found["precision"] == pytest.approx(skm.precision_score(labels, predicted))
    assert found["recall"] == pytest.approx(skm.recall_score(labels, predicted))
    assert found["accuracy"] == pytest.approx(skm.accuracy_score(labels, predicted))
    assert found["specificity"] == pytest.approx(tn / (tn + fp))
    assert found["roc_auc"] == pytest.approx(skm.roc_auc_score(labels, scores))


def test_multiclass_metrics_with_labels_are_sklearns_macro_averages() -> None:
    rng = np.random.default_rng(3)
    scores = rng.dirichlet([1, 1, 1], 1_500)
    labels = np.array([rng.choice(3, p=row) for row in scores])
    predicted = scores.argmax(axis=1)
    one_hot = np.eye(3)[labels]
    found = multiclass_metrics(one_hot, predicted, scores)
    assert found["f1"] == pytest.approx(skm.f1_score(labels, predicted, average="macro"))
    assert found["recall"] == pytest.approx(skm.recall_score(labels, predicted, average="macro"))
    assert found["accuracy"] == pytest.approx(skm.accuracy_score(labels, predicted))
    assert found["roc_auc"] == pytest.approx(
        skm.roc_auc_score(labels, scores, multi_class="ovr", average="macro")
    )


def test_regression_errors_are_mae_and_rmse() -> None:
    errors = np.array([1.0, -2.0, 3.0])
    found = regression_errors(np.abs(errors), errors**2)
    assert found == pytest.approx({"mae": 2.0, "rmse": np.sqrt(14 / 3)})
