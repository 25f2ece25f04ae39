"""Tests of category shares: chi-square on the contingency table, z-test and Fisher's exact."""

from __future__ import annotations

import math
from typing import ClassVar

import numpy as np
from numpy.typing import NDArray

from monitml.errors import DataError
from monitml.stats.distributions import chi2_sf, normal_sf
from monitml.stats.registry import DriftMethod, register
from monitml.stats.result import ColumnKind
from monitml.stats.samples import CategoricalSample, align_counts

__all__ = ["ChiSquare", "FisherExact", "ZTest", "pool_sparse_categories"]

_CATEGORICAL: frozenset[ColumnKind] = frozenset({"categorical"})
MIN_EXPECTED = 5.0


def pool_sparse_categories(
    reference: NDArray[np.int64], current: NDArray[np.int64], min_expected: float = MIN_EXPECTED
) -> tuple[NDArray[np.int64], NDArray[np.int64]]:
    """Merge categories whose expected count is below ``min_expected`` into one cell.

    The chi-square approximation needs expected counts of about five; a long tail of rare
    categories (seen in one sample only by chance) otherwise makes the test cry wolf.
    """
    n, m = reference.sum(), current.sum()
    expected_in_smaller = (reference + current) * min(n, m) / (n + m)
    sparse = expected_in_smaller < min_expected
    if not sparse.any():
        return reference, current
    ref = np.append(reference[~sparse], reference[sparse].sum())
    cur = np.append(current[~sparse], current[sparse].sum())
    pooled_expected = (ref[-1] + cur[-1]) * min(n, m) / (n + m)
    if pooled_expected < min_expected and ref.size > 2:
        # Still too small: fold the pooled cell into the rarest kept category.
        rarest = int(np.argmin(ref[:-1] + cur[:-1]))
        ref[rarest] += ref[-1]
        cur[rarest] += cur[-1]
        ref, cur = ref[:-1], cur[:-1]
    return ref, cur


def chi_square_homogeneity(
    reference: NDArray[np.int64], current: NDArray[np.int64]
) -> tuple[float, float]:
    """Pearson's chi-square on the 2×k table of counts (no continuity correction)."""
    table = np.vstack([reference, current]).astype(np.float64)
    table = table[:, table.sum(axis=0) > 0]
    if table.shape[1] < 2:
        return 0.0, 1.0
    expected = table.sum(axis=1, keepdims=True) * table.sum(axis=0) / table.sum()
    statistic = float(((table - expected) ** 2 / expected).sum())
    return statistic, chi2_sf(statistic, table.shape[1] - 1)


@register
class ChiSquare(DriftMethod):
    """Chi-square test that both samples share category frequencies.

    A test of homogeneity on the contingency table, not a goodness-of-fit against the
    reference shares, so a category missing from the reference does not force p = 0; sparse
    categories are pooled first.
    """

    key: ClassVar[str] = "chisquare"
    kinds = _CATEGORICAL
    default_threshold: ClassVar[float] = 0.05
    is_test: ClassVar[bool] = True
    summary: ClassVar[str] = "Chi-square test of homogeneity, sparse categories pooled (p-value)"

    def _categorical(
        self, reference: CategoricalSample, current: CategoricalSample
    ) -> tuple[float, float | None]:
        _, ref, cur = align_counts(reference, current)
        return chi_square_homogeneity(*pool_sparse_categories(ref, cur))


def _binary_counts(
    key: str, reference: CategoricalSample, current: CategoricalSample
) -> tuple[int, int, int, int]:
    categories, ref, cur = align_counts(reference, current)
    if len(categories) > 2:
        raise DataError(
            f"method '{key}' needs a binary column; this one has {len(categories)} categories"
        )
    first_ref, first_cur = int(ref[0]), int(cur[0])
    return first_ref, int(ref.sum()), first_cur, int(cur.sum())


@register
class ZTest(DriftMethod):
    """Two-proportion z-test on a binary column (pooled variance, two-sided)."""

    key: ClassVar[str] = "ztest"
    kinds = _CATEGORICAL
    default_threshold: ClassVar[float] = 0.05
    is_test: ClassVar[bool] = True
    summary: ClassVar[str] = "Z-test for two proportions, binary columns (p-value)"

    def _categorical(
        self, reference: CategoricalSample, current: CategoricalSample
    ) -> tuple[float, float | None]:
        hits_ref, n, hits_cur, m = _binary_counts(self.key, reference, current)
        pooled = (hits_ref + hits_cur) / (n + m)
        variance = pooled * (1.0 - pooled) * (1.0 / n + 1.0 / m)
        if variance == 0.0:
            return 0.0, 1.0
        z = (hits_ref / n - hits_cur / m) / math.sqrt(variance)
        return float(z), min(1.0, 2.0 * normal_sf(abs(z)))


@register
class FisherExact(DriftMethod):
    """Fisher's exact test on the 2×2 table of a binary column; for small samples."""

    key: ClassVar[str] = "fisher"
    kinds = _CATEGORICAL
    default_threshold: ClassVar[float] = 0.05
    is_test: ClassVar[bool] = True
    summary: ClassVar[str] = "Fisher's exact test, small binary columns (p-value)"

    def _categorical(
        self, reference: CategoricalSample, current: CategoricalSample
    ) -> tuple[float, float | None]:
        from scipy.stats import fisher_exact  # noqa: PLC0415  # heavy import, only when chosen

        hits_ref, n, hits_cur, m = _binary_counts(self.key, reference, current)
        table = [[hits_ref, n - hits_ref], [hits_cur, m - hits_cur]]
        result = fisher_exact(table)
        odds = float(result.statistic)
        return (odds if math.isfinite(odds) else float("inf")), float(result.pvalue)
