"""The default drift rule: a valid test *and* an effect large enough to matter.

A p-value alone cries wolf on large samples (100,000 rows flag a 0.02σ shift) and a fixed
distance alone cries wolf on small ones (two halves of 300 rows are often 0.1σ apart by
chance). The default flags a column only when both agree:

* **significance** — numerical: Kolmogorov–Smirnov; categorical with two categories:
  two-proportion z-test, or Fisher's exact when an expected count is below 5; otherwise
  chi-square of homogeneity with sparse categories pooled. p < ``threshold`` (α = 0.01).
* **effect size** (in standard deviations, so both kinds share one scale):
  numerical: Wasserstein distance / reference std (a mean shift of 0.1σ gives 0.1);
  categorical: the largest change of one category's share, divided by the standard
  deviation of that category's indicator, ``|q − p| / sqrt(p̄(1 − p̄))``.
  Numerical effect ≥ 0.1, categorical ≥ 0.05 (a share moving from 30% to 27.6%): a change
  of a fifth in a common category's share must not sit on the edge of the floor.

Small samples are guarded by the test, large ones by the effect size; at α = 0.01 at most
1% of undrifted columns are flagged at any sample size.
"""

from __future__ import annotations

from dataclasses import replace
from typing import ClassVar

import numpy as np

from monitml.stats.ecdf import merge_ecdfs
from monitml.stats.methods.ecdf_distances import reference_scale
from monitml.stats.methods.ecdf_tests import ks_pvalue
from monitml.stats.methods.proportions import MIN_EXPECTED, ChiSquare, FisherExact, ZTest
from monitml.stats.registry import DriftMethod, as_comparable, register
from monitml.stats.result import ColumnKind, DriftResult
from monitml.stats.samples import CategoricalSample, NumericSample, Sample, align_counts
from monitml.stats.summaries.categorical import CategoricalSummary
from monitml.stats.summaries.compare import (
    ks_from_summaries,
    pair_summaries,
    wasserstein_from_summaries,
)
from monitml.stats.summaries.numerical import NumericSummary

__all__ = ["DEFAULT_ALPHA", "DEFAULT_MIN_EFFECT", "AutoDrift", "categorical_effect_size"]

DEFAULT_ALPHA = 0.01
_TESTS: dict[str, type[DriftMethod]] = {
    "chisquare": ChiSquare,
    "ztest": ZTest,
    "fisher": FisherExact,
}
DEFAULT_MIN_EFFECT: dict[ColumnKind, float] = {"numerical": 0.1, "categorical": 0.05}


def categorical_effect_size(reference: CategoricalSample, current: CategoricalSample) -> float:
    """Largest standardised change of one category's share.

    >>> ref = CategoricalSample.from_counts({"a": 50, "b": 50})
    >>> round(categorical_effect_size(ref, CategoricalSample.from_counts({"a": 40, "b": 60})), 3)
    0.201
    """
    _, ref, cur = align_counts(reference, current)
    ref_share, cur_share = ref / ref.sum(), cur / cur.sum()
    pooled = (ref + cur) / (ref.sum() + cur.sum())
    spread = np.sqrt(pooled * (1.0 - pooled))
    varying = spread > 0
    if not varying.any():
        return 0.0
    return float(np.max(np.abs(cur_share - ref_share)[varying] / spread[varying]))


def choose_test(reference: Sample, current: Sample) -> str:
    """The significance test the default rule uses for a pair of samples."""
    if isinstance(reference, NumericSample):
        return "ks"
    if isinstance(current, CategoricalSample):
        categories, ref, cur = align_counts(reference, current)
        if len(categories) <= 2:
            totals = ref + cur
            smallest_expected = totals.min() * min(ref.sum(), cur.sum()) / totals.sum()
            return "fisher" if smallest_expected < MIN_EXPECTED else "ztest"
    return "chisquare"


