"""Empirical distribution functions of two sorted samples, merged in one pass.

KS, Wasserstein, energy distance and the Cramér–von Mises statistic are all functionals of
the two ECDFs evaluated on the pooled distinct values; computing them from one merge keeps a
million-row column at a few tens of milliseconds.
"""

from __future__ import annotations

from typing import NamedTuple

import numpy as np
from numpy.typing import NDArray

__all__ = [
    "MergedECDF",
    "histogram_shares",
    "merge_ecdfs",
    "quantile_bin_counts",
    "sorted_quantiles",
]

FloatArray = NDArray[np.float64]
# From this many pooled values the merge by binary search beats the stable argsort.
MERGE_BY_SEARCH_FROM = 200_000


class MergedECDF(NamedTuple):
    """Distinct pooled values and both ECDFs evaluated there (right-continuous)."""

    values: FloatArray
    reference_cdf: FloatArray
    current_cdf: FloatArray


def merge_ecdfs(reference: FloatArray, current: FloatArray) -> MergedECDF:
    """Both ECDFs on the pooled distinct values of two *sorted* samples.

    >>> m = merge_ecdfs(np.array([1.0, 2.0]), np.array([2.0, 3.0]))
    >>> m.values.tolist(), m.reference_cdf.tolist(), m.current_cdf.tolist()
    ([1.0, 2.0, 3.0], [0.5, 1.0, 1.0], [0.0, 0.5, 1.0])
    """
    n, m = reference.size, current.size
    if n + m >= MERGE_BY_SEARCH_FROM:
        values, from_current = _merge_by_search(reference, current)
        from_reference = np.arange(1, n + m + 1)
        from_reference -= from_current  # in place: a million-row merge's arrays are 16 MB each
    else:
        pooled = np.concatenate([reference, current])
        # Two sorted runs: a stable sort detects them and merges in linear time.
        order = np.argsort(pooled, kind="stable")
        values = pooled[order]
        from_reference = np.cumsum(order < n)
        from_current = np.arange(1, n + m + 1) - from_reference
    last_of_ties = np.empty(values.size, dtype=bool)
    np.not_equal(values[1:], values[:-1], out=last_of_ties[:-1])
    last_of_ties[-1] = True
    if not last_of_ties.all():  # discrete data (continuous data: no copy of three long arrays)
        values = values[last_of_ties]
        from_reference, from_current = from_reference[last_of_ties], from_current[last_of_ties]
    # Each count goes as soon as its ECDF is made: the peak holds four long arrays, not five.
    reference_cdf = from_reference / n
    del from_reference
    return MergedECDF(values, reference_cdf, from_current / m)


def _merge_by_search(
    reference: FloatArray, current: FloatArray
) -> tuple[FloatArray, NDArray[np.int64]]:
    """Merged values and the running count of current values, without a sort.

    Each current value's place among the reference values is a binary search, done in
    increasing order so memory is read in order; on a million rows per side this is twice as
    fast as the stable argsort, whose gather (``pooled[order]``) jumps around memory.
    """
    n, m = reference.size, current.size
    positions = np.searchsorted(reference, current, side="left") + np.arange(m)
    is_current = np.zeros(n + m, dtype=bool)
    is_current[positions] = True
    values = np.empty(n + m, dtype=np.float64)
    values[positions] = current
    values[~is_current] = reference
    return values, np.cumsum(is_current, dtype=np.int64)


def sorted_quantiles(sorted_values: FloatArray, levels: FloatArray | list[float]) -> FloatArray:
    """Quantiles of an already sorted array, as ``np.quantile`` (linear) computes them.

    Indexing a sorted array skips the partition ``np.quantile`` would do again.

    >>> sorted_quantiles(np.array([1.0, 2.0, 3.0, 4.0]), [0.0, 0.5, 1.0]).tolist()
    [1.0, 2.5, 4.0]
    """
    positions = np.asarray(levels, dtype=np.float64) * (sorted_values.size - 1)
    lower = np.floor(positions).astype(np.int64)
    upper = np.minimum(lower + 1, sorted_values.size - 1)
    weight = positions - lower
    low, high = sorted_values[lower], sorted_values[upper]
    return np.asarray(low + (high - low) * weight, dtype=np.float64)


def quantile_bin_counts(
    reference: FloatArray, current: FloatArray, bins: int
) -> tuple[NDArray[np.int64], NDArray[np.int64]]:
    """Counts of both sorted samples in bins cut at the reference's quantiles.

    Edges are the distinct inner reference quantiles, so heavy ties merge bins rather than
    leaving empty ones; the outer bins are open so every current value falls in one.
    """
    inner = np.unique(sorted_quantiles(reference, np.linspace(0.0, 1.0, bins + 1)[1:-1]))
    return _counts_at(reference, inner), _counts_at(current, inner)


def _counts_at(sorted_values: FloatArray, inner_edges: FloatArray) -> NDArray[np.int64]:
    cut = np.searchsorted(sorted_values, inner_edges, side="right")
    bounds = np.concatenate([[0], cut, [sorted_values.size]])
    return np.diff(bounds).astype(np.int64)


def histogram_shares(
    reference: FloatArray, current: FloatArray, bins: int = 30
) -> tuple[FloatArray, FloatArray, FloatArray]:
    """Equal-width edges over both samples' 0.5–99.5% range and each sample's share per bin.

    For charts: outliers beyond the range are clipped into the outer bins.
    """
    ref_low, ref_high = sorted_quantiles(reference, [0.005, 0.995])
    cur_low, cur_high = sorted_quantiles(current, [0.005, 0.995])
    low, high = min(ref_low, cur_low), max(ref_high, cur_high)
    if not high > low:
        high = low + 1.0
    edges = np.linspace(low, high, bins + 1)
    inner = edges[1:-1]
    ref_share = _counts_at(reference, inner) / reference.size
    cur_share = _counts_at(current, inner) / current.size
    return edges, ref_share.astype(np.float64), cur_share.astype(np.float64)
