"""Data quality and chart shares with a numerical *reference summary* in place of its sample.

The same keys as ``monitml.stats.quality.numeric_quality`` and the same arrays as
``monitml.stats.ecdf.histogram_shares``, so a report cannot tell which it got. Counts,
missing values, min, max, mean and standard deviation are exact; quantiles and chart shares
are exact while the summary holds its values and within its stated rank error
(``rank_error_bound``) after.
"""

from __future__ import annotations

from typing import Any

import numpy as np
from numpy.typing import ArrayLike, NDArray

from monitml.stats.ecdf import sorted_quantiles
from monitml.stats.quality import QUANTILE_LEVELS, numeric_profile
from monitml.stats.samples import NumericSample
from monitml.stats.summaries.numerical import NumericSummary

__all__ = ["summary_histogram_shares", "summary_profile", "summary_quality", "summary_quantiles"]

FloatArray = NDArray[np.float64]
_LEVELS = np.linspace(0.0, 1.0, 1025)


def summary_quantiles(summary: NumericSummary, levels: ArrayLike) -> FloatArray:
    """Quantiles as ``np.quantile`` (linear) computes them: exactly, or from the sketch.

    >>> from monitml.stats.summaries import Binning, summarise_numeric
    >>> values = np.array([1.0, 2.0, 2.0, 4.0])
    >>> summary = summarise_numeric(values, Binning.from_reference(values))
    >>> summary_quantiles(summary, [0.0, 0.5, 1.0]).tolist()
    [1.0, 2.0, 4.0]
    """
    wanted = np.asarray(levels, dtype=np.float64).ravel()
    if summary.count == 0:
        return np.full(wanted.size, np.nan)
    if summary.distinct is not None and summary.weights is not None:
        positions = wanted * (summary.count - 1)
        lower = np.floor(positions).astype(np.int64)
        upper = np.minimum(lower + 1, summary.count - 1)
        cumulative = np.cumsum(summary.weights)
        low = summary.distinct[np.searchsorted(cumulative, lower, side="right")]
        high = summary.distinct[np.searchsorted(cumulative, upper, side="right")]
        return np.asarray(low + (high - low) * (positions - lower), dtype=np.float64)
    # Invert the summary's CDF (exact at every bin edge) rather than ask the sketch: its
    # error is then at most one fine bin's share where the bins are finer than the sketch.
    edges = summary.binning.edges
    inside = edges[(edges > summary.minimum) & (edges < summary.maximum)]
    points = np.unique(
        np.concatenate(
            [[summary.minimum, summary.maximum], inside, summary.sketch.quantiles(_LEVELS)]
        )
    )
    points = np.unique(np.concatenate([points, np.nextafter(points[1:], -np.inf)]))
    cdf = summary.cdf(points)
    upper = np.clip(np.searchsorted(cdf, wanted, side="left"), 1, points.size - 1)
    f_low, f_high = cdf[upper - 1], cdf[upper]
    with np.errstate(divide="ignore", invalid="ignore"):
        weight = np.where(f_high > f_low, (wanted - f_low) / (f_high - f_low), 1.0)
    found = points[upper - 1] + np.clip(weight, 0.0, 1.0) * (points[upper] - points[upper - 1])
    found = np.where(wanted <= 0.0, summary.minimum, found)
    return np.asarray(np.where(wanted >= 1.0, summary.maximum, found), dtype=np.float64)


def summary_profile(summary: NumericSummary) -> dict[str, Any]:
    """``numeric_profile`` of the column a summary stands for."""
    count, missing = summary.count, summary.missing
    empty = count == 0
    quantiles = (
        [None] * len(QUANTILE_LEVELS)
        if empty
        else summary_quantiles(summary, list(QUANTILE_LEVELS)).tolist()
    )
    return {
        "count": count,
        "missing": missing,
        "missing_share": missing / (count + missing) if count + missing else None,
        "min": None if empty else float(summary.minimum),
        "max": None if empty else float(summary.maximum),
        "mean": None if empty else float(summary.mean),
        "std": None if empty else float(summary.std),
        "quantiles": {
            str(level): value for level, value in zip(QUANTILE_LEVELS, quantiles, strict=True)
        },
    }


def summary_quality(reference: NumericSummary, current: NumericSample) -> dict[str, Any]:
    """``numeric_quality`` with the reference given as a summary."""
    out_of_range: float | None = None
    if reference.count and current.size:
        below = int(np.searchsorted(current.values, reference.minimum, side="left"))
        above = current.size - int(np.searchsorted(current.values, reference.maximum, side="right"))
        out_of_range = (below + above) / current.size
    constant_current = current.size > 0 and bool(current.values[0] == current.values[-1])
    return {
        "kind": "numerical",
        "reference": summary_profile(reference),
        "current": numeric_profile(current),
        "out_of_range_share": out_of_range,
        "constant": bool(reference.count and reference.minimum == reference.maximum)
        or constant_current,
        "type_mismatch": None,
    }


def summary_histogram_shares(
    reference: NumericSummary, current: FloatArray, bins: int = 30
) -> tuple[FloatArray, FloatArray, FloatArray]:
    """``histogram_shares`` with the reference given as a summary (``current`` sorted)."""
    ref_low, ref_high = summary_quantiles(reference, [0.005, 0.995])
    cur_low, cur_high = sorted_quantiles(current, [0.005, 0.995])
    low, high = min(ref_low, cur_low), max(ref_high, cur_high)
    if not high > low:
        high = low + 1.0
    edges = np.linspace(low, high, bins + 1)
    inner = edges[1:-1]
    ref_share = np.diff(reference.cdf(inner), prepend=0.0, append=1.0)
    cut = np.searchsorted(current, inner, side="right")
    cur_share = np.diff(cut, prepend=0, append=current.size) / current.size
    return edges, ref_share.astype(np.float64), cur_share.astype(np.float64)
