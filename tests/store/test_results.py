"""Reference data, monitor results and alert events, on SQLite and PostgreSQL."""

from __future__ import annotations

import pandas as pd
import pytest

from monitml.errors import DataError
from monitml.store import PredictionStore


def test_reference_data_round_trips_with_its_dtypes(store: PredictionStore) -> None:
    frame = pd.DataFrame(
        {"age": [31, 45], "income": [1.5, None], "plan": pd.Categorical(["a", "b"])}
    )
    store.save_reference("churn", frame, created_at=1.0)

    loaded = store.load_reference("churn")

    assert loaded is not None
    pd.testing.assert_frame_equal(loaded, frame)


def test_the_newest_reference_wins_and_a_model_without_one_gets_none(
    store: PredictionStore,
) -> None:
    store.save_reference("churn", pd.DataFrame({"x": [1]}), created_at=1.0)
    store.save_reference("churn", pd.DataFrame({"x": [2]}), created_at=2.0)

    newest = store.load_reference("churn")

    assert newest is not None
    assert newest["x"].tolist() == [2]
    assert store.load_reference("other") is None


def test_monitor_results_are_listed_newest_first_and_filtered(store: PredictionStore) -> None:
    for run_at, kind, version in [
        (1.0, "drift", "v1"),
        (2.0, "quality", "v1"),
        (3.0, "drift", "v2"),
    ]:
        store.save_monitor_result(
            {
                "model": "churn",
                "version": version,
                "kind": kind,
                "run_at": run_at,
                "window_start": run_at - 1,
                "window_end": run_at,
                "payload": {"drift_share": run_at / 10, "columns": {"age": [1, None]}},
            }
        )

    every = store.list_monitor_results("churn")
    drift = store.list_monitor_results("churn", kind="drift")

    assert [r["run_at"] for r in every] == [3.0, 2.0, 1.0]
    assert every[0]["payload"] == {"drift_share": 0.3, "columns": {"age": [1, None]}}
    assert every[0]["window_start"] == 2.0
    assert [r["version"] for r in drift] == ["v2", "v1"]
    assert len(store.list_monitor_results("churn", version="v1", since=1.5)) == 1
    assert len(store.list_monitor_results("churn", limit=1)) == 1


def test_a_monitor_result_without_run_at_is_stamped_now(store: PredictionStore) -> None:
    store.save_monitor_result({"model": "churn", "kind": "drift", "payload": []})

    (result,) = store.list_monitor_results("churn")

    assert result["run_at"] > 1_600_000_000
    assert result["version"] is None


def test_alert_events_round_trip(store: PredictionStore) -> None:
    store.save_alert_event(
        {"rule": "drift", "model": "churn", "state": "firing", "starts_at": 5.0, "value": 0.4}
    )
    store.save_alert_event(
        {"rule": "drift", "model": "churn", "state": "resolved", "starts_at": 5.0, "ends_at": 9.0}
    )
    store.save_alert_event({"rule": "latency", "state": "firing", "starts_at": 7.0})

    events = store.list_alert_events(model="churn")

    assert [e["state"] for e in events] == ["resolved", "firing"]
    assert events[1]["value"] == 0.4
    assert events[0]["payload"] is None
    assert [e["rule"] for e in store.list_alert_events(rule="latency")] == ["latency"]
    assert len(store.list_alert_events(since=6.0)) == 1


@pytest.mark.parametrize(
    ("given", "problem"),
    [
        pytest.param({"model": "m", "kind": "drift"}, "Missing: \\['payload'\\]", id="missing-key"),
        pytest.param(
            {"model": "m", "kind": "drift", "payload": 1, "colour": "red"},
            "unknown: \\['colour'\\]",
            id="unknown-key",
        ),
    ],
)
def test_a_malformed_monitor_result_names_the_key(
    store: PredictionStore, given: dict[str, object], problem: str
) -> None:
    with pytest.raises(DataError, match=problem):
        store.save_monitor_result(given)