@register
class AutoDrift(DriftMethod):
    """Default rule: significant at ``threshold`` (α) and effect ≥ ``min_effect``.

    The result names the test that ran (``ks``, ``chisquare``, ``ztest`` or ``fisher``) and
    carries the effect size beside its own statistic and p-value.
    """

    key: ClassVar[str] = "auto"
    kinds: ClassVar[frozenset[ColumnKind]] = frozenset({"numerical", "categorical"})
    default_threshold: ClassVar[float] = DEFAULT_ALPHA
    is_test: ClassVar[bool] = True
    summary: ClassVar[str] = (
        "Default: KS / chi-square / z / Fisher at α=0.01 and a minimum effect size"
    )

    def __init__(self, threshold: float | None = None, min_effect: float | None = None):
        super().__init__(threshold)
        self.min_effect = min_effect

    def min_effect_for(self, kind: ColumnKind) -> float:
        """The effect floor in use for a column kind."""
        return DEFAULT_MIN_EFFECT[kind] if self.min_effect is None else self.min_effect

    def score(
        self, current: Sample | NumericSummary | CategoricalSummary, *, feature: str = ""
    ) -> DriftResult:
        current = as_comparable(current)
        reference = getattr(self, "reference_", None)
        if isinstance(reference, NumericSummary):
            reference = as_comparable(reference)
        numerical = (NumericSample, NumericSummary)
        if isinstance(reference, NumericSample) and isinstance(current, NumericSample):
            result = self._score_numerical(reference, current, feature)
        elif isinstance(reference, numerical) and isinstance(current, numerical):
            result = self._score_numerical_summaries(reference, current, feature)
        elif isinstance(reference, CategoricalSample) and isinstance(current, CategoricalSample):
            test = _TESTS[choose_test(reference, current)](self.threshold_).fit(reference)
            base = test.score(current, feature=feature)
            result = replace(base, effect_size=categorical_effect_size(reference, current))
        else:
            # Not fitted, or kinds that differ: the base class raises the right error.
            return super().score(current, feature=feature)
        floor = self.min_effect_for(result.kind)
        detected = result.drift_detected and (result.effect_size or 0.0) >= floor
        return replace(result, drift_detected=detected, effect_threshold=floor)

    def _score_numerical(
        self, reference: NumericSample, current: NumericSample, feature: str
    ) -> DriftResult:
        # One merge of the sorted samples gives both the KS statistic and the Wasserstein
        # distance: on a million rows this is the whole cost of the column.
        if current.size == 0:
            return super().score(current, feature=feature)
        values, gaps, current_cdf = merge_ecdfs(reference.values, current.values)
        # In place (the same numbers): on a million rows a side each array is 16 MB.
        gaps -= current_cdf
        del current_cdf
        np.abs(gaps, out=gaps)
        statistic = float(gaps.max())
        n, m = reference.size, current.size
        p_value = ks_pvalue(statistic, reference.values, current.values)
        # An elementwise product, not np.dot: BLAS threads cost more than they save here.
        steps = np.diff(values)
        steps *= gaps[:-1]
        wasserstein = float(steps.sum())
        return DriftResult(
            feature=feature,
            method="ks",
            kind="numerical",
            statistic=statistic,
            p_value=p_value,
            threshold=self.threshold_,
            drift_detected=p_value < self.threshold_,
            reference_size=n,
            current_size=m,
            effect_size=wasserstein / reference_scale(reference, current),
        )

    def _score_numerical_summaries(
        self,
        reference: NumericSample | NumericSummary,
        current: NumericSample | NumericSummary,
        feature: str,
    ) -> DriftResult:
        if current.size == 0:
            return super().score(current, feature=feature)
        ref, cur = pair_summaries(reference, current)
        statistic, p_value = ks_from_summaries(ref, cur)
        return DriftResult(
            feature=feature,
            method="ks",
            kind="numerical",
            statistic=statistic,
            p_value=p_value,
            threshold=self.threshold_,
            drift_detected=p_value < self.threshold_,
            reference_size=ref.count,
            current_size=cur.count,
            effect_size=wasserstein_from_summaries(ref, cur),
        )
