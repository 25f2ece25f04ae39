"""ECDF-based methods (ks, anderson, cvm, wasserstein, energy) checked against SciPy."""

from __future__ import annotations

import warnings

import numpy as np
import pytest
from scipy import stats

from monitml.stats.catalog import get_method
from monitml.stats.ecdf import merge_ecdfs
from monitml.stats.methods.ecdf_tests import cvm_asymptotic_pvalue, cvm_statistic
from monitml.stats.result import DriftResult
from monitml.stats.samples import NumericSample

NUMERICAL_KEYS = ["ks", "anderson", "cvm", "wasserstein", "energy"]


def _score(key: str, reference: np.ndarray, current: np.ndarray) -> DriftResult:
    method = get_method(key).fit(NumericSample.from_values(reference))
    return method.score(NumericSample.from_values(current), feature="x")


def _pair(
    rng: np.random.Generator, n: int, m: int, shift: float, ties: bool
) -> tuple[np.ndarray, np.ndarray]:
    reference, current = rng.normal(0.0, 1.0, n), rng.normal(shift, 1.0, m)
    if ties:  # half-unit grid: a few dozen distinct values, most of them tied
        reference, current = np.round(reference * 2) / 2, np.round(current * 2) / 2
    return reference, current


KS_SIZES = [(30, 30), (30, 50), (100, 80), (30, 1_000), (1_000, 1_000), (5_000, 3_000)]
KS_SIZES += [(20_000, 20_000), (50_000, 40_000), (30, 50_000)]


@pytest.mark.parametrize("ties", [False, True], ids=["no-ties", "ties"])
@pytest.mark.parametrize("sizes", KS_SIZES, ids=[f"{n}x{m}" for n, m in KS_SIZES])
def test_ks_statistic_equals_scipy_and_p_value_is_within_five_percent(
    sizes: tuple[int, int], ties: bool
) -> None:
    n, m = sizes
    rng = np.random.default_rng(n + 7 * m + ties)
    checked = 0
    # Shifts from none to about 4.3 standard errors: p-values from ~1 down to ~1e-4.
    for z in np.linspace(0.0, 4.3, 12):
        reference, current = _pair(rng, n, m, z * np.sqrt(1 / n + 1 / m), ties)
        result = _score("ks", reference, current)
        # SciPy's exact mode rounds D onto the 1/lcm(n, m) lattice, which can move it by
        # one ulp; its asymptotic mode returns the ECDF gap unrounded, as we compute it.
        assert result.statistic == stats.ks_2samp(reference, current, method="asymp").statistic
        expected = stats.ks_2samp(reference, current).pvalue  # exact up to 10,000 per side
        if expected < 1e-4:
            continue
        checked += 1
        # Below nm/(n+m) = 2,000 the method uses SciPy's p-value itself; above it uses
        # Kolmogorov's limit at sqrt(nm/(n+m))·D, which is within 3% of SciPy's there.
        # 5% relative is the documented tolerance for p >= 1e-4.
        assert result.p_value == pytest.approx(expected, rel=0.05)
    assert checked >= 6


def test_ks_uses_kolmogorovs_limit_on_large_samples() -> None:
    from scipy.special import kolmogorov  # noqa: PLC0415

    rng = np.random.default_rng(3)
    reference, current = rng.normal(0, 1, 8_000), rng.normal(0.05, 1, 6_000)
    result = _score("ks", reference, current)
    assert result.statistic is not None
    effective = 8_000 * 6_000 / 14_000
    assert result.p_value == pytest.approx(kolmogorov(np.sqrt(effective) * result.statistic))


@pytest.mark.parametrize("shift", [0.0, 0.1, 0.5], ids=["no-shift", "small-shift", "big-shift"])
@pytest.mark.parametrize("ties", [False, True], ids=["no-ties", "ties"])
def test_anderson_darling_equals_scipy_midrank_statistic_and_capped_p_value(
    shift: float, ties: bool
) -> None:
    rng = np.random.default_rng(31)
    reference, current = _pair(rng, 400, 300, shift, ties)
    result = _score("anderson", reference, current)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", UserWarning)  # SciPy warns when it caps p
        expected = stats.anderson_ksamp([reference, current], variant="midrank")
    assert result.statistic == pytest.approx(expected.statistic, rel=1e-12)
    assert result.p_value == pytest.approx(expected.pvalue, rel=1e-12)
    assert 0.001 <= result.p_value <= 0.25


CVM_SIZES = [(10, 15), (25, 30), (100, 40), (1_000, 100), (500, 5_000)]


@pytest.mark.parametrize("shift", [0.0, 0.3], ids=["no-shift", "shifted"])
@pytest.mark.parametrize("sizes", CVM_SIZES, ids=[f"{n}x{m}" for n, m in CVM_SIZES])
def test_cramer_von_mises_equals_scipy_on_untied_samples(
    sizes: tuple[int, int], shift: float
) -> None:
    rng = np.random.default_rng(sum(sizes))
    reference, current = _pair(rng, *sizes, shift, ties=False)
    result = _score("cvm", reference, current)
    expected = stats.cramervonmises_2samp(reference, current)
    assert result.statistic == pytest.approx(expected.statistic, rel=1e-12)
    assert result.p_value == pytest.approx(expected.pvalue, rel=1e-12)


