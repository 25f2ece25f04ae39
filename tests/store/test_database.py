"""PredictionStore: predictions, labels and windows, on SQLite and PostgreSQL."""

from __future__ import annotations

import math
import time
from collections.abc import Callable

import numpy as np
import pandas as pd
import pytest

from monitml.errors import StoreError
from monitml.store import LabelRecord, PredictionRecord, PredictionStore

RecordFactory = Callable[..., list[PredictionRecord]]


def test_predictions_round_trip_through_a_window(
    store: PredictionStore, make_records: RecordFactory
) -> None:
    records = make_records(3)
    assert store.insert_predictions(records) == 3

    window = store.read_window("churn")

    assert list(window["record_id"]) == ["r0", "r1", "r2"]
    assert list(window["request_id"]) == ["req-r0", "req-r1", "req-r2"]
    assert list(window["timestamp"]) == [r.timestamp for r in records]
    assert list(window["version"]) == ["v1"] * 3
    assert list(window["tenure"]) == [0, 1, 2]
    assert list(window["charges"]) == [20.0, 20.1, 20.2]
    assert list(window["plan"]) == ["a", "b", "c"]
    assert list(window["prediction"]) == [0, 1, 0]
    assert list(window["proba_1"]) == [0.75] * 3
    assert list(window["latency_seconds"]) == [0.001, 0.002, 0.003]
    assert window["label"].isna().all()


def test_window_keeps_the_most_recent_last_n_oldest_first(
    store: PredictionStore, make_records: RecordFactory
) -> None:
    store.insert_predictions(make_records(10))

    window = store.read_window("churn", last_n=3)

    assert list(window["record_id"]) == ["r7", "r8", "r9"]


def test_window_by_time_range_includes_start_and_excludes_end(
    store: PredictionStore, make_records: RecordFactory
) -> None:
    store.insert_predictions(make_records(10, start=100.0))

    window = store.read_window("churn", start=102.0, end=105.0)

    assert list(window["record_id"]) == ["r2", "r3", "r4"]


def test_window_by_version_leaves_shadow_out_unless_asked(
    store: PredictionStore, make_records: RecordFactory
) -> None:
    store.insert_predictions(make_records(2, version="v1", prefix="a"))
    store.insert_predictions(make_records(2, version="v2", prefix="b"))
    store.insert_predictions(make_records(2, version="v3", prefix="c", shadow=True))
    store.insert_predictions(make_records(2, model="other", prefix="d"))

    assert list(store.read_window("churn", "v2")["record_id"]) == ["b0", "b1"]
    assert set(store.read_window("churn")["version"]) == {"v1", "v2"}
    with_shadow = store.read_window("churn", include_shadow=True)
    assert set(with_shadow["version"]) == {"v1", "v2", "v3"}
    assert with_shadow.loc[with_shadow["version"] == "v3", "shadow"].all()


def test_labels_join_by_record_id_and_a_later_label_replaces_the_earlier(
    store: PredictionStore, make_records: RecordFactory
) -> None:
    store.insert_predictions(make_records(3))
    store.insert_labels([LabelRecord("churn", "r0", 1, 10.0), LabelRecord("churn", "r2", 0, 10.0)])
    store.insert_labels([LabelRecord("churn", "r2", 1, 20.0)])

    window = store.read_window("churn")

    assert window["label"].tolist()[0] == 1
    assert math.isnan(window["label"].tolist()[1])
    assert window["label"].tolist()[2] == 1
    assert store.read_window("churn", with_labels=False)["label"].isna().all()


def test_labels_without_a_prediction_are_reported_and_kept_for_later(
    store: PredictionStore, make_records: RecordFactory
) -> None:
    store.insert_predictions(make_records(2))

    unknown = store.insert_labels(
        [
            LabelRecord("churn", "early", 1, 1.0),
            LabelRecord("churn", "r1", 0, 1.0),
            LabelRecord("other", "r0", 1, 1.0),  # same id, other model: unknown there
            LabelRecord("churn", "early", 0, 2.0),
        ]
    )
    assert unknown == ["early", "r0"]

    store.insert_predictions(make_records(1, prefix="early"))  # record id "early0"
    late = PredictionRecord("q", "early", "churn", "v1", 5.0, {"tenure": 1}, 1, 0.1)
    store.insert_predictions([late])
    labelled = store.read_window("churn").set_index("record_id")["label"]
    assert labelled["early"] == 0


