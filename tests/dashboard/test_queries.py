"""The dashboard's store reads, on SQLite and PostgreSQL, against hand-counted windows."""

from __future__ import annotations

from typing import Any

import pytest

from monitml.dashboard.queries import (
    active_alerts,
    latest_payload,
    latest_windows,
    prediction_series,
    signal_grid,
)
from monitml.store import PredictionStore

from .conftest import NOW, WINDOWS


def test_the_latest_window_of_each_version_gives_its_verdict(
    filled_store: PredictionStore,
) -> None:
    with filled_store.engine.connect() as connection:
        latest = latest_windows(connection, "house-price", ["v1", "v2", "v3"])

    assert set(latest) == {"v1", "v2"}  # v3 never ran
    assert latest["v1"].window_end == NOW
    assert latest["v1"].verdict == "insufficient data (10 rows)"
    assert latest["v2"].verdict == "dataset drift: 67% of features drifted"
    assert latest["v2"].rows == 500


def test_the_latest_window_names_its_row_so_a_newer_window_has_another(
    filled_store: PredictionStore, payloads: dict[str, dict[str, Any]]
) -> None:
    with filled_store.engine.connect() as connection:
        before = latest_windows(connection, "house-price", ["v1", "v2"])
    saved = filled_store.save_monitor_result(
        {
            "model": "house-price",
            "version": "v2",
            "kind": "window",
            "run_at": NOW + 60.0,
            "window_end": NOW + 60.0,
            "payload": payloads["drifted"],
        }
    )
    with filled_store.engine.connect() as connection:
        after = latest_windows(connection, "house-price", ["v1", "v2"])

    assert after["v1"].result_id == before["v1"].result_id
    assert after["v2"].result_id == saved != before["v2"].result_id


def test_prediction_series_groups_the_windows_into_buckets_in_sql(
    filled_store: PredictionStore, payloads: dict[str, dict[str, Any]]
) -> None:
    start = NOW - WINDOWS * 60.0 + 1.0  # every window ends inside [start, NOW]
    with filled_store.engine.connect() as connection:
        series = prediction_series(connection, "house-price", "v2", start=start, end=NOW, buckets=6)

    drifted = payloads["drifted"]["prediction"]
    assert [p.windows for p in series] == [30] * 6
    assert all(p.mean == pytest.approx(drifted["mean"]) for p in series)
    assert {p.low for p in series} == {drifted["min"]}
    assert {p.high for p in series} == {drifted["max"]}
    assert [p.at for p in series] == sorted(p.at for p in series)


def test_prediction_series_weighs_each_window_by_its_rows(
    filled_store: PredictionStore, payloads: dict[str, dict[str, Any]]
) -> None:
    with filled_store.engine.connect() as connection:
        (point,) = prediction_series(
            connection, "house-price", "v1", start=NOW - 90.0, end=NOW, buckets=1
        )

    calm, small = payloads["calm"]["prediction"], payloads["small"]["prediction"]
    expected = (calm["mean"] * 500 + small["mean"] * 10) / 510
    assert point.windows == 2
    assert point.mean == pytest.approx(expected)


def test_the_drift_grid_holds_the_share_of_windows_in_which_each_feature_drifted(
    filled_store: PredictionStore,
) -> None:
    with filled_store.engine.connect() as connection:
        grid = signal_grid(
            connection, "house-price", "feature_drift", start=NOW - 3_600.0, end=NOW, buckets=4
        )

    assert set(grid.values) == {
        (version, feature) for version in ("v1", "v2") for feature in ("area", "rooms", "street")
    }
    assert grid.values[("v2", "area")] == {0: 1.0, 1: 1.0, 2: 1.0, 3: 1.0}
    assert grid.values[("v2", "rooms")] == {0: 0.0, 1: 0.0, 2: 0.0, 3: 0.0}
    assert set(grid.values[("v1", "area")].values()) == {0.0}
    assert grid.bucket_start(2) == pytest.approx(NOW - 1_800.0)


def test_performance_signals_exist_only_for_labelled_windows(
    filled_store: PredictionStore,
) -> None:
    with filled_store.engine.connect() as connection:
        grid = signal_grid(
            connection, "house-price", "performance", start=NOW - 600.0, end=NOW, buckets=2
        )

    assert {version for version, _ in grid.values} == {"v2"}
    assert {metric for _, metric in grid.values} == {"me", "mae", "rmse", "mape", "r2"}


def test_the_latest_payload_is_the_newest_window_of_the_version(
    filled_store: PredictionStore,
) -> None:
    with filled_store.engine.connect() as connection:
        payload = latest_payload(connection, "house-price", "v1")
        missing = latest_payload(connection, "house-price", "v9")

    assert payload is not None
    assert payload["status"] == "insufficient_data"
    assert missing is None


def test_an_alert_is_active_while_its_newest_event_is_pending_or_firing(
    filled_store: PredictionStore,
) -> None:
    events = filled_store.list_alert_events(model="house-price")

    active = active_alerts(events)

    assert [(a["rule"], a["state"]) for a in active] == [("DriftOfV2", "firing")]


def test_hour_long_buckets_are_read_from_the_hourly_sums_with_the_same_means(
    filled_store: PredictionStore, payloads: dict[str, dict[str, Any]]
) -> None:
    start = NOW - 3 * 3_600.0
    with filled_store.engine.connect() as connection:
        drift = signal_grid(
            connection, "house-price", "feature_drift", start=start, end=NOW, buckets=3
        )
        performance = signal_grid(
            connection, "house-price", "performance", start=start, end=NOW, buckets=1
        )

    assert drift.step == 3_600.0
    assert set(drift.values[("v2", "area")].values()) == {1.0}
    assert set(drift.values[("v2", "rooms")].values()) == {0.0}
    assert set(drift.values[("v1", "street")].values()) == {0.0}
    assert set(drift.values[("v2", "area")]) <= {0, 1, 2}
    rmse = payloads["drifted"]["performance"]["rmse"]
    assert performance.values[("v2", "rmse")] == {0: pytest.approx(rmse)}
