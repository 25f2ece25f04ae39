"""Quantiles of cumulative histogram buckets, as Prometheus computes them."""

from __future__ import annotations

import math

import pytest

from monitml.stats.histograms import histogram_quantile


@pytest.mark.parametrize(
    ("q", "buckets", "expected"),
    [
        pytest.param(0.5, {0.1: 0.0, 0.2: 10.0, math.inf: 10.0}, 0.15, id="inside-a-bucket"),
        pytest.param(0.95, {0.1: 5.0, math.inf: 10.0}, 0.1, id="in-the-open-bucket"),
        pytest.param(0.5, {0.1: 0.0, math.inf: 0.0}, None, id="no-requests"),
    ],
)
def test_histogram_quantile_interpolates_as_prometheus_does(
    q: float, buckets: dict[float, float], expected: float | None
) -> None:
    assert histogram_quantile(q, buckets) == (
        expected if expected is None else pytest.approx(expected)
    )
