"""Two-sample tests on numerical columns built on the empirical distribution functions."""

from __future__ import annotations

import math
import warnings
from typing import ClassVar

import numpy as np

from monitml.stats.distributions import kolmogorov_sf
from monitml.stats.ecdf import MergedECDF, merge_ecdfs
from monitml.stats.registry import DriftMethod, register
from monitml.stats.result import ColumnKind
from monitml.stats.samples import NumericSample
from monitml.stats.summaries.compare import (
    anderson_from_summaries,
    cvm_from_summaries,
    ks_from_summaries,
)
from monitml.stats.summaries.numerical import NumericSummary

__all__ = [
    "AndersonDarling",
    "CramerVonMises",
    "KolmogorovSmirnov",
    "ks_pvalue",
    "ks_statistic_pvalue",
]

_NUMERICAL: frozenset[ColumnKind] = frozenset({"numerical"})
# Effective size nm/(n+m) from which Kolmogorov's limit is within 3% of the exact p-value.
LIMIT_FROM_EFFECTIVE_SIZE = 2_000


def ks_statistic_pvalue(reference: np.ndarray, current: np.ndarray) -> tuple[float, float]:
    """Two-sided two-sample KS statistic of sorted samples and its p-value.

    From an effective size ``nm/(n+m)`` of 2,000 upward the p-value is Kolmogorov's limit at
    ``sqrt(nm/(n+m)) * D``: within 3% of SciPy's down to p = 1e-4, and it needs no
    ``scipy.stats`` import (a second of start-up on a command-line run). Below that the limit
    overstates tail p-values (by 70% near p = 1e-4 at 30 × 50 rows), so SciPy's
    ``ks_2samp`` p-value (exact distribution) is used; it is cheap at those sizes.

    >>> d, p = ks_statistic_pvalue(np.arange(100.0), np.arange(100.0) + 50)
    >>> round(d, 2), p < 1e-9
    (0.5, True)
    """
    merged = merge_ecdfs(reference, current)
    statistic = float(np.max(np.abs(merged.reference_cdf - merged.current_cdf)))
    return statistic, ks_pvalue(statistic, reference, current)


def ks_pvalue(statistic: float, reference: np.ndarray, current: np.ndarray) -> float:
    """The p-value of a two-sample KS statistic (see :func:`ks_statistic_pvalue`)."""
    n, m = reference.size, current.size
    effective = n * m / (n + m)
    if effective < LIMIT_FROM_EFFECTIVE_SIZE:
        return _scipy_ks_pvalue(reference, current)
    return kolmogorov_sf(math.sqrt(effective) * statistic)


def _scipy_ks_pvalue(reference: np.ndarray, current: np.ndarray) -> float:
    from scipy.stats import ks_2samp  # noqa: PLC0415  # heavy import, only for small samples

    with warnings.catch_warnings():
        # When the exact distribution fails numerically SciPy warns and falls back to its
        # asymptotic p-value; that fallback is the answer we want.
        warnings.simplefilter("ignore", RuntimeWarning)
        result = ks_2samp(reference, current)
    return float(np.clip(result.pvalue, 0.0, 1.0))


@register
class KolmogorovSmirnov(DriftMethod):
    """Largest gap between the two ECDFs; drift when its p-value is below the threshold."""

    key: ClassVar[str] = "ks"
    kinds = _NUMERICAL
    default_threshold: ClassVar[float] = 0.05
    is_test: ClassVar[bool] = True
    summary: ClassVar[str] = "Kolmogorov–Smirnov two-sample test (p-value)"

    def _numerical(
        self, reference: NumericSample, current: NumericSample
    ) -> tuple[float, float | None]:
        return ks_statistic_pvalue(reference.values, current.values)

    def _numerical_summaries(
        self, reference: NumericSummary, current: NumericSummary
    ) -> tuple[float, float | None]:
        return ks_from_summaries(reference, current)


