"""Isotonic calibration is applied where the held-out check says it helps, and only there."""

from __future__ import annotations

import numpy as np
import pytest
from sklearn.isotonic import IsotonicRegression

from monitml.estimation.calibration import (
    _pool_adjacent_violators,
    expected_calibration_error,
    fit_calibrator,
)


def _sample(seed: int, rows: int, bend: float) -> tuple[np.ndarray, np.ndarray]:
    """Scores whose true chance of a positive is ``score ** bend`` (1: calibrated)."""
    rng = np.random.default_rng(seed)
    scores = rng.random(rows)
    return scores, (rng.random(rows) < scores**bend).astype(float)


def test_miscalibrated_scores_are_calibrated_and_closer_to_the_truth_on_new_rows() -> None:
    scores, labels = _sample(0, 5_000, bend=2.0)
    calibrator = fit_calibrator(scores, labels)
    fresh_scores, fresh_labels = _sample(1, 20_000, bend=2.0)
    assert calibrator.calibrated
    assert calibrator.calibrated_ece < calibrator.raw_ece
    raw = expected_calibration_error(np.clip(fresh_scores, 0, 1), fresh_labels)
    assert expected_calibration_error(calibrator(fresh_scores), fresh_labels) < raw / 3


def test_margins_outside_zero_one_are_always_calibrated_into_probabilities() -> None:
    scores, labels = _sample(2, 2_000, bend=1.0)
    logits = np.log(scores / (1 - scores))
    calibrator = fit_calibrator(logits, labels)
    assert calibrator.calibrated
    probabilities = calibrator(logits)
    assert probabilities.min() >= 0.0
    assert probabilities.max() <= 1.0


def test_calibrated_scores_mostly_stay_raw_when_isotonic_would_add_only_noise() -> None:
    # Without a margin, the raw scores win whenever isotonic's steps do worse on held-out rows,
    # which for already calibrated scores is most of the time.
    kept = sum(
        not fit_calibrator(*_sample(seed, 2_000, bend=1.0), margin=0.0).calibrated
        for seed in range(20)
    )
    assert kept >= 15


@pytest.mark.parametrize(
    "values",
    [
        np.random.default_rng(5).random(5_000),
        np.r_[np.arange(500.0), -1e6],  # needs a pass per block: the SciPy path
        np.arange(50.0)[::-1],
    ],
    ids=["noise", "rise-then-drop", "decreasing"],
)
def test_pooling_adjacent_violators_gives_the_isotonic_fit_of_sklearn(values: np.ndarray) -> None:
    weights = np.random.default_rng(6).random(values.size) + 0.5
    expected = IsotonicRegression().fit(np.arange(values.size), values, sample_weight=weights)
    found = _pool_adjacent_violators(values, weights)
    np.testing.assert_allclose(found, expected.predict(np.arange(values.size)), atol=1e-9)
