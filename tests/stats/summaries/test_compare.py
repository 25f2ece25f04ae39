"""Drift from summaries (issue 13, item 2): every method runs on summaries; the binned ones
exactly, the ECDF ones within the stated error; verdicts equal the exact ones.

The held-out splits replay the scenarios of tests/stats/test_auto_defaults.py (undrifted
pairs at every size, known shifts, a tiny shift on many rows) on new seeds. Each side is
summarised in three parts that are merged, as partitions or windows would be.
"""

from __future__ import annotations

import numpy as np
import pytest

from monitml.stats import registry
from monitml.stats.catalog import get_method, methods_for
from monitml.stats.distributions import kolmogorov_sf
from monitml.stats.result import DriftResult
from monitml.stats.samples import CategoricalSample, NumericSample
from monitml.stats.summaries import (
    Binning,
    NumericSummary,
    Vocabulary,
    summarise_categorical,
    summarise_numeric,
)
from monitml.stats.summaries.compare import ks_error_bound, wasserstein_error_bound

NUMERICAL = methods_for("numerical")
BINNED = ["hellinger", "jensenshannon", "kl", "psi"]
SIZES = [300, 1_000, 3_000, 10_000, 30_000, 100_000, 200_000]


def _draw(rng: np.random.Generator, shape: str, size: int, shift: float = 0.0) -> np.ndarray:
    values = {
        "normal": lambda: rng.normal(10.0, 3.0, size),
        "lognormal": lambda: rng.lognormal(0.0, 1.0, size),
        "discrete": lambda: rng.poisson(4.0, size).astype(float),
        "zero-inflated": lambda: np.where(rng.random(size) < 0.4, 0.0, rng.gamma(2.0, 5.0, size)),
    }[shape]()
    return values + shift * values.std()


def _summary(values: np.ndarray, binning: Binning) -> NumericSummary:
    parts = [summarise_numeric(part, binning) for part in np.array_split(values, 3)]
    return parts[0].merge(parts[1]).merge(parts[2])


def _both(
    method: str, reference: np.ndarray, current: np.ndarray
) -> tuple[DriftResult, DriftResult, NumericSummary, NumericSummary]:
    binning = Binning.from_reference(reference)
    ref, cur = _summary(reference, binning), _summary(current, binning)
    exact = get_method(method).fit(NumericSample.from_values(reference))
    approximate = get_method(method).fit(ref)
    return (
        exact.score(NumericSample.from_values(current)),
        approximate.score(cur),
        ref,
        cur,
    )


def _on_the_boundary(
    method: str, exact: DriftResult, ref: NumericSummary, cur: NumericSummary
) -> bool:
    """Whether the exact statistic is within the stated error of the method's threshold."""
    assert exact.statistic is not None
    assert exact.threshold is not None
    if method == "ks":
        bound, effective = (
            ks_error_bound(ref, cur),
            np.sqrt(ref.count * cur.count / (ref.count + cur.count)),
        )
        high = kolmogorov_sf(effective * max(exact.statistic - bound, 0.0))
        low = kolmogorov_sf(effective * (exact.statistic + bound))
        return low <= exact.threshold <= high
    if method == "wasserstein":
        return abs(exact.statistic - exact.threshold) <= wasserstein_error_bound(ref, cur)
    if exact.p_value is not None:  # Anderson–Darling, Cramér–von Mises: no closed bound
        return abs(exact.p_value - exact.threshold) <= 0.01
    return abs(exact.statistic - exact.threshold) <= 0.01 * exact.threshold


@pytest.mark.parametrize("shape", ["normal", "lognormal", "discrete", "zero-inflated"])
@pytest.mark.parametrize("shift", [0.0, 0.05, 0.3], ids=["undrifted", "0.05σ", "0.3σ"])
def test_every_numerical_method_agrees_with_its_exact_statistic_on_200k_rows(
    shape: str, shift: float
) -> None:
    rng = np.random.default_rng(int(shift * 100) + len(shape))
    reference, current = _draw(rng, shape, 200_000), _draw(rng, shape, 200_000, shift)
    for method in NUMERICAL:
        exact, approximate, ref, cur = _both(method, reference, current)
        assert exact.statistic is not None
        assert approximate.statistic is not None
        if method in BINNED:
            assert approximate.statistic == pytest.approx(exact.statistic, rel=1e-12, abs=1e-15)
        elif method in ("ks", "auto"):
            assert abs(approximate.statistic - exact.statistic) <= ks_error_bound(ref, cur)
        elif method == "wasserstein":
            error = abs(approximate.statistic - exact.statistic)
            assert error <= wasserstein_error_bound(ref, cur)
        else:  # energy, Cramér–von Mises, Anderson–Darling: measured, no closed bound
            assert approximate.statistic == pytest.approx(exact.statistic, rel=0.05, abs=0.02), (
                method
            )
        if method == "auto":
            assert exact.effect_size is not None
            assert approximate.effect_size is not None
            assert abs(approximate.effect_size - exact.effect_size) <= wasserstein_error_bound(
                ref, cur
            )
        if exact.drift_detected != approximate.drift_detected:
            assert _on_the_boundary(method, exact, ref, cur), method


