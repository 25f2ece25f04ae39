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

import numpy as np
from numpy.typing import NDArray

__all__ = ["Calibrator", "IsotonicMap", "expected_calibration_error", "fit_calibrator"]

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

    model: IsotonicMap | None
    raw_ece: float
    calibrated_ece: float
    brier_change: float = 0.0  # held-out Brier score, calibrated minus raw

    @property
    def calibrated(self) -> bool:
        return self.model is not None

    def __call__(self, scores: Floats) -> Floats:
        if self.model is None:
            return np.clip(scores, 0.0, 1.0)
        return self.model.predict(scores)


@dataclass(frozen=True, slots=True)
class IsotonicMap:
    """A non-decreasing map from score to probability, linear between its knots, flat outside.

    Fitted by pool-adjacent-violators on the mean label of each distinct score, weighted by
    its count (the same fit as scikit-learn's ``IsotonicRegression``).

    >>> import numpy as np
    >>> iso = IsotonicMap.fit(np.array([0.1, 0.2, 0.3, 0.4]), np.array([0.0, 1.0, 0.0, 1.0]))
    >>> [round(float(p), 3) for p in iso.predict(np.array([0.0, 0.25, 0.35, 1.0]))]
    [0.0, 0.5, 0.75, 1.0]
    """

    knots: Floats
    values: Floats

    @classmethod
    def fit(cls, scores: Floats, labels: Floats) -> IsotonicMap:
        knots, inverse, counts = np.unique(scores, return_inverse=True, return_counts=True)
        means = np.bincount(inverse, weights=labels) / counts
        fitted = _pool_adjacent_violators(means, counts.astype(np.float64))
        return cls(knots, np.clip(fitted, 0.0, 1.0))

    def predict(self, scores: Floats) -> Floats:
        return np.asarray(np.interp(scores, self.knots, self.values), dtype=np.float64)


def _pool_adjacent_violators(values: Floats, weights: Floats, budget: int = 200) -> Floats:
    """The non-decreasing weighted least-squares fit to ``values``.

    Each pass pools every run of adjacent violators at once, in numpy, and the blocks shrink
    fast on a model's scores (employment data: 28,768 distinct scores, 156 passes, 8 ms). Data
    that pools only a block or two per pass (a long rise ending in a deep drop) would take
    quadratic time: once the passes have touched ``budget`` times as many blocks as there are
    values, SciPy's ``isotonic_regression`` finishes the job — imported only then, since its
    import alone (0.3–0.9 s here) would otherwise dominate a command's run.

    >>> _pool_adjacent_violators(np.array([1.0, 3.0, 2.0, 4.0]), np.ones(4)).tolist()
    [1.0, 2.5, 2.5, 4.0]
    """
    sums, pooled = values * weights, weights.copy()
    starts = np.arange(values.size)
    work = 0
    while work <= budget * values.size:
        means = sums / pooled
        violated = means[:-1] > means[1:]
        if not violated.any():
            return np.repeat(means, np.diff(np.r_[starts, values.size]))
        keep = np.r_[True, ~violated]  # a block begins where the boundary before it holds
        group = np.cumsum(keep) - 1
        sums = np.bincount(group, weights=sums).astype(np.float64)
        pooled = np.bincount(group, weights=pooled).astype(np.float64)
        starts = starts[keep]
        work += means.size
    from scipy.optimize import isotonic_regression  # noqa: PLC0415

    return np.asarray(isotonic_regression(values, weights=weights).x, dtype=np.float64)


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
        calibrated = IsotonicMap.fit(scores[train], labels[train]).predict(scores[held_out])
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
    return Calibrator(IsotonicMap.fit(scores, labels), raw_ece, calibrated_ece, change)
