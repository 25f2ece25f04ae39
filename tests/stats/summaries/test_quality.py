"""Quality and chart shares from a reference summary match those from its sample."""

from __future__ import annotations

import numpy as np
import pytest

from monitml.stats.ecdf import histogram_shares
from monitml.stats.quality import numeric_quality
from monitml.stats.samples import NumericSample
from monitml.stats.summaries import Binning, summarise_sample
from monitml.stats.summaries.quality import (
    summary_histogram_shares,
    summary_quality,
    summary_quantiles,
)


def _pair(shape: str) -> tuple[NumericSample, NumericSample]:
    rng = np.random.default_rng(len(shape))
    if shape == "discrete":
        reference, current = rng.poisson(6.0, 300_000), rng.poisson(6.5, 5_000)
    else:
        reference, current = rng.lognormal(0.0, 1.0, 300_000), rng.lognormal(0.1, 1.0, 5_000)
    reference = reference.astype(float)
    reference[::100] = np.nan
    return NumericSample.from_values(reference), NumericSample.from_values(current)


def test_quality_from_an_exact_summary_is_the_quality_from_its_sample() -> None:
    reference, current = _pair("discrete")
    summary = summarise_sample(reference)
    assert summary.exact
    found, expected = summary_quality(summary, current), numeric_quality(reference, current)
    assert found["reference"]["quantiles"] == expected["reference"]["quantiles"]
    for key in ["count", "missing", "missing_share", "min", "max"]:
        assert found["reference"][key] == expected["reference"][key], key
    assert found["reference"]["mean"] == pytest.approx(expected["reference"]["mean"], rel=1e-12)
    assert found["reference"]["std"] == pytest.approx(expected["reference"]["std"], rel=1e-9)
    for key in ["current", "out_of_range_share", "constant", "kind", "type_mismatch"]:
        assert found[key] == expected[key], key


def test_quality_from_a_sketched_summary_has_exact_counts_and_quantiles_within_rank_error() -> None:
    reference, current = _pair("lognormal")
    summary = summarise_sample(reference)
    assert not summary.exact
    found, expected = summary_quality(summary, current), numeric_quality(reference, current)
    for key in ["count", "missing", "missing_share", "min", "max"]:
        assert found["reference"][key] == expected["reference"][key], key
    assert found["out_of_range_share"] == expected["out_of_range_share"]
    for level, value in found["reference"]["quantiles"].items():
        rank = np.searchsorted(reference.values, value) / reference.size
        assert abs(rank - float(level)) <= summary.rank_error_bound


@pytest.mark.parametrize("shape", ["discrete", "lognormal"])
def test_chart_shares_from_a_summary_follow_those_from_the_sample(shape: str) -> None:
    reference, current = _pair(shape)
    summary = summarise_sample(reference)
    edges, ref_share, cur_share = summary_histogram_shares(summary, current.values)
    expected_edges, expected_ref, expected_cur = histogram_shares(reference.values, current.values)
    assert edges == pytest.approx(expected_edges, rel=0.02)
    assert ref_share.sum() == pytest.approx(1.0)
    assert cur_share.sum() == pytest.approx(1.0)
    if shape == "discrete":
        assert ref_share.tolist() == pytest.approx(expected_ref.tolist(), abs=1e-12)
        assert cur_share.tolist() == expected_cur.tolist()


def test_quantiles_of_an_exact_summary_are_numpys() -> None:
    values = np.random.default_rng(3).integers(0, 50, 10_000).astype(float)
    summary = summarise_sample(NumericSample.from_values(values), Binning.from_reference(values))
    levels = np.linspace(0.0, 1.0, 101)
    assert summary_quantiles(summary, levels).tolist() == np.quantile(values, levels).tolist()