@pytest.mark.parametrize("size", SIZES, ids=[f"{s}-rows" for s in SIZES])
@pytest.mark.parametrize("shape", ["normal", "lognormal", "discrete"])
def test_the_default_verdicts_from_summaries_equal_the_exact_ones_on_held_out_splits(
    size: int, shape: str
) -> None:
    rng = np.random.default_rng(1_000 + size + len(shape))
    trials = 40 if size <= 10_000 else 6
    for trial in range(trials):
        shift = [0.0, 0.0, 0.02, 0.3][trial % 4]
        reference, current = _draw(rng, shape, size), _draw(rng, shape, size, shift)
        exact, approximate, _, _ = _both("auto", reference, current)
        assert approximate.drift_detected == exact.drift_detected
        assert approximate.method == exact.method == "ks"


@pytest.mark.parametrize("size", [3_000, 30_000, 100_000], ids=["3k", "30k", "100k"])
def test_every_numerical_method_gives_the_exact_verdict_off_its_boundary(size: int) -> None:
    rng = np.random.default_rng(2_000 + size)
    boundary = 0
    for trial in range(6):
        shape = ["normal", "lognormal", "zero-inflated"][trial % 3]
        shift = [0.0, 0.03, 0.1][trial % 3]
        reference, current = _draw(rng, shape, size), _draw(rng, shape, size, shift)
        for method in NUMERICAL:
            exact, approximate, ref, cur = _both(method, reference, current)
            if exact.drift_detected != approximate.drift_detected:
                assert _on_the_boundary(method, exact, ref, cur), (method, shape, shift)
                boundary += 1
    assert boundary <= 2


def test_a_reference_summary_scores_a_current_sample_as_the_monitor_would() -> None:
    rng = np.random.default_rng(5)
    reference, current = rng.normal(0, 1, 150_000), rng.normal(0.5, 1, 5_000)
    summary = _summary(reference, Binning.from_reference(reference))
    result = get_method("auto").fit(summary).score(NumericSample.from_values(current))
    exact = (
        get_method("auto")
        .fit(NumericSample.from_values(reference))
        .score(NumericSample.from_values(current))
    )
    assert result.drift_detected
    assert exact.drift_detected
    assert result.effect_size == pytest.approx(exact.effect_size, abs=0.01)
    assert (result.reference_size, result.current_size) == (150_000, 5_000)


def _zipf(rng: np.random.Generator, size: int, categories: int = 150) -> np.ndarray:
    weights = 1.0 / np.arange(1, categories + 1) ** 1.1
    return rng.choice(categories, size=size, p=weights / weights.sum()).astype(str)


@pytest.mark.parametrize("size", [300, 3_000, 30_000], ids=["300", "3k", "30k"])
def test_categorical_verdicts_and_statistics_from_summaries_are_exact(size: int) -> None:
    rng = np.random.default_rng(size)
    for trial in range(10):
        reference, current = _zipf(rng, size), _zipf(rng, size)
        if trial % 2:
            current[rng.random(size) < 0.05] = "new"
        vocabulary = Vocabulary.from_reference(reference)
        ref = summarise_categorical(reference, vocabulary)
        cur = summarise_categorical(current, vocabulary)
        for method in methods_for("categorical"):
            if method in ("ztest", "fisher"):
                continue  # binary columns only: below
            exact = get_method(method).fit(CategoricalSample.from_values(reference))
            expected = exact.score(CategoricalSample.from_values(current))
            found = get_method(method).fit(ref).score(cur)
            assert found == expected, method


@pytest.mark.parametrize("method", ["ztest", "fisher", "chisquare", "auto"])
def test_binary_categorical_methods_from_summaries_are_exact(method: str) -> None:
    rng = np.random.default_rng(9)
    reference = rng.choice(["yes", "no"], 400, p=[0.3, 0.7])
    current = rng.choice(["yes", "no"], 400, p=[0.4, 0.6])
    vocabulary = Vocabulary.from_reference(reference)
    expected = (
        get_method(method)
        .fit(CategoricalSample.from_values(reference))
        .score(CategoricalSample.from_values(current))
    )
    found = (
        get_method(method)
        .fit(summarise_categorical(reference, vocabulary))
        .score(summarise_categorical(current, vocabulary))
    )
    assert found == expected


@pytest.mark.parametrize("shift", [0.0, 0.3], ids=["undrifted", "0.3σ"])
def test_a_discrete_column_compared_as_summaries_gives_the_exact_statistics(
    shift: float, monkeypatch: pytest.MonkeyPatch
) -> None:
    # Past a million rows an exact summary is compared as a summary, not expanded: here
    # from any size, to show that path is exact too.
    monkeypatch.setattr(registry, "SAMPLE_FROM_SUMMARY_UP_TO", 0)
    rng = np.random.default_rng(31)
    reference, current = _draw(rng, "discrete", 50_000), _draw(rng, "discrete", 40_000, shift)
    for method in NUMERICAL:
        exact, approximate, ref, cur = _both(method, reference, current)
        assert ref.exact
        assert cur.exact
        assert approximate.statistic == pytest.approx(exact.statistic, rel=1e-9, abs=1e-12), method
        if exact.p_value is not None:
            assert approximate.p_value == pytest.approx(exact.p_value, rel=1e-6, abs=1e-12), method
        assert approximate.drift_detected == exact.drift_detected
