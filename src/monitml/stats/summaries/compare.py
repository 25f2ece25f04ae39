"""Drift statistics between two numerical summaries, within their stated error.

Both summaries' CDFs are evaluated on one grid: the bin edges, both minima and maxima, 2,049
quantiles of each sketch, the values a summary still holds, and just below each of those
points its left limit. Between two grid points a CDF is taken as linear; an atom (a tied
value, or any value of an exact sample) is a jump over a segment of no width, so two exact
samples give the exact statistics and a discrete column keeps its steps.

* KS: the largest CDF gap on the grid. It is within ``ks_error_bound`` (the two summaries'
  ``rank_error_bound`` added) of the exact statistic; the p-value is Kolmogorov's limit
  at ``sqrt(nm/(n+m)) · D``, as ``ks_pvalue`` gives it from an effective size of 2,000;
  below that (a summary of a few thousand rows is exact, so this is a short window against
  a long reference) the limit overstates tail p-values somewhat, as ``ks_pvalue`` explains.
* Wasserstein, energy, Cramér–von Mises, Anderson–Darling: the same functionals of the two
  CDFs as the sample methods, integrated segment by segment (exactly for a linear gap).
  Anderson–Darling is Scholz & Stephens' midrank statistic with each segment a tie group,
  standardised and given a p-value capped to [0.001, 0.25] as SciPy does.
* Binned divergences: coarse counts summed from the fine histogram, exactly the counts of
  ``quantile_bin_counts`` when the reference summary is of the sample the bins came from.
"""

from __future__ import annotations

import functools
import math
from dataclasses import replace
from typing import NamedTuple

import numpy as np
from numpy.typing import NDArray

from monitml.errors import DataError
from monitml.stats.distributions import kolmogorov_sf
from monitml.stats.samples import NumericSample
from monitml.stats.summaries.numerical import NumericSummary, summarise_numeric

__all__ = [
    "SummaryECDFs",
    "anderson_from_summaries",
    "binned_counts",
    "ecdfs",
    "ks_error_bound",
    "ks_from_summaries",
    "pair_summaries",
    "summary_scale",
    "wasserstein_error_bound",
]

FloatArray = NDArray[np.float64]
GRID_LEVELS = 2049


def pair_summaries(
    reference: NumericSample | NumericSummary, current: NumericSample | NumericSummary
) -> tuple[NumericSummary, NumericSummary]:
    """Both sides as summaries on one binning (a sample is summarised on the other's)."""
    if isinstance(reference, NumericSummary) and isinstance(current, NumericSummary):
        if not reference.binning.same_as(current.binning):
            raise DataError("summaries compared must be cut at the same bin edges")
        return reference, current
    if isinstance(reference, NumericSummary) and isinstance(current, NumericSample):
        summary = summarise_numeric(current.values, reference.binning, k=reference.sketch.k)
        return reference, replace(summary, missing=current.missing)
    if isinstance(reference, NumericSample) and isinstance(current, NumericSummary):
        summary = summarise_numeric(reference.values, current.binning, k=current.sketch.k)
        return replace(summary, missing=reference.missing), current
    raise DataError("a summary comparison needs at least one numerical summary")


class SummaryECDFs(NamedTuple):
    """Grid points and both CDFs there; between two points each CDF is linear.

    Every point comes with the point just below it (one float step), so an atom — a value
    many rows share, or any value of a sample kept exactly — is a jump across a segment of
    no width (``atom``), and a CDF that is flat up to it stays flat.
    """

    points: FloatArray
    reference_cdf: FloatArray
    current_cdf: FloatArray
    gap: FloatArray
    atom: NDArray[np.bool_]


def _grid(reference: NumericSummary, current: NumericSummary) -> FloatArray:
    levels = np.linspace(0.0, 1.0, GRID_LEVELS)
    low = min(reference.minimum, current.minimum)
    high = max(reference.maximum, current.maximum)
    edges = reference.binning.edges
    parts = [
        edges[(edges >= low) & (edges <= high)],
        np.array([reference.minimum, reference.maximum, current.minimum, current.maximum]),
    ]
    for side in (reference, current):
        parts.append(side.distinct if side.distinct is not None else side.sketch.quantiles(levels))
    points = np.unique(np.concatenate(parts))
    return np.unique(np.concatenate([points, np.nextafter(points[1:], -np.inf)]))


def ecdfs(reference: NumericSummary, current: NumericSummary) -> SummaryECDFs:
    """Both CDFs on the common grid (see the module docstring); read-only arrays."""
    if reference.count == 0 or current.count == 0:
        raise DataError("both summaries need at least one non-missing value")
    return _ecdfs(reference, current)


