"""Category-share tests (chisquare, ztest, fisher) against SciPy and worked values."""

from __future__ import annotations

import math

import numpy as np
import pytest
from scipy import stats

from monitml.errors import DataError
from monitml.stats.catalog import get_method
from monitml.stats.methods.proportions import pool_sparse_categories
from monitml.stats.result import DriftResult
from monitml.stats.samples import CategoricalSample


def _score(key: str, reference: dict[str, int], current: dict[str, int]) -> DriftResult:
    method = get_method(key).fit(CategoricalSample.from_counts(reference))
    return method.score(CategoricalSample.from_counts(current), feature="c")


def _counts(values: np.ndarray) -> dict[str, int]:
    labels, counts = np.unique(values, return_counts=True)
    return {f"cat{label}": int(count) for label, count in zip(labels, counts, strict=True)}


@pytest.mark.parametrize("categories", [2, 3, 6, 12], ids=lambda k: f"{k}-categories")
@pytest.mark.parametrize("shifted", [False, True], ids=["same-shares", "shifted-shares"])
def test_chi_square_equals_scipy_contingency_when_every_expected_count_is_at_least_five(
    categories: int, shifted: bool
) -> None:
    rng = np.random.default_rng(100 + categories + shifted)
    shares = np.full(categories, 1.0 / categories)
    current_shares = np.roll(shares * np.linspace(0.7, 1.3, categories), 1) if shifted else shares
    reference = _counts(rng.choice(categories, 800, p=shares))
    current = _counts(rng.choice(categories, 600, p=current_shares / current_shares.sum()))
    keys = sorted(reference)
    table = np.array([[reference[k] for k in keys], [current.get(k, 0) for k in keys]])
    expected = stats.chi2_contingency(table, correction=False)
    assert expected.expected_freq.min() >= 5  # no pooling applies to these tables
    result = _score("chisquare", reference, current)
    assert result.statistic == pytest.approx(expected.statistic, rel=1e-12)
    assert result.p_value == pytest.approx(expected.pvalue, rel=1e-9)


def test_sparse_categories_are_pooled_into_one_cell() -> None:
    # n = m = 100, so a category's expected count in either sample is (r + c) / 2:
    # a 55, b 32.5, c 4, d 4.5, e 4. c, d and e (< 5) are pooled: 3+3+4 = 10 and
    # 5+6+4 = 15, expected 12.5, so the pooled cell stands on its own.
    reference = np.array([60, 30, 3, 3, 4])
    current = np.array([50, 35, 5, 6, 4])
    ref, cur = pool_sparse_categories(reference, current)
    assert ref.tolist() == [60, 30, 10]
    assert cur.tolist() == [50, 35, 15]
    result = _score(
        "chisquare",
        {"a": 60, "b": 30, "c": 3, "d": 3, "e": 4},
        {"a": 50, "b": 35, "c": 5, "d": 6, "e": 4},
    )
    expected = stats.chi2_contingency([[60, 30, 10], [50, 35, 15]], correction=False)
    assert result.statistic == pytest.approx(expected.statistic)
    assert result.p_value == pytest.approx(expected.pvalue)


def test_a_pooled_cell_still_too_small_joins_the_rarest_kept_category() -> None:
    # Expected counts (r + c) / 2: a 47.5, b 42.5, c 4, d 6. Only c is sparse and alone
    # it still expects 4 < 5, so it is folded into d, the rarest kept category: 6+4, 2+8.
    ref, cur = pool_sparse_categories(np.array([50, 40, 6, 4]), np.array([45, 45, 2, 8]))
    assert ref.tolist() == [50, 40, 10]
    assert cur.tolist() == [45, 45, 10]


def test_pooling_uses_the_expected_count_in_the_smaller_sample() -> None:
    # n = 1,000, m = 100: category b has 40 + 4 = 44 rows, so 44 · 100 / 1,100 = 4 < 5
    # expected in the current sample, though 40 in the reference. Alone in the pooled
    # cell it is still below 5, so it joins c (396 rows), the rarer of the kept a and c.
    ref, cur = pool_sparse_categories(np.array([600, 40, 360]), np.array([60, 4, 36]))
    assert ref.tolist() == [600, 400]
    assert cur.tolist() == [60, 40]


