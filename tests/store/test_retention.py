"""``store.retention``: old predictions, labels, results and batch ids go, recent ones stay."""

from __future__ import annotations

import threading
import time

import sqlalchemy as sa

from monitml.store import LabelRecord, PredictionStore
from monitml.store.retention import Pruner, prune
from monitml.store.tables import monitor_signals, write_batches

from .conftest import RecordFactory
from .test_summaries import window_payload

DAY = 86_400.0
NOW = 1_800_000_000.0


def _fill(store: PredictionStore, make_records: RecordFactory) -> None:
    """Per model: 25 predictions a day for 4 days ending at NOW; labels and one result a day."""
    for model in ("churn", "price"):
        records = make_records(100, model=model, start=NOW - 4 * DAY, step=DAY / 25, prefix=model)
        for day in range(4):
            store.insert_predictions(records[day * 25 : (day + 1) * 25], batch_id=f"{model}{day}")
        store.insert_labels(
            [LabelRecord(model, r.record_id, 1, r.timestamp + 60) for r in records[::10]]
        )
        for day in range(4):
            store.save_monitor_result(
                {
                    "model": model,
                    "version": "v1",
                    "kind": "window",
                    "run_at": NOW - (3.5 - day) * DAY,
                    "window_end": NOW - (3.5 - day) * DAY,
                    "payload": window_payload(1.0, drifted=False),
                }
            )
    with store.engine.begin() as connection:  # the batches were committed when their rows were
        for model in ("churn", "price"):
            for day in range(4):
                connection.execute(
                    write_batches.update()
                    .where(write_batches.c.batch_id == f"{model}{day}")
                    .values(committed_at=NOW - (4 - day) * DAY)
                )


def test_pruning_deletes_exactly_the_rows_older_than_the_cutoff_in_small_batches(
    store: PredictionStore, make_records: RecordFactory
) -> None:
    _fill(store, make_records)
    cutoff = NOW - 2 * DAY

    counts = prune(store.engine, cutoff, batch_size=7, pause=0.0)

    assert (counts.predictions, counts.labels, counts.results, counts.write_batches) == (
        100, 10, 4, 4,
    )  # fmt: skip
    for model in ("churn", "price"):
        kept = store.read_window(model)
        assert len(kept) == 50
        assert kept["timestamp"].min() >= cutoff
        assert kept["label"].notna().sum() == 5
        assert [r["run_at"] >= cutoff for r in store.list_monitor_results(model)] == [True] * 2
    with store.engine.connect() as connection:
        batches = connection.execute(sa.select(write_batches.c.batch_id)).scalars().all()
        signal_results = connection.execute(
            sa.select(sa.func.count(sa.distinct(monitor_signals.c.result_id)))
        ).scalar()
    assert sorted(batches) == ["churn2", "churn3", "price2", "price3"]
    assert signal_results == 4
    assert prune(store.engine, cutoff).total == 0


def test_the_pruner_runs_in_the_background_and_the_writer_keeps_writing_meanwhile(
    store: PredictionStore, make_records: RecordFactory
) -> None:
    _fill(store, make_records)
    pruner = Pruner(
        store.engine, retention=2 * DAY, batch_size=5, first_delay=0.0, clock=lambda: NOW
    )
    written: list[float] = []
    stop = threading.Event()

    def write() -> None:
        batch = 0
        while not stop.is_set():
            records = make_records(10, model="live", start=NOW, prefix=f"live{batch}-")
            started = time.monotonic()
            store.insert_predictions(records)
            written.append(time.monotonic() - started)
            batch += 1

    writer = threading.Thread(target=write)
    writer.start()
    pruner.start()
    try:
        deadline = time.monotonic() + 20
        while pruner.last is None:
            assert time.monotonic() < deadline, "no retention pass in 20 s"
            time.sleep(0.05)
    finally:
        pruner.close()
        stop.set()
        writer.join()

    assert pruner.last.predictions == 100
    assert store.count_predictions("churn") == store.count_predictions("price") == 50
    assert store.count_predictions("live") == 10 * len(written) > 0