# Summaries are immutable and hashed by identity: the default rule asks for the curves of
# one pair twice (KS, then Wasserstein), and the last few pairs are kept for that.
@functools.lru_cache(maxsize=4)
def _ecdfs(reference: NumericSummary, current: NumericSummary) -> SummaryECDFs:
    points = _grid(reference, current)
    f, g = reference.cdf(points), current.cdf(points)
    atom = points[:-1] == np.nextafter(points[1:], -np.inf)
    curves = SummaryECDFs(points, f, g, f - g, atom)
    for array in curves:
        array.flags.writeable = False
    return curves


def _abs_integral(start: FloatArray, end: FloatArray) -> FloatArray:
    """∫₀¹ |start + (end − start) t| dt for each segment."""
    same_sign = start * end >= 0
    total = np.abs(start) + np.abs(end)
    with np.errstate(divide="ignore", invalid="ignore"):
        crossing = (start**2 + end**2) / (2.0 * total)
    return np.where(same_sign, total / 2.0, np.where(total > 0, crossing, 0.0))


def _square_integral(start: FloatArray, end: FloatArray) -> FloatArray:
    """∫₀¹ (start + (end − start) t)² dt for each segment."""
    return (start**2 + start * end + end**2) / 3.0


def ks_from_summaries(reference: NumericSummary, current: NumericSummary) -> tuple[float, float]:
    """KS statistic on the grid and its p-value from Kolmogorov's limit."""
    statistic = float(np.abs(ecdfs(reference, current).gap).max())
    return statistic, ks_pvalue_from_sizes(statistic, reference.count, current.count)


def ks_pvalue_from_sizes(statistic: float, n: int, m: int) -> float:
    return kolmogorov_sf(math.sqrt(n * m / (n + m)) * statistic)


def ks_error_bound(reference: NumericSummary, current: NumericSummary) -> float:
    """How far the KS statistic from summaries may be from the exact one."""
    return reference.rank_error_bound + current.rank_error_bound


def wasserstein_error_bound(reference: NumericSummary, current: NumericSummary) -> float:
    """How far the normed Wasserstein distance from summaries may be from the exact one.

    Each bin adds its width times both CDFs' error bound in it; the outer bins reach to the
    extremes of both sides.
    """
    edges = reference.binning.edges
    low = min(reference.minimum, current.minimum, edges[0])
    high = max(reference.maximum, current.maximum, edges[-1])
    widths = np.diff(np.concatenate([[low], edges, [high]]))
    errors = reference.cell_error() + current.cell_error()
    return float((widths * errors).sum()) / summary_scale(reference, current)


def summary_scale(reference: NumericSummary, current: NumericSummary) -> float:
    """The reference standard deviation; pooled if it is 0, and 1 if both are constant."""
    if reference.std > 0:
        return reference.std
    n, m = reference.count, current.count
    delta = current.mean - reference.mean
    pooled_m2 = reference.m2 + current.m2 + delta * delta * n * m / (n + m)
    pooled = math.sqrt(max(pooled_m2, 0.0) / (n + m))
    return pooled if pooled > 0 else 1.0


def wasserstein_from_summaries(reference: NumericSummary, current: NumericSummary) -> float:
    """Wasserstein-1 distance divided by ``summary_scale``."""
    curves = ecdfs(reference, current)
    widths = np.diff(curves.points)
    distance = float((widths * _abs_integral(curves.gap[:-1], curves.gap[1:])).sum())
    return distance / summary_scale(reference, current)


def energy_from_summaries(reference: NumericSummary, current: NumericSummary) -> float:
    """Energy distance (SciPy's definition) divided by ``summary_scale``."""
    curves = ecdfs(reference, current)
    widths = np.diff(curves.points)
    squared = float((widths * _square_integral(curves.gap[:-1], curves.gap[1:])).sum())
    return math.sqrt(2.0 * squared) / summary_scale(reference, current)


def cvm_from_summaries(reference: NumericSummary, current: NumericSummary) -> float:
    """Two-sample Cramér–von Mises T = nm/N · ∫ (F − G)² dH over the pooled CDF H."""
    curves = ecdfs(reference, current)
    n, m = reference.count, current.count
    gap = curves.gap
    # An atom meets the gap just after it (the CDFs are right-continuous), as in
    # cvm_statistic; mass spread over a segment meets the mean square gap there.
    per_mass = np.where(curves.atom, gap[1:] ** 2, _square_integral(gap[:-1], gap[1:]))
    pooled = n * np.diff(curves.reference_cdf) + m * np.diff(curves.current_cdf)
    first = n * curves.reference_cdf[0] + m * curves.current_cdf[0]
    total = float((pooled * per_mass).sum()) + float(first * gap[0] ** 2)
    return n * m / (n + m) ** 2 * total


