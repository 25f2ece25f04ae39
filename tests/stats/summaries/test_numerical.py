"""Numerical summaries: what they keep, merge laws (hypothesis), and the stated CDF error."""

from __future__ import annotations

import math

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from monitml.errors import DataError
from monitml.stats.samples import NumericSample
from monitml.stats.summaries import EXACT_CAP, Binning, NumericSummary, summarise_numeric

REFERENCE = np.random.default_rng(0).normal(10.0, 3.0, 20_000)
BINNING = Binning.from_reference(REFERENCE)
SHAPES = ["normal", "lognormal", "discrete", "shifted"]


def _draw(seed: int, size: int, shape: str) -> np.ndarray:
    rng = np.random.default_rng(seed)
    values = {
        "normal": lambda: rng.normal(10.0, 3.0, size),
        "lognormal": lambda: rng.lognormal(2.0, 1.0, size),
        "discrete": lambda: rng.poisson(10.0, size).astype(float),
        "shifted": lambda: rng.normal(30.0, 0.5, size),  # mostly past the reference's range
    }[shape]()
    values[rng.random(size) < 0.01] = np.nan
    return values


parts = st.tuples(st.integers(0, 2**32 - 1), st.integers(0, 9_000), st.sampled_from(SHAPES)).map(
    lambda drawn: _draw(*drawn)
)
# Derandomised: the sketch's bound holds with 99% confidence, so a run must not re-roll data.
laws = settings(max_examples=25, deadline=None, derandomize=True)


def _exact_fields(summary: NumericSummary) -> tuple[object, ...]:
    distinct = None if summary.distinct is None else summary.distinct.tolist()
    weights = None if summary.weights is None else summary.weights.tolist()
    return (
        summary.count,
        summary.missing,
        summary.minimum if summary.count else None,
        summary.maximum if summary.count else None,
        summary.counts.tolist(),
        distinct,
        weights,
    )


def _assert_ranks_within_error(summary: NumericSummary, values: np.ndarray) -> None:
    """Each sketch quantile's true rank brackets its level within twice the stated error."""
    finite = np.sort(values[np.isfinite(values)])
    if finite.size == 0:
        return
    levels = np.linspace(0.0, 1.0, 41)
    found = summary.sketch.quantiles(levels)
    below = np.searchsorted(finite, found, side="left") / finite.size
    at_most = np.searchsorted(finite, found, side="right") / finite.size
    slack = 2 * summary.sketch.rank_error + 1 / finite.size
    assert np.all(below - slack <= levels)
    assert np.all(levels <= at_most + slack)


@laws
@given(parts, parts)
def test_merge_is_commutative(a: np.ndarray, b: np.ndarray) -> None:
    first = summarise_numeric(a, BINNING).merge(summarise_numeric(b, BINNING))
    second = summarise_numeric(b, BINNING).merge(summarise_numeric(a, BINNING))
    assert _exact_fields(first) == _exact_fields(second)
    assert first.total == second.total
    assert first.m2 == second.m2
    both = np.concatenate([a, b])
    _assert_ranks_within_error(first, both)
    _assert_ranks_within_error(second, both)


@laws
@given(parts, parts, parts)
def test_merge_is_associative(a: np.ndarray, b: np.ndarray, c: np.ndarray) -> None:
    sa, sb, sc = (summarise_numeric(x, BINNING) for x in (a, b, c))
    left, right = sa.merge(sb).merge(sc), sa.merge(sb.merge(sc))
    assert _exact_fields(left) == _exact_fields(right)
    assert left.total == pytest.approx(right.total, rel=1e-12, abs=1e-9)
    assert left.m2 == pytest.approx(right.m2, rel=1e-9, abs=1e-9)
    every = np.concatenate([a, b, c])
    _assert_ranks_within_error(left, every)
    _assert_ranks_within_error(right, every)


