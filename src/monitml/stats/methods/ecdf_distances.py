"""Distances between the ECDFs of two numerical samples, in units of the reference's spread."""

from __future__ import annotations

import math
from typing import ClassVar

import numpy as np

from monitml.stats.ecdf import merge_ecdfs
from monitml.stats.registry import DriftMethod, register
from monitml.stats.result import ColumnKind
from monitml.stats.samples import NumericSample
from monitml.stats.summaries.compare import energy_from_summaries, wasserstein_from_summaries
from monitml.stats.summaries.numerical import NumericSummary

__all__ = ["EnergyDistance", "WassersteinDistance", "normed_wasserstein", "reference_scale"]

_NUMERICAL: frozenset[ColumnKind] = frozenset({"numerical"})


def reference_scale(reference: NumericSample, current: NumericSample) -> float:
    """The scale a distance is divided by: the reference standard deviation.

    A constant reference has none; the pooled spread is used then, and 1 when both samples
    are constant, so the distance stays finite and any change still shows.
    """
    if reference.std > 0:
        return reference.std
    pooled = float(np.concatenate([reference.values, current.values]).std())
    return pooled if pooled > 0 else 1.0


def normed_wasserstein(reference: NumericSample, current: NumericSample) -> float:
    """Earth mover's distance divided by the reference standard deviation.

    For a pure location shift it equals the shift in reference standard deviations.

    >>> ref = NumericSample.from_values(np.arange(1000.0))
    >>> round(normed_wasserstein(ref, NumericSample.from_values(np.arange(1000.0) + 28.87)), 3)
    0.1
    """
    merged = merge_ecdfs(reference.values, current.values)
    gaps = np.abs(merged.reference_cdf[:-1] - merged.current_cdf[:-1])
    distance = float((np.diff(merged.values) * gaps).sum())
    return distance / reference_scale(reference, current)


@register
class WassersteinDistance(DriftMethod):
    """Wasserstein-1 distance normed by the reference standard deviation."""

    key: ClassVar[str] = "wasserstein"
    kinds = _NUMERICAL
    default_threshold: ClassVar[float] = 0.1
    is_test: ClassVar[bool] = False
    summary: ClassVar[str] = "Wasserstein distance / reference std (distance)"

    def _numerical(
        self, reference: NumericSample, current: NumericSample
    ) -> tuple[float, float | None]:
        return normed_wasserstein(reference, current), None

    def _numerical_summaries(
        self, reference: NumericSummary, current: NumericSummary
    ) -> tuple[float, float | None]:
        return wasserstein_from_summaries(reference, current), None


@register
class EnergyDistance(DriftMethod):
    """Energy distance (SciPy's definition) normed by the reference standard deviation."""

    key: ClassVar[str] = "energy"
    kinds = _NUMERICAL
    default_threshold: ClassVar[float] = 0.1
    is_test: ClassVar[bool] = False
    summary: ClassVar[str] = "Energy distance / reference std (distance)"

    def _numerical(
        self, reference: NumericSample, current: NumericSample
    ) -> tuple[float, float | None]:
        merged = merge_ecdfs(reference.values, current.values)
        squared_gaps = (merged.reference_cdf[:-1] - merged.current_cdf[:-1]) ** 2
        distance = math.sqrt(2.0 * float((np.diff(merged.values) * squared_gaps).sum()))
        return distance / reference_scale(reference, current), None

    def _numerical_summaries(
        self, reference: NumericSummary, current: NumericSummary
    ) -> tuple[float, float | None]:
        return energy_from_summaries(reference, current), None
