"""The charts' data: what the browser draws, in epoch milliseconds, with null for a gap."""

from __future__ import annotations

import json
import math

from monitml.dashboard.charts import drift_heatmap, performance_chart, prediction_chart
from monitml.dashboard.queries import Bucketed, SeriesPoint


def test_the_prediction_chart_has_one_series_per_version_in_milliseconds() -> None:
    spec = prediction_chart(
        {
            "v1": [SeriesPoint(60.0, 2.0, 1.0, 3.0, 4), SeriesPoint(120.0, 2.5, 2.0, 3.5, 2)],
            "v2": [SeriesPoint(60.0, 7.0, 6.0, 8.0, 1)],
        }
    )

    assert spec["kind"] == "predictions"
    v1, v2 = spec["series"]
    assert (v1["version"], v1["at"], v1["mean"], v1["low"], v1["high"], v1["windows"]) == (
        "v1",
        [60_000.0, 120_000.0],
        [2.0, 2.5],
        [1.0, 2.0],
        [3.0, 3.5],
        [4, 2],
    )
    assert v2["mean"] == [7.0]


def test_a_missing_value_is_null_so_that_the_browser_can_parse_the_chart() -> None:
    spec = prediction_chart({"v1": [SeriesPoint(60.0, math.nan, math.nan, math.nan, 1)]})

    text = json.dumps(spec, allow_nan=False)

    assert json.loads(text)["series"][0]["mean"] == [None]


def test_the_heatmap_has_a_cell_per_feature_and_bucket_with_windows_at_the_bucket_centre() -> None:
    grid = Bucketed(start=0.0, step=600.0, buckets=6)
    grid.values[("v1", "a")] = {0: 1.0, 5: 0.5}
    grid.values[("v1", "b")] = {2: 0.0}
    grid.values[("v2", "a")] = {1: 1.0}

    spec = drift_heatmap(grid, "v1", ["b", "a"])

    assert spec["features"] == ["b", "a"]
    assert spec["width"] == 600_000.0
    assert list(zip(spec["feature"], spec["at"], spec["share"], strict=True)) == [
        ("b", 1_500_000.0, 0.0),
        ("a", 300_000.0, 1.0),
        ("a", 3_300_000.0, 0.5),
    ]


def test_the_performance_chart_shows_only_the_chosen_metric_and_skips_empty_lines() -> None:
    grid = Bucketed(start=0.0, step=60.0, buckets=2)
    grid.values[("v1", "rmse")] = {0: 3.0, 1: 4.0}
    grid.values[("v1", "mae")] = {1: 2.0}

    spec = performance_chart(grid, ["mae", "rmse"], ["v1", "v2"], "rmse")

    assert [(line["label"], line["visible"], line["value"]) for line in spec["lines"]] == [
        ("mae v1", False, [2.0]),
        ("rmse v1", True, [3.0, 4.0]),
    ]
    assert spec["lines"][1]["at"] == [30_000.0, 90_000.0]


def test_estimated_performance_is_drawn_dashed_beside_the_realised_metric() -> None:
    realised = Bucketed(start=0.0, step=60.0, buckets=3)
    realised.values[("v1", "rmse")] = {0: 3.0}
    estimated = Bucketed(start=0.0, step=60.0, buckets=3)
    estimated.values[("v1", "rmse")] = {0: 2.8, 1: 3.5, 2: 3.9}

    spec = performance_chart(realised, ["rmse"], ["v1"], "rmse", estimated)

    assert [(line["label"], line["dash"], line["value"]) for line in spec["lines"]] == [
        ("rmse v1", "solid", [3.0]),
        ("estimated rmse v1", "dashed", [2.8, 3.5, 3.9]),
    ]
    assert "estimated" in spec["title"]
