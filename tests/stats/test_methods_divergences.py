"""Binned divergences (jensenshannon, psi, hellinger, kl) against SciPy and worked values."""

from __future__ import annotations

import math

import numpy as np
import pytest
from scipy.spatial.distance import jensenshannon

from monitml.stats.catalog import get_method
from monitml.stats.ecdf import quantile_bin_counts
from monitml.stats.result import DriftResult
from monitml.stats.samples import CategoricalSample, NumericSample, Sample

DIVERGENCE_KEYS = ["jensenshannon", "psi", "hellinger", "kl"]

# Reference shares a .5, b .3, c .2; current shares a .4, b .4, c .2.
REFERENCE = {"a": 50, "b": 30, "c": 20}
CURRENT = {"a": 40, "b": 40, "c": 20}


def _score(key: str, reference: Sample, current: Sample) -> float:
    result: DriftResult = get_method(key).fit(reference).score(current, feature="x")
    assert result.p_value is None
    assert result.statistic is not None
    return result.statistic


def _categorical(key: str, reference: dict[str, int], current: dict[str, int]) -> float:
    return _score(
        key, CategoricalSample.from_counts(reference), CategoricalSample.from_counts(current)
    )


def _numerical(key: str, reference: np.ndarray, current: np.ndarray) -> float:
    return _score(key, NumericSample.from_values(reference), NumericSample.from_values(current))


CATEGORICAL_PAIRS = {
    "shifted-shares": (REFERENCE, CURRENT),
    "new-category": ({"a": 60, "b": 40}, {"a": 50, "b": 30, "new": 20}),
    "lost-category": ({"a": 60, "b": 30, "c": 10}, {"a": 70, "b": 30}),
}


@pytest.mark.parametrize("pair", CATEGORICAL_PAIRS.values(), ids=CATEGORICAL_PAIRS.keys())
def test_jensen_shannon_equals_scipy_on_category_shares(
    pair: tuple[dict[str, int], dict[str, int]],
) -> None:
    reference, current = pair
    categories = list(CategoricalSample.from_counts(reference).categories)
    categories += [c for c in current if c not in categories]
    ref = np.array([reference.get(c, 0) for c in categories], dtype=float)
    cur = np.array([current.get(c, 0) for c in categories], dtype=float)
    expected = jensenshannon(ref / ref.sum(), cur / cur.sum())  # natural log
    assert _categorical("jensenshannon", reference, current) == pytest.approx(expected, rel=1e-12)


def test_jensen_shannon_on_numbers_equals_scipy_on_twenty_reference_quantile_bins() -> None:
    rng = np.random.default_rng(71)
    reference, current = np.sort(rng.normal(0, 1, 3_000)), np.sort(rng.normal(0.3, 1.2, 2_000))
    ref, cur = quantile_bin_counts(reference, current, 20)
    expected = jensenshannon(ref / ref.sum(), cur / cur.sum())
    assert _numerical("jensenshannon", reference, current) == pytest.approx(expected, rel=1e-12)


def test_jensen_shannon_of_disjoint_categories_is_its_maximum_sqrt_ln_2() -> None:
    maximum = math.sqrt(math.log(2))
    assert _categorical("jensenshannon", {"a": 5}, {"b": 5}) == pytest.approx(maximum)


def test_psi_worked_example() -> None:
    # PSI = Σ (q − p) ln(q / p) = (−0.1) ln(0.4/0.5) + 0.1 ln(0.4/0.3) + 0
    #     = 0.1 · 0.223144 + 0.1 · 0.287682 = 0.0510826
    assert _categorical("psi", REFERENCE, CURRENT) == pytest.approx(0.0510826, abs=1e-7)


def test_psi_floors_an_empty_share_at_one_in_ten_thousand() -> None:
    # Current has no "b": its share 0 is floored to 1e-4.
    # PSI = (1 − 0.5) ln(1/0.5) + (1e-4 − 0.5) ln(1e-4/0.5)
    #     = 0.5 · 0.693147 + (−0.4999) · (−8.517193) = 0.346574 + 4.257745 = 4.604319
    assert _categorical("psi", {"a": 50, "b": 50}, {"a": 100}) == pytest.approx(4.604319, abs=1e-6)