def test_known_record_ids_are_per_model(
    store: PredictionStore, make_records: RecordFactory
) -> None:
    store.insert_predictions(make_records(600))  # more than one IN (...) chunk
    ids = [f"r{i}" for i in range(0, 700, 7)]

    assert store.known_record_ids("churn", ids) == {f"r{i}" for i in range(0, 600, 7)}
    assert store.known_record_ids("other", ids) == set()


def test_a_batch_id_is_inserted_only_once(
    store: PredictionStore, make_records: RecordFactory
) -> None:
    records = make_records(5)

    assert store.insert_predictions(records, batch_id="batch-1") == 5
    assert store.insert_predictions(records, batch_id="batch-1") == 0
    assert store.count_predictions("churn") == 5


def test_nan_becomes_missing_and_numpy_values_are_stored_as_numbers(
    store: PredictionStore,
) -> None:
    record = PredictionRecord(
        request_id="q",
        record_id="x",
        model="m",
        version="v1",
        timestamp=1.0,
        features={"a": float("nan"), "b": np.float32(1.5), "c": np.int64(3), "d": math.inf},
        prediction=np.float64(0.25),  # type: ignore[arg-type]
        latency_seconds=0.1,
    )
    store.insert_predictions([record])

    row = store.read_window("m").iloc[0]

    assert pd.isna(row["a"])
    assert pd.isna(row["d"])
    assert (row["b"], row["c"], row["prediction"]) == (1.5, 3, 0.25)


def test_a_feature_named_like_a_window_column_is_prefixed(store: PredictionStore) -> None:
    record = PredictionRecord("q", "x", "m", "v1", 1.0, {"prediction": 7, "age": 3}, 1, 0.1)
    store.insert_predictions([record])

    window = store.read_window("m")

    assert (window["feature_prediction"].iloc[0], window["prediction"].iloc[0]) == (7, 1)


def test_a_feature_whose_type_changes_between_rows_keeps_every_value(
    store: PredictionStore,
) -> None:
    records = [
        PredictionRecord("q", f"x{i}", "m", "v1", float(i), {"zip": value}, 1, 0.1)
        for i, value in enumerate([10001, 10002, "SW1A"])
    ]
    store.insert_predictions(records)

    assert store.read_window("m")["zip"].tolist() == [10001, 10002, "SW1A"]


def test_an_empty_window_has_the_window_columns(store: PredictionStore) -> None:
    window = store.read_window("nothing", last_n=10)

    assert len(window) == 0
    assert {"record_id", "prediction", "label", "timestamp", "version"} <= set(window.columns)


def test_last_n_must_be_positive(store: PredictionStore) -> None:
    with pytest.raises(ValueError, match="'last_n' parameter of read_window"):
        store.read_window("m", last_n=0)


def test_a_window_of_100k_rows_reads_in_well_under_a_few_seconds(
    store: PredictionStore, make_records: RecordFactory
) -> None:
    records = make_records(100_000)
    for start in range(0, len(records), 10_000):
        store.insert_predictions(records[start : start + 10_000])

    started = time.perf_counter()
    window = store.read_window("churn")
    elapsed = time.perf_counter() - started

    assert window.shape[0] == 100_000
    assert pd.api.types.is_float_dtype(window["charges"])
    assert elapsed < 3.0, f"reading 100k rows took {elapsed:.2f} s"


@pytest.mark.parametrize(
    "url",
    [
        pytest.param("postgresql+psycopg://nobody@127.0.0.1:9/none", id="postgres-closed-port"),
        pytest.param("sqlite:////nonexistent-dir/monitml/store.db", id="sqlite-missing-dir"),
    ],
)
def test_an_unreachable_database_raises_store_error(url: str) -> None:
    with pytest.raises(StoreError, match="unreachable"):
        PredictionStore.from_url(url)


def test_an_unsupported_url_raises_store_error() -> None:
    with pytest.raises(StoreError):
        PredictionStore.from_url("nosuchdb://x")
