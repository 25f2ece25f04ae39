"""Multivariate drift: changes no single column shows, such as a broken correlation.

Two detectors, fitted on a reference and scoring a current sample, with the same frozen result:

- ``PCAReconstruction`` — the reference (numbers standardised, categories one-hot) is projected on
  the principal components that keep ``variance`` of its variance; the statistic is the mean
  distance between a row and its reconstruction. Its thresholds are the mean ± ``sigmas``
  standard deviations of that statistic over consecutive reference chunks, scaled from the
  chunks' size to the current sample's (as ``1/sqrt(n)``).
- ``DomainClassifier`` — a gradient-boosting classifier (LightGBM: ``max_iter`` trees of 31
  leaves at a learning rate of 0.1, one thread) learns to tell reference rows from current
  ones; the statistic is its cross-validated ROC AUC (0.5: indistinguishable). Its threshold
  comes from ``pairs`` random pairs of disjoint reference parts, where no drift exists:
  their mean AUC + ``sigmas`` standard deviations (never less than the spread of a chance AUC
  at the current sizes), and at least ``min_auc`` — a difference a classifier can barely see is
  not worth an alarm on a large sample. Each side is subsampled to ``max_rows``.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Any, Self

import numpy as np
import pandas as pd
from numpy.typing import NDArray

from monitml.errors import DataError, NotFittedError
from monitml.estimation.boosting import BoostedTrees, require_lightgbm
from monitml.estimation.features import FeatureEncoder
from monitml.estimation.metrics import expected_auc

__all__ = [
    "DomainClassifier",
    "MultivariateResult",
    "PCAReconstruction",
    "multivariate_drift",
]

Floats = NDArray[np.float64]
_TOP_CATEGORIES = 20


@dataclass(frozen=True, slots=True)
class MultivariateResult:
    """The verdict of one multivariate method on a current sample."""

    method: str
    statistic: float
    threshold: float
    lower_threshold: float | None
    drift_detected: bool
    reference_size: int
    current_size: int
    details: dict[str, Any] = field(default_factory=dict)

    def to_dict(self) -> dict[str, Any]:
        return {
            "method": self.method,
            "statistic": _finite(self.statistic),
            "threshold": _finite(self.threshold),
            "lower_threshold": _finite(self.lower_threshold),
            "drift_detected": self.drift_detected,
            "reference": {"count": self.reference_size},
            "current": {"count": self.current_size},
            **self.details,
        }


def _finite(value: float | None) -> float | None:
    return float(value) if value is not None and math.isfinite(value) else None


def _columns(frame: pd.DataFrame, columns: Sequence[str] | None) -> list[str]:
    chosen = [str(c) for c in frame.columns] if columns is None else list(columns)
    if not chosen:
        raise DataError("multivariate drift needs at least one column")
    return chosen


class PCAReconstruction:
    """Mean PCA reconstruction error of the current rows against the reference's spread."""

    method = "pca"

    def __init__(
        self, *, variance: float = 0.65, sigmas: float = 3.0, reference_chunks: int = 10
    ) -> None:
        self.variance = variance
        self.sigmas = sigmas
        self.reference_chunks = reference_chunks

    def fit(self, reference: pd.DataFrame, columns: Sequence[str] | None = None) -> Self:
        if not 0.0 < self.variance <= 1.0:
            raise ValueError(
                f"The 'variance' parameter of PCAReconstruction must be in (0, 1]. "
                f"Got {self.variance!r} instead."
            )
        if len(reference) < 2 * self.reference_chunks:
            raise DataError(
                f"PCA drift needs at least {2 * self.reference_chunks} reference rows, "
                f"got {len(reference)}"
            )
        self.encoder_ = FeatureEncoder.fit(reference, _columns(reference, columns))
        self.levels_ = {
            name: levels[:_TOP_CATEGORIES] for name, levels in self.encoder_.categories.items()
        }
        raw = self._raw(reference, "reference")
        self.mean_ = np.nanmean(raw, axis=0)
        self.mean_[~np.isfinite(self.mean_)] = 0.0
        filled = np.where(np.isnan(raw), self.mean_, raw)
        scale = filled.std(axis=0)
        self.scale_ = np.where(scale > 0, scale, 1.0)
        matrix = (filled - self.mean_) / self.scale_
        _, singular, vt = np.linalg.svd(matrix, full_matrices=False)
        share = np.cumsum(singular**2) / max(float(np.sum(singular**2)), 1e-300)
        self.components_ = vt[: int(np.searchsorted(share, self.variance - 1e-12) + 1)]
        errors = self._errors(matrix)
        self.reference_errors_ = errors
        return self

    def _raw(self, frame: pd.DataFrame, side: str) -> Floats:
        encoded = self.encoder_.transform(frame, side=side)  # checks columns and kinds
        parts: list[Floats] = []
        for name in self.encoder_.columns:
            if name in self.levels_:
                text = frame[name].astype(object).where(frame[name].notna(), None).astype(str)
                missing = frame[name].isna().to_numpy()
                parts.extend(
                    ((text == level).to_numpy() & ~missing).astype(np.float64)
                    for level in self.levels_[name]
                )
            else:
                parts.append(encoded[name].to_numpy(np.float64))
        return np.column_stack(parts) if parts else np.empty((len(frame), 0))

    def _errors(self, matrix: Floats) -> Floats:
        projected = matrix @ self.components_.T
        residual = np.sum(matrix**2, axis=1) - np.sum(projected**2, axis=1)
        return np.asarray(np.sqrt(np.clip(residual, 0.0, None)), dtype=np.float64)

    def score(self, current: pd.DataFrame) -> MultivariateResult:
        if not hasattr(self, "components_"):
            raise NotFittedError("PCAReconstruction is not fitted; call fit(reference) first")
        if len(current) == 0:
            raise DataError("the current data has no row")
        raw = self._raw(current, "current")
        matrix = (np.where(np.isnan(raw), self.mean_, raw) - self.mean_) / self.scale_
        statistic = float(self._errors(matrix).mean())
        reference = self.reference_errors_
        size = min(len(current), len(reference) // self.reference_chunks)
        means = np.array(
            [part.mean() for part in np.array_split(reference, len(reference) // size)]
        )
        spread = float(means.std(ddof=1)) * math.sqrt(size / len(current))
        centre = float(means.mean())
        upper, lower = centre + self.sigmas * spread, centre - self.sigmas * spread
        return MultivariateResult(
            method=self.method,
            statistic=statistic,
            threshold=upper,
            lower_threshold=lower,
            drift_detected=bool(statistic > upper or statistic < lower),
            reference_size=len(reference),
            current_size=len(current),
            details={"components": int(self.components_.shape[0]), "reference_chunks": len(means)},
        )


class DomainClassifier:
    """Cross-validated AUC of a classifier telling current rows from reference rows."""

    method = "classifier"

    def __init__(
        self,
        *,
        folds: int = 3,
        pairs: int = 3,
        sigmas: float = 3.0,
        min_auc: float = 0.55,
        max_rows: int = 50_000,
        max_iter: int = 50,
        threads: int | None = 1,
        seed: int = 0,
    ) -> None:
        self.folds = folds
        self.pairs = pairs
        self.sigmas = sigmas
        self.min_auc = min_auc
        self.max_rows = max_rows
        self.max_iter = max_iter
        self.threads = threads
        self.seed = seed

    def fit(self, reference: pd.DataFrame, columns: Sequence[str] | None = None) -> Self:
        if self.folds < 2 or self.pairs < 2:
            raise ValueError(
                "The 'folds' and 'pairs' parameters of DomainClassifier must be at least 2. "
                f"Got {self.folds!r} and {self.pairs!r} instead."
            )
        if len(reference) < 4 * self.folds:
            raise DataError(f"the domain classifier needs at least {4 * self.folds} reference rows")
        require_lightgbm()
        self.encoder_ = FeatureEncoder.fit(reference, _columns(reference, columns))
        self.reference_ = self.encoder_.matrix(reference, side="reference")
        return self

    def _auc(self, first: Floats, second: Floats, rng: np.random.Generator) -> float:
        """Out-of-fold AUC of telling ``second`` (label 1) from ``first`` (label 0)."""
        inputs = np.vstack([first, second])
        labels = np.r_[np.zeros(len(first)), np.ones(len(second))]
        folds = np.empty(labels.size, dtype=np.int_)
        for side in (0.0, 1.0):  # stratified: each fold gets its share of both sides
            rows = np.flatnonzero(labels == side)
            folds[rng.permutation(rows)] = np.arange(rows.size) % self.folds
        scores = np.empty(labels.size)
        threads = 0 if self.threads is None else self.threads  # 0: OpenMP's default
        for fold in range(self.folds):
            test = folds == fold
            model = BoostedTrees.fit(
                inputs[~test],
                labels[~test],
                categorical=self.encoder_.categorical,
                iterations=self.max_iter,
                objective="binary",
                threads=threads,
                seed=self.seed,
            )
            scores[test] = model.predict(inputs[test], threads=threads)
        return expected_auc(scores, labels)

    def _sample(self, matrix: Floats, rng: np.random.Generator) -> Floats:
        if len(matrix) <= self.max_rows:
            return matrix
        return matrix[np.sort(rng.choice(len(matrix), size=self.max_rows, replace=False))]

    def score(self, current: pd.DataFrame) -> MultivariateResult:
        if not hasattr(self, "reference_"):
            raise NotFittedError("DomainClassifier is not fitted; call fit(reference) first")
        if len(current) < 2 * self.folds:
            raise DataError(f"the domain classifier needs at least {2 * self.folds} current rows")
        rng = np.random.default_rng(self.seed)
        reference = self._sample(self.reference_, rng)
        encoded = self._sample(self.encoder_.matrix(current, side="current"), rng)
        statistic = self._auc(reference, encoded, rng)
        # No drift between two parts of the reference: what AUC does the classifier reach there?
        half = len(self.reference_) // 2
        size_a, size_b = min(half, len(reference)), min(half, len(encoded))
        null: list[float] = []
        for _ in range(self.pairs):
            order = rng.permutation(len(self.reference_))
            part_a = self.reference_[order[:size_a]]
            part_b = self.reference_[order[half : half + size_b]]
            null.append(self._auc(part_a, part_b, rng))
        chance = _chance_spread(len(reference), len(encoded))
        spread = max(float(np.std(null, ddof=1)), chance)
        threshold = max(float(np.mean(null)) + self.sigmas * spread, 0.5 + self.sigmas * chance)
        threshold = max(threshold, self.min_auc)
        return MultivariateResult(
            method=self.method,
            statistic=statistic,
            threshold=threshold,
            lower_threshold=None,
            drift_detected=bool(statistic > threshold),
            reference_size=len(reference),
            current_size=len(encoded),
            details={"reference_pairs": [round(v, 4) for v in null], "folds": self.folds},
        )


def _chance_spread(first: int, second: int) -> float:
    """Standard deviation of the AUC of a random ranking (Mann–Whitney U under the null)."""
    return math.sqrt((first + second + 1) / (12.0 * first * second))


def multivariate_drift(
    reference: pd.DataFrame,
    current: pd.DataFrame,
    *,
    columns: Sequence[str] | None = None,
    methods: Sequence[str] = ("pca", "classifier"),
) -> dict[str, MultivariateResult]:
    """Both detectors (or those named) on ``columns`` (default: the reference's columns)."""
    unknown = sorted(set(methods) - {"pca", "classifier"})
    if unknown:
        raise DataError(f"unknown multivariate method(s) {', '.join(unknown)}: use pca, classifier")
    results: dict[str, MultivariateResult] = {}
    if "pca" in methods:
        results["pca"] = PCAReconstruction().fit(reference, columns).score(current)
    if "classifier" in methods:
        results["classifier"] = DomainClassifier().fit(reference, columns).score(current)
    return results