def test_a_category_missing_from_the_reference_does_not_force_p_to_zero() -> None:
    # A goodness-of-fit test against the reference shares would give "new" an expected
    # count of 0 and p = 0; the homogeneity test pools it (expected (0 + 2) / 2 = 1).
    result = _score("chisquare", {"a": 30, "b": 20}, {"a": 28, "b": 20, "new": 2})
    assert result.p_value is not None
    assert result.p_value > 0.5
    assert not result.drift_detected


def test_a_new_category_on_many_rows_is_flagged_by_chi_square() -> None:
    result = _score("chisquare", {"a": 300, "b": 200}, {"a": 250, "b": 180, "new": 70})
    assert result.drift_detected


def test_z_test_equals_the_hand_computed_pooled_two_proportion_z() -> None:
    # Share of "no" (the reference's most common category): 140/200 = 0.7 vs 120/200 = 0.6.
    # Pooled share 260/400 = 0.65; variance 0.65 · 0.35 · (1/200 + 1/200) = 0.002275.
    # z = (0.7 − 0.6) / sqrt(0.002275) = 2.0966, two-sided p = 2 · Φ(−|z|) = 0.0360.
    result = _score("ztest", {"no": 140, "yes": 60}, {"no": 120, "yes": 80})
    z = 0.1 / math.sqrt(0.002275)
    assert result.statistic == pytest.approx(z)
    assert result.statistic == pytest.approx(2.0966, abs=1e-4)
    assert result.p_value == pytest.approx(2 * stats.norm.sf(abs(z)))
    assert result.p_value == pytest.approx(0.0360, abs=1e-4)
    assert result.drift_detected


def test_z_test_of_equal_shares_is_zero_with_p_one() -> None:
    result = _score("ztest", {"no": 70, "yes": 30}, {"no": 140, "yes": 60})
    assert result.statistic == pytest.approx(0.0)
    assert result.p_value == pytest.approx(1.0)


def test_z_test_when_both_samples_hold_one_category_is_zero_with_p_one() -> None:
    result = _score("ztest", {"yes": 70}, {"yes": 40})
    assert result.statistic == 0.0
    assert result.p_value == 1.0


FISHER_CASES = {
    "small-shift": ({"a": 8, "b": 2}, {"a": 1, "b": 5}),
    "no-shift": ({"a": 6, "b": 4}, {"a": 3, "b": 2}),
    "category-only-in-current": ({"a": 10}, {"a": 3, "b": 4}),
    "category-only-in-reference": ({"a": 7, "b": 2}, {"a": 9}),
}


@pytest.mark.parametrize("case", FISHER_CASES.values(), ids=FISHER_CASES.keys())
def test_fisher_equals_scipy_fisher_exact(case: tuple[dict[str, int], dict[str, int]]) -> None:
    reference, current = case
    categories = list(CategoricalSample.from_counts(reference).categories)
    categories += [c for c in current if c not in categories]
    first = categories[0]
    n, m = sum(reference.values()), sum(current.values())
    table = [
        [reference.get(first, 0), n - reference.get(first, 0)],
        [current.get(first, 0), m - current.get(first, 0)],
    ]
    expected = stats.fisher_exact(table)
    result = _score("fisher", reference, current)
    assert result.statistic == pytest.approx(expected.statistic)
    assert result.p_value == pytest.approx(expected.pvalue)


@pytest.mark.parametrize("key", ["ztest", "fisher"])
def test_binary_tests_refuse_a_three_category_column_naming_the_method(key: str) -> None:
    with pytest.raises(DataError, match=rf"'{key}'.*3 categories"):
        _score(key, {"a": 5, "b": 5}, {"a": 5, "b": 4, "c": 1})
