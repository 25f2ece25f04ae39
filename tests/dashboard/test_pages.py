"""What the pages compute: quality flags, the metric shown first, the charts' data."""

from __future__ import annotations

from typing import Any

import pytest

from monitml.dashboard.pages import RangeCache, model_page, primary_metric, quality_rows
from monitml.store import PredictionStore

from .conftest import MODEL, NOW


def test_quality_rows_flag_the_features_that_moved_and_list_them_first(
    payloads: dict[str, dict[str, Any]],
) -> None:
    rows, issues = quality_rows(payloads["drifted"])

    outside = payloads["drifted"]["drift"]["quality"]["columns"]["area"]["out_of_range_share"]
    assert outside > 0.05
    assert [(row.feature, row.flags) for row in rows] == [
        ("area", [f"{outside:.0%} out of the reference range"]),
        ("rooms", ["missing values"]),
        ("street", []),
    ]
    assert rows[1].missing_share == pytest.approx(0.2)
    assert any("'rooms': 20% missing" in issue for issue in issues)


def test_a_window_too_small_to_judge_has_no_quality_rows(
    payloads: dict[str, dict[str, Any]],
) -> None:
    assert quality_rows(payloads["small"]) == ([], [])


@pytest.mark.parametrize(
    ("task", "metrics", "shown"),
    [
        pytest.param("regression", ["mae", "r2", "rmse"], "rmse", id="regression"),
        pytest.param("classification", ["accuracy", "f1", "roc_auc"], "roc_auc", id="auc"),
        pytest.param("classification", ["log_loss"], "log_loss", id="only-one"),
    ],
)
def test_the_performance_chart_shows_the_usual_metric_first(
    task: str, metrics: list[str], shown: str
) -> None:
    assert primary_metric(task, metrics) == shown


def test_the_model_page_sends_each_chart_as_data_the_drift_heatmap_most_drifting_first(
    sqlite_store: PredictionStore,
) -> None:
    page = model_page(sqlite_store, MODEL, {}, now=NOW, range_key="1h")

    charts = page["charts"]
    assert set(charts) == {
        "chart-predictions",
        "chart-drift-v1",
        "chart-drift-v2",
        "chart-performance",
    }
    assert [s["version"] for s in charts["chart-predictions"]["series"]] == ["v1", "v2"]
    drift = charts["chart-drift-v2"]
    assert drift["features"][-1] == "rooms"  # the one feature of v2 that did not drift
    assert set(drift["features"][:2]) == {"area", "street"}
    assert max(drift["share"]) == 1.0
    performance = charts["chart-performance"]
    visible = [(line["label"], line["dash"]) for line in performance["lines"] if line["visible"]]
    # v1's windows have no labels: only its estimate; v2's have both, side by side.
    assert visible == [
        ("estimated rmse v1", "dashed"),
        ("rmse v2", "solid"),
        ("estimated rmse v2", "dashed"),
    ]


def test_a_refresh_without_a_new_window_reuses_the_range_reads_and_a_new_window_is_read(
    sqlite_store: PredictionStore, payloads: dict[str, dict[str, Any]]
) -> None:
    cache = RangeCache()
    first = model_page(sqlite_store, MODEL, {}, now=NOW, range_key="1h", cache=cache)
    again = model_page(sqlite_store, MODEL, {}, now=NOW + 10.0, range_key="1h", cache=cache)
    sqlite_store.save_monitor_result(
        {
            "model": "house-price",
            "version": "v2",
            "kind": "window",
            "run_at": NOW + 20.0,
            "window_end": NOW + 20.0,
            "payload": {**payloads["drifted"], "prediction": {"count": 5, "mean": -1e9}},
        }
    )
    newer = model_page(sqlite_store, MODEL, {}, now=NOW + 30.0, range_key="1h", cache=cache)

    assert again["charts"] is first["charts"]
    assert newer["charts"] is not first["charts"]
    v2 = newer["charts"]["chart-predictions"]["series"][1]
    assert min(v2["low"]) == -1e9  # the new window is in the chart at once


def test_the_range_cache_reads_again_after_its_max_age_and_keeps_the_most_recently_used() -> None:
    cache = RangeCache(size=2, max_age=60.0)
    reads: list[str] = []

    def read(name: str) -> dict[str, Any]:
        reads.append(name)
        return {"name": name}

    for name, now in [("a", 0.0), ("b", 1.0), ("a", 2.0), ("c", 3.0), ("a", 4.0), ("b", 5.0)]:
        cache.get(name, now, lambda n=name: read(n))  # type: ignore[misc]
    cache.get("a", 61.0, lambda: read("a"))

    assert reads == ["a", "b", "c", "b", "a"]  # "b" was the least recently used when "c" came