@pytest.mark.parametrize("sizes", CVM_SIZES[1:], ids=[f"{n}x{m}" for n, m in CVM_SIZES[1:]])
def test_the_tie_aware_cvm_formula_equals_scipy_when_there_are_no_ties(
    sizes: tuple[int, int],
) -> None:
    # The formula used on tied samples, checked where SciPy's rank formula is right
    # (sizes above 20 per side, where SciPy's p-value is asymptotic too).
    n, m = sizes
    rng = np.random.default_rng(n * m)
    reference, current = np.sort(rng.normal(0, 1, n)), np.sort(rng.normal(0.2, 1, m))
    statistic = cvm_statistic(merge_ecdfs(reference, current), n, m)
    expected = stats.cramervonmises_2samp(reference, current)
    assert statistic == pytest.approx(expected.statistic, rel=1e-10)
    assert cvm_asymptotic_pvalue(statistic, n, m) == pytest.approx(expected.pvalue, rel=1e-9)


def test_cvm_on_tied_samples_is_the_ecdf_gap_summed_over_pooled_values() -> None:
    # Reference [0, 0, 1, 1], current [0, 1, 1, 1]; N = 8, nm/N² = 16/64 = 1/4.
    # At 0: F = 2/4, G = 1/4, gap² = 1/16, three pooled values there.
    # At 1: F = G = 1, gap 0. T = 1/4 · 3/16 = 3/64.
    result = _score("cvm", np.array([0.0, 0, 1, 1]), np.array([0.0, 1, 1, 1]))
    assert result.statistic == pytest.approx(3 / 64)


def test_cvm_does_not_flag_discrete_samples_of_one_distribution_with_unequal_sizes() -> None:
    # SciPy's rank formula has no tie correction and flags every one of these pairs.
    rng = np.random.default_rng(41)
    flagged = [
        _score("cvm", rng.poisson(4.0, 1_000), rng.poisson(4.0, 100)).drift_detected
        for _ in range(300)
    ]
    # Nominal 5%; 9% is four binomial standard errors above it.
    assert np.mean(flagged) <= 0.09


@pytest.mark.parametrize("scale", [1.0, 5.0], ids=["unit-scale", "wide-scale"])
@pytest.mark.parametrize("ties", [False, True], ids=["no-ties", "ties"])
def test_normed_wasserstein_equals_scipy_distance_over_reference_std(
    scale: float, ties: bool
) -> None:
    rng = np.random.default_rng(51)
    reference, current = _pair(rng, 2_000, 1_500, 0.4, ties)
    reference, current = reference * scale, current * scale * 1.2
    result = _score("wasserstein", reference, current)
    expected = stats.wasserstein_distance(reference, current) / np.std(reference)
    assert result.statistic == pytest.approx(expected, rel=1e-9)
    assert result.p_value is None


def test_normed_wasserstein_of_a_location_shift_is_the_shift_in_reference_stds() -> None:
    reference = np.arange(1_000.0)
    result = _score("wasserstein", reference, reference + np.std(reference) * 0.25)
    assert result.statistic == pytest.approx(0.25)


@pytest.mark.parametrize("scale", [1.0, 5.0], ids=["unit-scale", "wide-scale"])
@pytest.mark.parametrize("ties", [False, True], ids=["no-ties", "ties"])
def test_normed_energy_distance_equals_scipy_distance_over_reference_std(
    scale: float, ties: bool
) -> None:
    rng = np.random.default_rng(61)
    reference, current = _pair(rng, 2_000, 1_500, 0.4, ties)
    reference, current = reference * scale, current * scale * 1.2
    result = _score("energy", reference, current)
    expected = stats.energy_distance(reference, current) / np.std(reference)
    assert result.statistic == pytest.approx(expected, rel=1e-9)


CONSTANT_CASES = {
    "same-constant": (np.full(50, 3.0), np.full(40, 3.0)),
    "other-constant": (np.full(50, 3.0), np.full(40, 4.0)),
    "constant-reference": (np.full(50, 3.0), np.arange(40.0)),
    "constant-current": (np.arange(50.0), np.full(40, 3.0)),
    "one-row-current": (np.full(1_000, 3.0), np.array([3.0])),
}


@pytest.mark.parametrize("key", NUMERICAL_KEYS)
@pytest.mark.parametrize("case", CONSTANT_CASES.values(), ids=CONSTANT_CASES.keys())
def test_constant_columns_give_a_finite_verdict(
    key: str, case: tuple[np.ndarray, np.ndarray]
) -> None:
    reference, current = case
    result = _score(key, reference, current)
    assert result.statistic is not None
    assert np.isfinite(result.statistic)
    if result.p_value is not None:
        assert 0.0 <= result.p_value <= 1.0


@pytest.mark.parametrize("key", NUMERICAL_KEYS)
@pytest.mark.parametrize("sizes", [(50, 40), (1_000, 10)], ids=["50x40", "1000x10"])
def test_identical_constant_columns_are_not_flagged(key: str, sizes: tuple[int, int]) -> None:
    n, m = sizes
    result = _score(key, np.full(n, 7.0), np.full(m, 7.0))
    assert not result.drift_detected
    assert result.statistic == 0.0


@pytest.mark.parametrize("key", NUMERICAL_KEYS)
def test_a_constant_column_that_moves_is_flagged(key: str) -> None:
    assert _score(key, np.full(200, 3.0), np.full(150, 4.0)).drift_detected