def anderson_from_summaries(
    reference: NumericSummary, current: NumericSummary
) -> tuple[float, float]:
    """Standardised Anderson–Darling k-sample statistic (k = 2) and its capped p-value."""
    curves = ecdfs(reference, current)
    n, m = reference.count, current.count
    total = n + m
    counts_f = np.diff(curves.reference_cdf, prepend=0.0) * n
    counts_g = np.diff(curves.current_cdf, prepend=0.0) * m
    ties = counts_f + counts_g
    keep = ties > 0
    counts_f, counts_g, ties = counts_f[keep], counts_g[keep], ties[keep]
    below_f = np.cumsum(counts_f) - counts_f
    below_g = np.cumsum(counts_g) - counts_g
    below = below_f + below_g
    midrank = below + ties / 2.0
    m_f, m_g = below_f + counts_f / 2.0, below_g + counts_g / 2.0
    denominator = midrank * (total - midrank) - total * ties / 4.0
    valid = denominator > 0
    terms = (total * m_f - n * midrank) ** 2 / n + (total * m_g - m * midrank) ** 2 / m
    a2 = (total - 1) / total**2 * float((ties[valid] * terms[valid] / denominator[valid]).sum())
    statistic = (a2 - 1.0) / math.sqrt(_anderson_variance(n, m))
    return statistic, _anderson_pvalue(statistic)


# Scholz & Stephens (1987), Table 2: critical values b0 + b1/sqrt(m) + b2/m, m = k − 1.
_AD_LEVELS = np.array([0.25, 0.1, 0.05, 0.025, 0.01, 0.005, 0.001])
_AD_B0 = np.array([0.675, 1.281, 1.645, 1.96, 2.326, 2.573, 3.085])
_AD_B1 = np.array([-0.245, 0.25, 0.678, 1.149, 1.822, 2.364, 3.615])
_AD_B2 = np.array([-0.105, -0.305, -0.362, -0.391, -0.396, -0.345, -0.154])
# From this many pooled values the harmonic sums take their asymptotic form.
_AD_ASYMPTOTIC_FROM = 2_000_000


def _anderson_variance(n: int, m: int) -> float:
    """Variance of A²kN under the null for k = 2 (Scholz & Stephens, eq. 4)."""
    k, total = 2, n + m
    big_h = 1.0 / n + 1.0 / m
    if total < _AD_ASYMPTOTIC_FROM:
        tail = np.cumsum(1.0 / np.arange(total - 1, 1, -1, dtype=np.float64))
        h = float(tail[-1]) + 1.0
        g = float((tail / np.arange(2, total, dtype=np.float64)).sum())
    else:
        h = math.log(total - 1) + 0.5772156649015329 + 1.0 / (2 * (total - 1))
        g = math.pi**2 / 6.0
    a = (4 * g - 6) * (k - 1) + (10 - 6 * g) * big_h
    b = (2 * g - 4) * k**2 + 8 * h * k + (2 * g - 14 * h - 4) * big_h - 8 * h + 4 * g - 6
    c = (6 * h + 2 * g - 2) * k**2 + (4 * h - 4 * g + 6) * k + (2 * h - 6) * big_h + 4 * h
    d = (2 * h + 6) * k**2 - 4 * h * k
    return (a * total**3 + b * total**2 + c * total + d) / (
        (total - 1.0) * (total - 2.0) * (total - 3.0)
    )


def _anderson_pvalue(statistic: float) -> float:
    critical = _AD_B0 + _AD_B1 + _AD_B2  # m = 1
    if statistic < critical.min():
        return float(_AD_LEVELS.max())
    if statistic > critical.max():
        return float(_AD_LEVELS.min())
    # Interpolate the log significance level as a quadratic in the critical value.
    fit = np.polyfit(critical, np.log(_AD_LEVELS), 2)
    return float(math.exp(np.polyval(fit, statistic)))


def binned_counts(
    reference: NumericSummary, current: NumericSummary, bins: int
) -> tuple[FloatArray, FloatArray]:
    """Counts of both sides in ``bins`` bins cut at the reference's quantiles."""
    ref = reference.binning.coarse_counts(reference.counts, bins)
    cur = current.binning.coarse_counts(current.counts, bins)
    if ref is not None and cur is not None:
        return ref.astype(np.float64), cur.astype(np.float64)
    # Not anchored: cut at the reference sketch's quantiles, count through both CDFs.
    inner = np.unique(reference.sketch.quantiles(np.linspace(0.0, 1.0, bins + 1)[1:-1]))
    ref_share = np.diff(reference.cdf(inner), prepend=0.0, append=1.0)
    cur_share = np.diff(current.cdf(inner), prepend=0.0, append=1.0)
    return ref_share * reference.count, cur_share * current.count
