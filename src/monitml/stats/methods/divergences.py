"""Divergences between binned distributions: Jensen–Shannon, PSI, Hellinger, KL.

Numerical columns are binned at the reference's quantiles, categorical columns use their
categories; a small floor on each share keeps logarithms finite when a bin is empty.
"""

from __future__ import annotations

from abc import abstractmethod
from typing import ClassVar

import numpy as np
from numpy.typing import NDArray

from monitml.stats.ecdf import quantile_bin_counts
from monitml.stats.registry import DriftMethod
from monitml.stats.registry import register as _register
from monitml.stats.result import ColumnKind
from monitml.stats.samples import CategoricalSample, NumericSample, align_counts
from monitml.stats.summaries.compare import binned_counts
from monitml.stats.summaries.numerical import NumericSummary

__all__ = [
    "HellingerDistance",
    "JensenShannonDistance",
    "KLDivergence",
    "PopulationStabilityIndex",
]

_BOTH: frozenset[ColumnKind] = frozenset({"numerical", "categorical"})
FloatArray = NDArray[np.float64]
SHARE_FLOOR = 1e-4


class _BinnedDivergence(DriftMethod):
    bins: ClassVar[int] = 20
    is_test: ClassVar[bool] = False
    kinds = _BOTH

    def _numerical(
        self, reference: NumericSample, current: NumericSample
    ) -> tuple[float, float | None]:
        ref, cur = quantile_bin_counts(reference.values, current.values, self.bins)
        return self._divergence(ref / ref.sum(), cur / cur.sum()), None

    def _categorical(
        self, reference: CategoricalSample, current: CategoricalSample
    ) -> tuple[float, float | None]:
        _, ref, cur = align_counts(reference, current)
        return self._divergence(ref / ref.sum(), cur / cur.sum()), None

    def _numerical_summaries(
        self, reference: NumericSummary, current: NumericSummary
    ) -> tuple[float, float | None]:
        ref, cur = binned_counts(reference, current, self.bins)
        return self._divergence(ref / ref.sum(), cur / cur.sum()), None

    @abstractmethod
    def _divergence(self, reference: FloatArray, current: FloatArray) -> float:
        """The divergence of two share vectors over the same bins."""


def _floored(shares: FloatArray) -> FloatArray:
    return np.maximum(shares, SHARE_FLOOR)


@_register
class JensenShannonDistance(_BinnedDivergence):
    """Jensen–Shannon distance, natural log (SciPy's default), in [0, sqrt(ln 2)]."""

    key: ClassVar[str] = "jensenshannon"
    default_threshold: ClassVar[float] = 0.1
    summary: ClassVar[str] = "Jensen–Shannon distance (distance)"

    def _divergence(self, reference: FloatArray, current: FloatArray) -> float:
        middle = (reference + current) / 2.0
        half_kl = _kl_terms(reference, middle) + _kl_terms(current, middle)
        return float(np.sqrt(max(half_kl / 2.0, 0.0)))


def _kl_terms(p: FloatArray, q: FloatArray) -> float:
    present = p > 0
    return float(np.sum(p[present] * np.log(p[present] / q[present])))


@_register
class PopulationStabilityIndex(_BinnedDivergence):
    """Population stability index over reference deciles (or categories)."""

    key: ClassVar[str] = "psi"
    bins: ClassVar[int] = 10
    default_threshold: ClassVar[float] = 0.1
    summary: ClassVar[str] = "Population stability index (distance)"

    def _divergence(self, reference: FloatArray, current: FloatArray) -> float:
        ref, cur = _floored(reference), _floored(current)
        return float(np.sum((cur - ref) * np.log(cur / ref)))


@_register
class HellingerDistance(_BinnedDivergence):
    """Hellinger distance, in [0, 1]."""

    key: ClassVar[str] = "hellinger"
    default_threshold: ClassVar[float] = 0.1
    summary: ClassVar[str] = "Hellinger distance (distance)"

    def _divergence(self, reference: FloatArray, current: FloatArray) -> float:
        overlap = float(np.sum(np.sqrt(reference * current)))
        return float(np.sqrt(max(1.0 - overlap, 0.0)))


@_register
class KLDivergence(_BinnedDivergence):
    """Kullback–Leibler divergence KL(reference ‖ current), natural log."""

    key: ClassVar[str] = "kl"
    default_threshold: ClassVar[float] = 0.1
    summary: ClassVar[str] = "Kullback–Leibler divergence, reference to current (distance)"

    def _divergence(self, reference: FloatArray, current: FloatArray) -> float:
        ref, cur = _floored(reference), _floored(current)
        return float(np.sum(ref * np.log(ref / cur)))
