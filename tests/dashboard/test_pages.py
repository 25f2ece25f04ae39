"""What the pages compute: quality flags, the metric shown first, charts reused until new data."""

from __future__ import annotations

from typing import Any

import pytest

from monitml.dashboard.pages import ChartCache, model_page, primary_metric, quality_rows
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


def test_a_refresh_without_a_new_window_reuses_the_drawn_charts(
    sqlite_store: PredictionStore, payloads: dict[str, dict[str, Any]]
) -> None:
    first = model_page(sqlite_store, MODEL, {}, now=NOW, range_key="1h")
    again = model_page(sqlite_store, MODEL, {}, now=NOW + 10.0, range_key="1h")
    sqlite_store.save_monitor_result(
        {
            "model": "house-price",
            "version": "v2",
            "kind": "window",
            "run_at": NOW + 20.0,
            "window_end": NOW + 20.0,
            "payload": {**payloads["drifted"], "prediction": {"count": 5, "mean": 1.0}},
        }
    )
    newer = model_page(sqlite_store, MODEL, {}, now=NOW + 30.0, range_key="1h")

    assert again["charts"]["chart-predictions"] is first["charts"]["chart-predictions"]
    assert again["charts"]["chart-drift-v2"] is first["charts"]["chart-drift-v2"]
    assert newer["charts"]["chart-predictions"] is not first["charts"]["chart-predictions"]


def test_the_chart_cache_keeps_the_most_recently_used() -> None:
    cache = ChartCache(size=2)
    drawn: list[str] = []

    def draw(name: str) -> dict[str, Any]:
        drawn.append(name)
        return {"name": name}

    for name in ["a", "b", "a", "c", "a", "b"]:
        cache.get(name, lambda n=name: draw(n))  # type: ignore[misc]

    assert drawn == ["a", "b", "c", "b"]  # "b" was the least recently used when "c" came
