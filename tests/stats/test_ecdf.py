"""ECDF merging and binning (monitml.stats.ecdf) against brute force."""

from __future__ import annotations

import numpy as np
import pytest

from monitml.stats import ecdf
from monitml.stats.ecdf import histogram_shares, merge_ecdfs, quantile_bin_counts


def _brute_force_ecdf(sample: np.ndarray, at: np.ndarray) -> np.ndarray:
    return np.array([np.count_nonzero(sample <= x) for x in at]) / sample.size


CASES = {
    "continuous": lambda rng: (rng.normal(0, 1, 200), rng.normal(0.3, 2, 150)),
    "heavy-ties": lambda rng: (rng.integers(0, 6, 300).astype(float), rng.integers(2, 9, 80) * 1.0),
    "one-value-each": lambda rng: (np.array([1.0]), np.array([1.0])),
    "disjoint": lambda rng: (rng.uniform(0, 1, 50), rng.uniform(5, 6, 70)),
}


@pytest.mark.parametrize("make", CASES.values(), ids=CASES.keys())
def test_merge_ecdfs_matches_a_brute_force_ecdf_on_the_pooled_distinct_values(make) -> None:
    reference, current = (np.sort(s) for s in make(np.random.default_rng(11)))
    merged = merge_ecdfs(reference, current)
    expected_values = np.unique(np.concatenate([reference, current]))
    np.testing.assert_array_equal(merged.values, expected_values)
    np.testing.assert_allclose(merged.reference_cdf, _brute_force_ecdf(reference, expected_values))
    np.testing.assert_allclose(merged.current_cdf, _brute_force_ecdf(current, expected_values))


def test_merged_ecdfs_both_end_at_one() -> None:
    rng = np.random.default_rng(12)
    merged = merge_ecdfs(np.sort(rng.normal(size=97)), np.sort(rng.normal(size=31)))
    assert merged.reference_cdf[-1] == 1.0
    assert merged.current_cdf[-1] == 1.0


@pytest.mark.parametrize("bins", [2, 10, 20], ids=lambda b: f"{b}-bins")
def test_quantile_bin_counts_keep_every_value_of_both_samples(bins: int) -> None:
    rng = np.random.default_rng(13)
    reference = np.sort(rng.normal(0, 1, 1_000))
    current = np.sort(rng.normal(3, 1, 400))  # far outside the reference: open outer bins
    ref_counts, cur_counts = quantile_bin_counts(reference, current, bins)
    assert ref_counts.sum() == reference.size
    assert cur_counts.sum() == current.size
    assert ref_counts.size == cur_counts.size == bins


def test_quantile_bins_are_cut_at_reference_quantiles_with_right_closed_edges() -> None:
    # Reference 1..10, 5 bins: inner quantiles 2.8, 4.6, 6.4, 8.2 (linear interpolation).
    reference = np.arange(1.0, 11.0)
    current = np.array([0.0, 2.8, 2.9, 4.6, 100.0])
    ref_counts, cur_counts = quantile_bin_counts(reference, current, 5)
    assert ref_counts.tolist() == [2, 2, 2, 2, 2]
    # 0.0 and 2.8 (on the edge) in the first bin, 2.9 and 4.6 in the second, 100 in the last.
    assert cur_counts.tolist() == [2, 2, 0, 0, 1]


def test_equal_reference_quantiles_give_one_edge_not_duplicate_bins() -> None:
    # 80 zeros and 20 ones: the 10%..70% quantiles are all 0, the 80% one interpolates to
    # 0.2 and the 90% one is 1, so 9 inner quantiles collapse to the edges 0, 0.2 and 1.
    reference = np.sort(np.array([0.0] * 80 + [1.0] * 20))
    ref_counts, cur_counts = quantile_bin_counts(reference, np.array([0.0, 1.0, 2.0]), 10)
    assert ref_counts.tolist() == [80, 0, 20, 0]
    assert cur_counts.tolist() == [1, 0, 1, 1]


@pytest.mark.parametrize(
    "current_loc", [0.0, 2.0, 50.0], ids=["same-place", "shifted", "far-outliers"]
)
def test_histogram_shares_sum_to_one_and_edges_are_increasing(current_loc: float) -> None:
    rng = np.random.default_rng(14)
    reference = np.sort(rng.normal(0, 1, 500))
    current = np.sort(rng.normal(current_loc, 1, 300))
    edges, ref_share, cur_share = histogram_shares(reference, current, bins=30)
    assert edges.size == 31
    assert np.all(np.diff(edges) > 0)
    assert ref_share.sum() == pytest.approx(1.0)
    assert cur_share.sum() == pytest.approx(1.0)


def test_histogram_of_two_constant_samples_still_has_a_valid_range() -> None:
    edges, ref_share, cur_share = histogram_shares(np.full(10, 4.0), np.full(5, 4.0), bins=4)
    assert edges[0] == 4.0
    assert edges[-1] == 5.0
    assert ref_share.sum() == pytest.approx(1.0)
    assert cur_share.sum() == pytest.approx(1.0)


@pytest.mark.parametrize("data", ["continuous", "ties"])
def test_the_large_sample_merge_gives_the_same_ecdfs_as_the_sort(data: str) -> None:
    rng = np.random.default_rng(42)
    size = ecdf.MERGE_BY_SEARCH_FROM  # both sides together are past the switch
    if data == "continuous":
        reference, current = rng.normal(0, 1, size), rng.normal(0.1, 1.2, size // 2)
    else:
        reference, current = rng.poisson(4, size) * 1.0, rng.poisson(4.3, size // 2) * 1.0
    reference, current = np.sort(reference), np.sort(current)
    large = ecdf.merge_ecdfs(reference, current)
    pooled = np.concatenate([reference, current])
    values = np.unique(pooled)
    expected_ref = np.searchsorted(reference, values, side="right") / reference.size
    expected_cur = np.searchsorted(current, values, side="right") / current.size
    np.testing.assert_array_equal(large.values, values)
    np.testing.assert_allclose(large.reference_cdf, expected_ref)
    np.testing.assert_allclose(large.current_cdf, expected_cur)