@laws
@given(st.lists(parts, min_size=1, max_size=5))
def test_merged_parts_equal_the_summary_of_the_whole(pieces: list[np.ndarray]) -> None:
    merged = summarise_numeric(pieces[0], BINNING)
    for piece in pieces[1:]:
        merged = merged.merge(summarise_numeric(piece, BINNING))
    whole = np.concatenate(pieces)
    direct = summarise_numeric(whole, BINNING)
    assert _exact_fields(merged) == _exact_fields(direct)
    finite = whole[np.isfinite(whole)]
    if finite.size:
        assert merged.mean == pytest.approx(finite.mean(), rel=1e-12)
        assert merged.std == pytest.approx(finite.std(), rel=1e-9, abs=1e-12)
        assert merged.sum_of_squares == pytest.approx(float(finite @ finite), rel=1e-9)
    _assert_ranks_within_error(merged, whole)


@pytest.mark.parametrize("shape", SHAPES)
def test_the_cdf_is_within_its_stated_error_everywhere(shape: str) -> None:
    values = _draw(1, 200_000, shape)
    summary = summarise_numeric(values, BINNING)
    finite = np.sort(values[np.isfinite(values)])
    points = np.unique(np.concatenate([np.quantile(finite, np.linspace(0, 1, 5001)), finite[::97]]))
    truth = np.searchsorted(finite, points, side="right") / finite.size
    error = np.abs(summary.cdf(points) - truth)
    assert error.max() <= summary.rank_error_bound
    if shape == "discrete":  # few distinct values: kept with their counts, so exact
        assert summary.exact
        assert error.max() == 0.0


@pytest.mark.parametrize("fine", [8, 1024], ids=["coarse-bins-resolved-by-the-sketch", "fine-bins"])
def test_the_cdf_at_a_point_does_not_depend_on_the_other_points_asked_for(fine: int) -> None:
    # cdf caches the sketch's ranks at the edges and asks the sketch only inside bins that
    # hold more than its error: a point's answer must not depend on what else was asked.
    values = _draw(2, 100_000, "lognormal")
    summary = summarise_numeric(values, Binning.from_reference(REFERENCE, fine=fine))
    points = np.random.default_rng(3).normal(12.0, 8.0, 400)

    together = summary.cdf(points)
    one_by_one = np.array([summary.cdf([p])[0] for p in points])

    assert np.array_equal(together, one_by_one)
    assert np.array_equal(summary.cdf(points[::-1])[::-1], together)
    fresh = summarise_numeric(values, summary.binning)  # nothing cached yet
    assert np.abs(fresh.cdf(points) - together).max() <= 2 * summary.rank_error_bound


def test_missing_and_infinite_values_are_counted_not_summarised() -> None:
    summary = summarise_numeric([1.0, np.nan, np.inf, -np.inf, 3.0], BINNING)
    assert (summary.count, summary.missing) == (2, 3)
    assert (summary.minimum, summary.maximum, summary.total) == (1.0, 3.0, 4.0)
    assert int(summary.counts.sum()) == 2


def test_an_exact_summary_gives_back_the_sample_it_summarised() -> None:
    values = _draw(2, 3_000, "normal")
    summary = summarise_numeric(values, BINNING)
    sample, expected = summary.to_sample(), NumericSample.from_values(values)
    assert summary.exact
    assert sample.values.tolist() == expected.values.tolist()
    assert (sample.missing, sample.mean, sample.std) == (
        expected.missing,
        expected.mean,
        expected.std,
    )


def test_a_summary_past_the_cap_of_distinct_values_drops_them_and_says_so() -> None:
    values = np.arange(EXACT_CAP + 1, dtype=float)
    summary = summarise_numeric(values, BINNING)
    assert not summary.exact
    with pytest.raises(DataError, match="no longer holds its values"):
        summary.to_sample()
    halves = summarise_numeric(values[:EXACT_CAP], BINNING).merge(
        summarise_numeric(values[EXACT_CAP:], BINNING)
    )
    assert not halves.exact


def test_summaries_cut_at_different_edges_do_not_merge() -> None:
    other = Binning.from_reference(REFERENCE + 1.0)
    with pytest.raises(DataError, match="different bin edges"):
        summarise_numeric([1.0], BINNING).merge(summarise_numeric([1.0], other))


def test_an_empty_summary_merges_as_the_identity() -> None:
    values = _draw(3, 5_000, "lognormal")
    summary = summarise_numeric(values, BINNING)
    empty = summarise_numeric(np.array([]), BINNING)
    merged = empty.merge(summary)
    assert _exact_fields(merged) == _exact_fields(summary)
    assert merged.m2 == summary.m2
    assert math.isnan(empty.mean)