def test_psi_on_numbers_bins_at_reference_deciles() -> None:
    # Reference 0..999: deciles at 99.9, 199.8, ..., 899.1, so 100 values per bin.
    # Current: 0..99 and 900..999, half in the first decile and half in the last.
    # PSI = 2 · (0.5 − 0.1) ln(0.5/0.1) + 8 · (1e-4 − 0.1) ln(1e-4/0.1)   (empty bins floored)
    #     = 0.8 · 1.6094379 + 8 · 0.0999 · 6.9077553 = 1.2875503 + 5.5206780 = 6.8082283
    reference = np.arange(1_000.0)
    current = np.concatenate([np.arange(100.0), np.arange(900.0, 1_000.0)])
    assert _numerical("psi", reference, current) == pytest.approx(6.8082283, abs=1e-7)


def test_hellinger_worked_example() -> None:
    # H = sqrt(1 − Σ sqrt(p q)) = sqrt(1 − (sqrt(0.2) + sqrt(0.12) + 0.2))
    #   = sqrt(1 − (0.4472136 + 0.3464102 + 0.2)) = sqrt(0.0063762) = 0.0798514
    assert _categorical("hellinger", REFERENCE, CURRENT) == pytest.approx(0.0798514, abs=1e-7)


def test_hellinger_of_disjoint_categories_is_one() -> None:
    assert _categorical("hellinger", {"a": 3, "b": 4}, {"c": 5}) == pytest.approx(1.0)


def test_numbers_beyond_the_reference_range_fall_in_its_open_top_bin() -> None:
    # Reference 0..99 in 20 quantile bins of 5 values; current 500..599 lands entirely in
    # the top bin (share 0.05 of the reference), so the samples still overlap there:
    # H = sqrt(1 − sqrt(0.05 · 1)) = sqrt(1 − 0.2236068) = 0.8811318
    hellinger = _numerical("hellinger", np.arange(100.0), np.arange(500.0, 600.0))
    assert hellinger == pytest.approx(0.8811318, abs=1e-7)


def test_kl_worked_example_is_reference_to_current() -> None:
    # KL(p ‖ q) = Σ p ln(p / q) = 0.5 ln(0.5/0.4) + 0.3 ln(0.3/0.4) + 0.2 ln 1
    #           = 0.5 · 0.2231436 − 0.3 · 0.2876821 = 0.1115718 − 0.0863046 = 0.0252672
    assert _categorical("kl", REFERENCE, CURRENT) == pytest.approx(0.0252672, abs=1e-7)


def test_kl_floors_a_share_missing_from_current() -> None:
    # KL = 0.5 ln(0.5/1) + 0.5 ln(0.5/1e-4) = −0.346574 + 4.258597 = 3.912023
    assert _categorical("kl", {"a": 50, "b": 50}, {"a": 100}) == pytest.approx(3.912023, abs=1e-6)


@pytest.mark.parametrize("key", DIVERGENCE_KEYS)
@pytest.mark.parametrize("kind", ["numerical", "categorical"])
def test_identical_samples_give_zero(key: str, kind: str) -> None:
    rng = np.random.default_rng(81)
    if kind == "numerical":
        values = rng.lognormal(0, 1, 2_000)
        assert _numerical(key, values, values.copy()) == pytest.approx(0.0, abs=1e-12)
    else:
        counts = {"a": 700, "b": 250, "c": 50}
        assert _categorical(key, counts, dict(counts)) == pytest.approx(0.0, abs=1e-12)


@pytest.mark.parametrize("key", DIVERGENCE_KEYS)
def test_divergences_are_never_negative(key: str) -> None:
    rng = np.random.default_rng(91)
    for _ in range(50):
        n, m = rng.integers(20, 2_000, size=2)
        reference = rng.normal(0, 1, n)
        current = rng.normal(rng.normal(0, 0.3), rng.uniform(0.5, 2.0), m)
        assert _numerical(key, reference, current) >= 0.0
        ref_counts = _counts(rng.integers(0, 8, n))
        cur_counts = _counts(rng.integers(0, rng.integers(2, 12), m))
        assert _categorical(key, ref_counts, cur_counts) >= 0.0


def _counts(values: np.ndarray) -> dict[str, int]:
    labels, counts = np.unique(values, return_counts=True)
    return {str(label): int(count) for label, count in zip(labels, counts, strict=True)}


@pytest.mark.parametrize("key", DIVERGENCE_KEYS)
def test_a_constant_numerical_column_gives_a_finite_divergence(key: str) -> None:
    assert math.isfinite(_numerical(key, np.full(100, 2.0), np.full(80, 3.0)))
    assert _numerical(key, np.full(100, 2.0), np.full(80, 2.0)) == pytest.approx(0.0, abs=1e-12)
