"""The mergeable summary of a numerical column.

What it keeps: count, missing, min, max, sum and the sum of squared deviations from the mean
(``m2``; the plain sum of squares is ``m2 + sum²/count``, but it cancels catastrophically
when the mean is large against the spread, so the summary merges ``m2`` by Chan's rule); a
fine histogram on the reference's fixed edges (``Binning``); a KLL quantile sketch; and,
while the column has at most ``EXACT_CAP`` distinct values, each distinct value with its
count, so a small window, or a discrete column of any length, is compared exactly.

What is guaranteed: counts, min, max and the histogram merge exactly (integer sums), so
``merge`` is associative and commutative on them; sum and ``m2`` up to float rounding; the
sketch up to its stated rank error. The CDF a summary answers (``cdf``) is within
``rank_error_bound`` of the true one at every point: the true value lies within the bin
that holds the point, and the sketch locates it inside the bin.

Cost: one sort of the column (numpy's vectorised sort), one binary search per edge, one dot
product and the sketch update; no Python loop over rows.
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field, replace

import numpy as np
from numpy.typing import ArrayLike, NDArray

from monitml.errors import DataError
from monitml.stats.samples import NumericSample
from monitml.stats.summaries.binning import Binning
from monitml.stats.summaries.sketch import DEFAULT_K, QuantileSketch

__all__ = ["EXACT_CAP", "NumericSummary", "summarise_numeric", "summarise_sample"]

FloatArray = NDArray[np.float64]
IntArray = NDArray[np.int64]

# Up to this many distinct values a summary keeps them with their counts (at most 64 KB, a
# few KB once compressed when the counts are small): such a column is compared exactly.
EXACT_CAP = 4096


@dataclass(frozen=True, slots=True, eq=False)
class NumericSummary:
    """Mergeable summary of one numerical column (see the module docstring).

    >>> values = np.arange(10_000.0)
    >>> binning = Binning.from_reference(values)
    >>> whole = summarise_numeric(values, binning)
    >>> parts = summarise_numeric(values[:3000], binning).merge(
    ...     summarise_numeric(values[3000:], binning))
    >>> parts.count, parts.maximum, bool((parts.counts == whole.counts).all())
    (10000, 9999.0, True)
    """

    binning: Binning
    count: int
    missing: int
    minimum: float
    maximum: float
    total: float
    m2: float
    counts: IntArray
    sketch: QuantileSketch
    distinct: FloatArray | None = None
    weights: IntArray | None = None
    # Caches for ``cdf`` (the summary is immutable): filled on first use, never compared.
    _cumulative: IntArray | None = field(default=None, init=False, repr=False, compare=False)
    _ranks: FloatArray | None = field(default=None, init=False, repr=False, compare=False)

    @property
    def size(self) -> int:
        """Number of non-missing values (the name drift methods read)."""
        return self.count

    @property
    def mean(self) -> float:
        return self.total / self.count if self.count else math.nan

    @property
    def std(self) -> float:
        """Population standard deviation."""
        return math.sqrt(max(self.m2, 0.0) / self.count) if self.count else math.nan

    @property
    def sum_of_squares(self) -> float:
        return self.m2 + self.total**2 / self.count if self.count else 0.0

    @property
    def exact(self) -> bool:
        """Whether the summary still holds every value (as distinct values and counts)."""
        return self.distinct is not None

    def to_sample(self) -> NumericSample:
        """The exact sample, when the summary holds every value."""
        if self.distinct is None or self.weights is None:
            raise DataError("this summary no longer holds its values; compare it as a summary")
        values = np.repeat(self.distinct, self.weights)
        # The moments NumericSample.from_values computes, from the same sorted array.
        moments = (float(values.mean()), float(values.std())) if values.size else (np.nan, np.nan)
        return NumericSample(values, self.missing, moments)

    def merge(self, other: NumericSummary) -> NumericSummary:
        """The summary of both columns together."""
        if not self.binning.same_as(other.binning):
            raise DataError("cannot merge numerical summaries cut at different bin edges")
        count = self.count + other.count
        if self.count == 0 or other.count == 0:
            total = self.total + other.total
            m2 = self.m2 + other.m2
        else:
            # Chan, Golub & LeVeque: m2 of the union from the parts' means and m2s.
            delta = other.mean - self.mean
            total = self.total + other.total
            m2 = self.m2 + other.m2 + delta * delta * (self.count * other.count / count)
        distinct, weights = _merge_distinct(self, other)
        return NumericSummary(
            binning=self.binning,
            count=count,
            missing=self.missing + other.missing,
            minimum=float(np.fmin(self.minimum, other.minimum)),
            maximum=float(np.fmax(self.maximum, other.maximum)),
            total=total,
            m2=m2,
            counts=self.counts + other.counts,
            sketch=self.sketch.merge(other.sketch),
            distinct=distinct,
            weights=weights,
        )

    def cdf(self, points: ArrayLike) -> FloatArray:
        """Share of values ≤ each point: exact at the edges, the sketch inside a bin."""
        x = np.asarray(points, dtype=np.float64)
        if self.count == 0:
            return np.zeros(x.shape)
        if self.distinct is not None and self.weights is not None:
            cumulative = np.concatenate([[0], np.cumsum(self.weights)])
            return cumulative[np.searchsorted(self.distinct, x, side="right")] / self.count
        edges = self.binning.edges
        cell = np.searchsorted(edges, x, side="left")
        below = self._below()[cell]
        mass = self.counts[cell]
        first, last = cell == 0, cell == edges.size
        low = np.where(first, self.minimum, edges[np.maximum(cell - 1, 0)])
        high = np.where(last, self.maximum, edges[np.minimum(cell, edges.size - 1)])
        # The sketch's ranks at the ends of each point's bin (the edges, the extremes) are
        # the same for every query: computed once per summary.
        at_minimum, at_maximum, at_edges = self._end_ranks()
        r_low = np.where(first, at_minimum, at_edges[np.maximum(cell - 1, 0)])
        r_high = np.where(last, at_maximum, at_edges[np.minimum(cell, edges.size - 1)])
        # The under- and overflow bins reach past the extremes: all of the first is above
        # its lower end, all of the last below its upper end.
        r_low = np.where(first, 0.0, r_low)
        r_high = np.where(last, 1.0, r_high)
        low = np.clip(low, self.minimum, self.maximum)
        high = np.clip(high, self.minimum, self.maximum)
        spread = r_high - r_low
        # The sketch places values inside a bin only where the bin holds more than the
        # sketch's error; a finer bin is taken as filled evenly (the values are continuous
        # there, or the bin is a single atom at its upper edge). Only those points ask the
        # sketch for their rank.
        resolves = (spread > 0) & (mass > self.count * self._sketch_error())
        with np.errstate(divide="ignore", invalid="ignore"):
            by_value = np.clip((x - low) / (high - low), 0.0, 1.0)
            inside = np.where(high > low, by_value, 1.0)
            if resolves.any():
                r_x = self.sketch.cdf(x[resolves])
                by_sketch = np.clip((r_x - r_low[resolves]) / spread[resolves], 0.0, 1.0)
                inside[resolves] = by_sketch
        result = (below + mass * inside) / self.count
        result = np.where(x < self.minimum, 0.0, np.where(x >= self.maximum, 1.0, result))
        return np.asarray(result, dtype=np.float64)

    def _below(self) -> IntArray:
        """Per bin, the count of values in the bins before it (and the total, last)."""
        cumulative = self._cumulative
        if cumulative is None:
            cumulative = np.concatenate([[0], np.cumsum(self.counts)])
            object.__setattr__(self, "_cumulative", cumulative)
        return cumulative

    def _end_ranks(self) -> tuple[float, float, FloatArray]:
        """The sketch's ranks at the minimum, the maximum and every edge."""
        ranks = self._ranks
        if ranks is None:
            ends = np.concatenate([[self.minimum, self.maximum], self.binning.edges])
            ranks = self.sketch.cdf(ends)
            object.__setattr__(self, "_ranks", ranks)
        return float(ranks[0]), float(ranks[1]), ranks[2:]

    def _sketch_error(self) -> float:
        return 4.0 * self.sketch.rank_error

    def cell_error(self) -> FloatArray:
        """Per bin, the bound on the CDF error at a point inside it (0 when exact)."""
        if self.distinct is not None or self.count == 0:
            return np.zeros(self.counts.size)
        share = self.counts / self.count
        # Three sketch ranks enter the in-bin share; each is off by at most rank_error.
        return np.minimum(share, self._sketch_error())

    @property
    def rank_error_bound(self) -> float:
        """Largest error of ``cdf`` anywhere (the stated error of this summary)."""
        errors = self.cell_error()
        return float(errors.max()) if errors.size else 0.0


