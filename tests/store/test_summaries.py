"""Window summaries copied out of payloads at save time, and the migration that adds them."""

from __future__ import annotations

from typing import Any

import pytest
import sqlalchemy as sa

from monitml.store import PredictionStore
from monitml.store.migrations import MIGRATIONS, current_version
from monitml.store.summaries import SUMMARY_COLUMNS, summarise
from monitml.store.tables import (
    monitor_results,
    monitor_signal_hours,
    monitor_signals,
    schema_version,
)


def window_payload(mean: float, *, drifted: bool, rmse: float | None = 2.0) -> dict[str, Any]:
    """The shape of ``WindowResult.to_dict`` with two features and the prediction column."""

    def column(role: str, detected: bool) -> dict[str, Any]:
        return {"role": role, "kind": "numerical", "statistic": 0.2, "drift_detected": detected}

    quality = {name: {"current": {"missing_share": 0.1 * i}} for i, name in enumerate("ab")}
    return {
        "rows": 500,
        "status": "ok",
        "prediction": {"count": 500, "mean": mean, "min": mean - 1, "max": mean + 1},
        "performance": {} if rmse is None else {"rmse": rmse},
        "drift": {
            "dataset_drift": drifted,
            "drift_share": 0.5 if drifted else 0.0,
            "columns": {
                "a": column("feature", drifted),
                "b": column("feature", False),
                "prediction": column("prediction", True),
            },
            "quality": {"columns": quality, "issues": []},
        },
    }


def test_a_window_payload_gives_its_summary_columns_and_one_signal_per_feature_and_metric() -> None:
    columns, signals = summarise(window_payload(10.0, drifted=True))

    assert columns == {
        "window_rows": 500,
        "prediction_mean": 10.0,
        "prediction_min": 9.0,
        "prediction_max": 11.0,
        "drift_share": 0.5,
        "dataset_drift": True,
    }
    assert sorted(signals) == [
        ("feature_drift", "a", 1.0),
        ("feature_drift", "b", 0.0),
        ("missing_share", "a", 0.0),
        ("missing_share", "b", 0.1),
        ("performance", "rmse", 2.0),
    ]


def test_estimated_performance_in_a_payload_gives_its_own_signals() -> None:
    payload = {"rows": 50, "estimated_performance": {"mae": 1.5, "rmse": float("nan")}}

    assert summarise(payload)[1] == [("estimated_performance", "mae", 1.5)]


@pytest.mark.parametrize(
    "payload",
    [
        pytest.param([1, 2], id="a-list"),
        pytest.param({"drift_share": 0.3}, id="another-shape"),
        pytest.param({"prediction": {"mean": float("nan")}, "drift": None}, id="nan-and-null"),
    ],
)
def test_a_payload_of_another_shape_gives_no_summary(payload: Any) -> None:
    columns, signals = summarise(payload)

    assert set(columns) == set(SUMMARY_COLUMNS)
    assert all(value is None for value in columns.values())
    assert signals == []


def _save(store: PredictionStore, end: float, payload: Any) -> int:
    return store.save_monitor_result(
        {
            "model": "churn",
            "version": "v1",
            "kind": "window",
            "run_at": end,
            "window_start": end - 60,
            "window_end": end,
            "payload": payload,
        }
    )


def test_saving_a_window_fills_its_summary_columns_and_signals(store: PredictionStore) -> None:
    result_id = _save(store, 120.0, window_payload(3.0, drifted=False))

    with store.engine.connect() as connection:
        row = connection.execute(
            sa.select(monitor_results).where(monitor_results.c.id == result_id)
        ).one()
        signals = connection.execute(
            sa.select(monitor_signals.c.signal, monitor_signals.c.subject, monitor_signals.c.value)
            .where(monitor_signals.c.result_id == result_id)
            .where(monitor_signals.c.window_end == 120.0)
        ).all()

    assert (row.window_rows, row.prediction_mean, row.dataset_drift) == (500, 3.0, False)
    assert len(signals) == 5
    (listed,) = store.list_monitor_results("churn")
    assert "prediction_mean" not in listed  # listed results keep the shape callers saved


def _downgrade_to_version_one(store: PredictionStore) -> None:
    """What a store written by the first schema looks like: no summaries, no signals tables."""
    with store.engine.begin() as connection:
        connection.execute(sa.text("DROP TABLE monitor_signal_hours"))
        connection.execute(sa.text("DROP TABLE monitor_signals"))
        connection.execute(sa.text("DROP INDEX ix_monitor_results_window_summaries"))
        for name in SUMMARY_COLUMNS:
            connection.execute(sa.text(f"ALTER TABLE monitor_results DROP COLUMN {name}"))
        connection.execute(schema_version.delete().where(schema_version.c.version > 1))


def test_upgrading_a_version_one_store_fills_the_summaries_of_the_stored_windows(
    store: PredictionStore,
) -> None:
    payloads = [window_payload(float(i), drifted=i % 2 == 0) for i in range(3)]
    ids = [_save(store, 60.0 * (i + 1), p) for i, p in enumerate(payloads)]
    other = store.save_monitor_result({"model": "churn", "kind": "note", "payload": "text"})
    saved_hours = _hours(store)
    _downgrade_to_version_one(store)

    applied = store.create_schema()

    assert applied == [m.version for m in MIGRATIONS if m.version > 1]
    with store.engine.connect() as connection:
        assert current_version(connection) == MIGRATIONS[-1].version
        means = connection.execute(
            sa.select(monitor_results.c.id, monitor_results.c.prediction_mean).order_by(
                monitor_results.c.id
            )
        ).all()
        hours = _hours(store)
        counted = connection.execute(
            sa.select(monitor_signals.c.result_id, sa.func.count())
            .group_by(monitor_signals.c.result_id)
            .order_by(monitor_signals.c.result_id)
        ).all()
    assert [tuple(row) for row in means] == [
        *((i, float(n)) for n, i in enumerate(ids)),
        (other, None),
    ]
    assert [tuple(row) for row in counted] == [(i, 5) for i in ids]
    assert hours == saved_hours  # the backfilled sums are the ones kept while saving
    assert [row[-2:] for row in hours if row[1] == "performance"] == [(6.0, 3)]  # rmse 2 ×3


def _hours(store: PredictionStore) -> list[tuple[Any, ...]]:
    h = monitor_signal_hours
    with store.engine.connect() as connection:
        rows = connection.execute(sa.select(h).order_by(*h.primary_key.columns)).all()
    return [tuple(row) for row in rows]