@register
class AndersonDarling(DriftMethod):
    """Anderson–Darling k-sample test; weighs the tails more than KS.

    SciPy caps its p-value to [0.001, 0.25]; the capped value is reported as is.
    """

    key: ClassVar[str] = "anderson"
    kinds = _NUMERICAL
    default_threshold: ClassVar[float] = 0.05
    is_test: ClassVar[bool] = True
    summary: ClassVar[str] = "Anderson–Darling k-sample test (p-value, capped to 0.001–0.25)"

    def _numerical(
        self, reference: NumericSample, current: NumericSample
    ) -> tuple[float, float | None]:
        from scipy.stats import anderson_ksamp  # noqa: PLC0415  # heavy import, only when chosen

        ends = {reference.values[0], reference.values[-1], current.values[0], current.values[-1]}
        if len(ends) == 1:  # one distinct value in both: nothing to compare
            return 0.0, 1.0
        with warnings.catch_warnings():
            # SciPy warns whenever it caps the p-value; the cap is documented above.
            warnings.simplefilter("ignore", UserWarning)
            result = anderson_ksamp([reference.values, current.values], variant="midrank")
        return float(result.statistic), float(result.pvalue)

    def _numerical_summaries(
        self, reference: NumericSummary, current: NumericSummary
    ) -> tuple[float, float | None]:
        if reference.minimum == reference.maximum == current.minimum == current.maximum:
            return 0.0, 1.0
        return anderson_from_summaries(reference, current)


@register
class CramerVonMises(DriftMethod):
    """Cramér–von Mises two-sample test: the integrated squared ECDF gap."""

    key: ClassVar[str] = "cvm"
    kinds = _NUMERICAL
    default_threshold: ClassVar[float] = 0.05
    is_test: ClassVar[bool] = True
    summary: ClassVar[str] = "Cramér–von Mises two-sample test (p-value)"

    def _numerical(
        self, reference: NumericSample, current: NumericSample
    ) -> tuple[float, float | None]:
        from scipy.stats import cramervonmises_2samp  # noqa: PLC0415  # heavy import, only when chosen

        merged = merge_ecdfs(reference.values, current.values)
        n, m = reference.size, current.size
        if merged.values.size < n + m or min(n, m) < 2:
            # SciPy's rank formula has no tie correction: on a discrete column it flags two
            # samples of one distribution every time once their sizes differ. The limiting
            # law still assumes continuity, so with most values tied the test is somewhat
            # liberal (about 9% flagged at 0.05 on a column that is three quarters zeros).
            statistic = cvm_statistic(merged, n, m)
            return statistic, cvm_asymptotic_pvalue(statistic, n, m)
        result = cramervonmises_2samp(reference.values, current.values)
        return float(result.statistic), float(np.clip(result.pvalue, 0.0, 1.0))

    def _numerical_summaries(
        self, reference: NumericSummary, current: NumericSummary
    ) -> tuple[float, float | None]:
        statistic = cvm_from_summaries(reference, current)
        return statistic, cvm_asymptotic_pvalue(statistic, reference.count, current.count)


def cvm_statistic(merged: MergedECDF, n: int, m: int) -> float:
    """Two-sample CvM ``T = nm/N² Σ (F_n − G_m)²`` over the N pooled values, ties included.

    Without ties this is Anderson's (1962) rank formula, the one SciPy computes.
    """
    pooled_counts = np.rint(n * merged.reference_cdf + m * merged.current_cdf)
    multiplicity = np.diff(pooled_counts, prepend=0.0)
    squared_gaps = (merged.reference_cdf - merged.current_cdf) ** 2
    return n * m / (n + m) ** 2 * float((multiplicity * squared_gaps).sum())


def cvm_asymptotic_pvalue(statistic: float, n: int, m: int) -> float:
    """Anderson's standardised T (his eqs. 11, 14, 15) under the limiting CvM law, as SciPy."""
    from scipy.special import gammaln, kv  # noqa: PLC0415

    total, product = n + m, n * m
    mean = (1 + 1 / total) / 6
    spread = (total + 1) * (4 * product * total - 3 * (n**2 + m**2) - 2 * product)
    variance = spread / (45 * total**2 * 4 * product)
    normed = 1 / 6 + (statistic - mean) / math.sqrt(45 * variance)
    if normed < 0.003:  # the limiting cdf is below 1e-18 there
        return 1.0
    # Csörgő & Faraway (1996), eq. 1.3: the series is summed until a term is below 1e-7.
    cdf, k, term = 0.0, 0, 1.0
    while abs(term) >= 1e-7:
        y = 4 * k + 1
        q = y**2 / (16 * normed)
        scale = math.exp(gammaln(k + 0.5) - gammaln(k + 1)) / (math.pi**1.5 * math.sqrt(normed))
        term = scale * math.sqrt(y) * math.exp(-q) * float(kv(0.25, q))
        cdf += term
        k += 1
    return min(max(1.0 - cdf, 0.0), 1.0)
