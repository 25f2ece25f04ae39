"""Migration 6: a prediction answered by the model's fallback keeps why, and for which version."""

from __future__ import annotations

import json
from dataclasses import replace
from pathlib import Path

import sqlalchemy as sa

from monitml.store import LogWriter, PredictionStore
from monitml.store.encoding import dumps, record_from_json, record_to_json
from monitml.store.migrations import MIGRATIONS, current_version
from monitml.store.tables import predictions, schema_version

from .conftest import RecordFactory


def test_a_fallback_and_the_version_it_replaced_are_read_back_with_the_window(
    store: PredictionStore, make_records: RecordFactory
) -> None:
    plain = make_records(3, version="v1", prefix="p")
    replaced = make_records(
        2,
        version="rules",
        prefix="f",
        start=1_700_000_010.0,
        fallback="out_of_range",
        replaced_version="v1",
    )
    store.insert_predictions([*plain, *replaced])

    window = store.read_window("churn")
    by_id = window.set_index("record_id")
    assert by_id.loc["f0", "fallback"] == "out_of_range"
    assert by_id.loc["f1", "replaced_version"] == "v1"
    assert by_id.loc["f0", "version"] == "rules"
    assert by_id.loc[["p0", "p1", "p2"], "fallback"].isna().all()
    assert by_id.loc[["p0", "p1", "p2"], "replaced_version"].isna().all()
    # The features stay features: neither column is mistaken for one.
    assert {"tenure", "charges", "plan"} <= set(window.columns)


def test_upgrading_a_version_five_store_adds_the_columns_and_keeps_its_rows(
    store: PredictionStore, make_records: RecordFactory
) -> None:
    old = make_records(4, prefix="old")
    with store.engine.begin() as connection:
        for name in ("fallback", "replaced_version"):
            connection.execute(sa.text(f"ALTER TABLE predictions DROP COLUMN {name}"))
        connection.execute(schema_version.delete().where(schema_version.c.version > 5))
        # The rows a version-5 MonitML logged: without the two columns.
        connection.execute(
            sa.text(
                "INSERT INTO predictions (request_id, record_id, model, version, shadow, ts, "
                "features, prediction, probabilities, latency_seconds) VALUES "
                "(:request_id, :record_id, 'churn', 'v1', false, :ts, :features, '1', null, 0.01)"
            ),
            [
                {
                    "request_id": r.request_id,
                    "record_id": r.record_id,
                    "ts": r.timestamp,
                    "features": json.dumps(r.features),
                }
                for r in old
            ],
        )

    assert store.create_schema() == [6]

    with store.engine.connect() as connection:
        assert current_version(connection) == MIGRATIONS[-1].version == 6
        columns = {c["name"]: c for c in sa.inspect(connection).get_columns("predictions")}
    assert columns["fallback"]["nullable"]
    assert columns["replaced_version"]["nullable"]
    store.insert_predictions(
        make_records(1, prefix="new", fallback="unseen_category", replaced_version="v2")
    )
    window = store.read_window("churn").set_index("record_id")
    assert window.loc[[r.record_id for r in old], "fallback"].isna().all()
    assert window.loc["new0", "fallback"] == "unseen_category"
    assert window.loc["new0", "replaced_version"] == "v2"


def test_a_spilled_fallback_comes_back_and_an_older_spill_line_reads_as_none(
    make_records: RecordFactory,
) -> None:
    record = make_records(1, prefix="s", fallback="out_of_range", replaced_version="v1")[0]
    assert record_from_json(json.loads(dumps(record_to_json(record)))) == record
    older = record_to_json(record)
    del older["fallback"], older["replaced_version"]  # a line written by a version-5 MonitML
    assert record_from_json(older) == replace(record, fallback=None, replaced_version=None)


def test_the_writer_stores_the_fallback(
    store: PredictionStore, make_records: RecordFactory, tmp_path: Path
) -> None:
    writer = LogWriter(store, spill_path=tmp_path / "spill.jsonl", flush_interval=0.01)
    writer.start()
    writer.submit(make_records(1, prefix="w", fallback="unseen_category", replaced_version="v3")[0])
    assert writer.close(10.0)
    with store.engine.connect() as connection:
        row = connection.execute(
            sa.select(predictions.c.fallback, predictions.c.replaced_version).where(
                predictions.c.record_id == "w0"
            )
        ).one()
    assert tuple(row) == ("unseen_category", "v3")