def _merge_distinct(
    first: NumericSummary, second: NumericSummary
) -> tuple[FloatArray | None, IntArray | None]:
    if first.distinct is None or first.weights is None:
        return None, None
    if second.distinct is None or second.weights is None:
        return None, None
    distinct, where = np.unique(
        np.concatenate([first.distinct, second.distinct]), return_inverse=True
    )
    if distinct.size > EXACT_CAP:
        return None, None
    weights = np.bincount(
        where, weights=np.concatenate([first.weights, second.weights]), minlength=distinct.size
    )
    return distinct, weights.astype(np.int64)


def _distinct_of_sorted(ordered: FloatArray) -> tuple[FloatArray | None, IntArray | None]:
    if ordered.size == 0:
        return np.empty(0), np.empty(0, dtype=np.int64)
    # Every few values of a sorted column are sorted too, and hold no more distinct values
    # than it: more than the cap there (a continuous column) settles it without a full scan.
    if ordered.size > 16 * EXACT_CAP:
        spaced = ordered[:: ordered.size // (4 * EXACT_CAP)]
        if np.count_nonzero(spaced[1:] != spaced[:-1]) + 1 > EXACT_CAP:
            return None, None
    starts = np.flatnonzero(np.concatenate([[True], ordered[1:] != ordered[:-1]]))
    if starts.size > EXACT_CAP:
        return None, None
    weights = np.diff(starts, append=ordered.size).astype(np.int64)
    return ordered[starts], weights


def summarise_numeric(values: ArrayLike, binning: Binning, *, k: int = DEFAULT_K) -> NumericSummary:
    """Summarise one column; NaN and infinities count as missing."""
    array = np.asarray(values, dtype=np.float64).ravel()
    finite = np.isfinite(array)
    kept = array if finite.all() else array[finite]
    ordered = np.sort(kept)
    count = int(ordered.size)
    total = float(ordered.sum()) if count else 0.0
    if count:
        centred = ordered - total / count
        m2 = float(centred @ centred)
    else:
        m2 = 0.0
    distinct, weights = _distinct_of_sorted(ordered)
    return NumericSummary(
        binning=binning,
        count=count,
        missing=int(array.size - count),
        minimum=float(ordered[0]) if count else math.nan,
        maximum=float(ordered[-1]) if count else math.nan,
        total=total,
        m2=m2,
        counts=binning.counts_of_sorted(ordered),
        sketch=QuantileSketch.of(ordered, k),
        distinct=distinct,
        weights=weights,
    )


def summarise_sample(
    sample: NumericSample, binning: Binning | None = None, *, k: int = DEFAULT_K
) -> NumericSummary:
    """Summarise a sample (on bins derived from it unless given); its missing count is kept."""
    cut = binning or Binning.from_reference(sample.values)
    return replace(summarise_numeric(sample.values, cut, k=k), missing=sample.missing)
