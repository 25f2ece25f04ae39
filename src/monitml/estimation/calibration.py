"""Isotonic calibration of a classifier's scores, applied only where it helps.

The check: on ``folds`` shuffled folds of the labelled reference, an isotonic map is fitted on
the other folds and applied to the held-out one, and the reliability of the calibrated and the raw
scores is compared there, row by row, with the Brier score (the squared gap between score and
outcome, whose reliability term is what calibration changes). The raw scores are kept only when
the map makes them measurably worse on held-out rows — the mean paired difference above
``margin`` standard errors — as happens when a small reference makes isotonic steps noisy. A
held-out ECE (``bins`` equal-frequency bins) is reported for both. Why not the ECE alone: on an
already well calibrated model its binning noise (~0.01 at 10 bins of 1,400 rows) hides a bias of
a few thousandths that isotonic removes and that shows directly in every estimated metric.
Scores outside [0, 1] (margins, logits) are always calibrated: they are no probabilities.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import numpy as np
from numpy.typing import NDArray

__all__ = ["Calibrator", "expected_calibration_error", "fit_calibrator"]

Floats = NDArray[np.float64]


def expected_calibration_error(probabilities: Floats, labels: Floats, bins: int = 10) -> float:
    """Row-weighted mean gap between the mean score and the share of positives per bin.

    >>> import numpy as np
    >>> scores, labels = np.array([0.2, 0.2, 0.8, 0.8]), np.array([0.0, 0.0, 1.0, 1.0])
    >>> round(expected_calibration_error(scores, labels, bins=2), 2)
    0.2
    """
    if probabilities.size == 0:
        return float("nan")
    order = np.argsort(probabilities, kind="mergesort")
    gaps = 0.0
    for part in np.array_split(order, min(bins, probabilities.size)):
        gaps += abs(float(probabilities[part].mean()) - float(labels[part].mean())) * part.size
    return gaps / probabilities.size


@dataclass(frozen=True, slots=True)
class Calibrator:
    """A fitted isotonic map, or the identity when calibration did not help."""

    model: Any | None
    raw_ece: float
    calibrated_ece: float
    brier_change: float = 0.0  # held-out Brier score, calibrated minus raw

    @property
    def calibrated(self) -> bool:
        return self.model is not None

    def __call__(self, scores: Floats) -> Floats:
        if self.model is None:
            return np.clip(scores, 0.0, 1.0)
        return np.asarray(self.model.predict(scores), dtype=np.float64)


def _isotonic() -> Any:
    from sklearn.isotonic import IsotonicRegression  # noqa: PLC0415  # scikit-learn is optional

    return IsotonicRegression(y_min=0.0, y_max=1.0, out_of_bounds="clip", increasing=True)


def fit_calibrator(
    scores: Floats,
    labels: Floats,
    *,
    folds: int = 5,
    bins: int = 10,
    margin: float = 2.0,
    seed: int = 0,
) -> Calibrator:
    """Fit an isotonic map of ``scores`` to 0/1 ``labels``; keep the raw scores if it hurts."""
    raw_gaps: list[float] = []
    fitted_gaps: list[float] = []
    changes = np.empty(scores.size)
    order = np.random.default_rng(seed).permutation(scores.size)
    for held_out in np.array_split(order, folds):
        train = np.ones(scores.size, dtype=bool)
        train[held_out] = False
        model = _isotonic().fit(scores[train], labels[train])
        calibrated = np.asarray(model.predict(scores[held_out]), dtype=np.float64)
        raw = np.clip(scores[held_out], 0.0, 1.0)
        raw_gaps.append(expected_calibration_error(raw, labels[held_out], bins))
        fitted_gaps.append(expected_calibration_error(calibrated, labels[held_out], bins))
        truth = labels[held_out]
        changes[held_out] = (calibrated - truth) ** 2 - (raw - truth) ** 2
    raw_ece, calibrated_ece = float(np.mean(raw_gaps)), float(np.mean(fitted_gaps))
    change = float(changes.mean())
    error = float(changes.std(ddof=1) / np.sqrt(changes.size)) if changes.size > 1 else 0.0
    probabilities = bool(scores.min() >= 0.0 and scores.max() <= 1.0)
    if probabilities and change > margin * error:
        return Calibrator(None, raw_ece, calibrated_ece, change)
    return Calibrator(_isotonic().fit(scores, labels), raw_ece, calibrated_ece, change)
