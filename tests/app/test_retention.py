"""``store.retention`` set: the gateway's pruner deletes what is older, in the background."""

from __future__ import annotations

import time
from pathlib import Path

import sqlalchemy as sa

from monitml.app.retention import start_retention
from monitml.config import Settings
from monitml.store import PredictionRecord, PredictionStore
from monitml.store.tables import write_batches


def _record(record_id: str, ts: float) -> PredictionRecord:
    return PredictionRecord(record_id, record_id, "m", "v1", ts, {"x": 1.0}, 2.0, 0.01)


def test_with_a_retention_the_old_predictions_are_pruned_and_the_recent_kept(
    tmp_path: Path,
) -> None:
    url = f"sqlite:///{tmp_path / 'store.db'}"
    store = PredictionStore.from_url(url)
    now = time.time()
    store.insert_predictions([_record("old", now - 3 * 86_400), _record("new", now - 60)])
    stop = start_retention(Settings(store={"url": url, "retention": "2d"}), store, first_delay=0)
    try:
        deadline = time.monotonic() + 20
        while store.count_predictions() > 1:
            assert time.monotonic() < deadline, "nothing pruned in 20 s"
            time.sleep(0.05)
    finally:
        stop()
    assert list(store.read_window("m")["record_id"]) == ["new"]
    store.dispose()


def test_without_a_retention_only_week_old_writer_batch_ids_are_pruned(tmp_path: Path) -> None:
    url = f"sqlite:///{tmp_path / 'store.db'}"
    store = PredictionStore.from_url(url)
    now = time.time()
    store.insert_predictions([_record("old", now - 30 * 86_400)], batch_id="old-batch")
    store.insert_predictions([_record("new", now - 60)], batch_id="new-batch")
    with store.engine.begin() as connection:
        connection.execute(
            write_batches.update()
            .where(write_batches.c.batch_id == "old-batch")
            .values(committed_at=now - 8 * 86_400)
        )

    stop = start_retention(Settings(store={"url": url}), store, first_delay=0)
    try:
        deadline = time.monotonic() + 20
        while "old-batch" in _batch_ids(store):
            assert time.monotonic() < deadline, "the week-old batch id was kept"
            time.sleep(0.05)
    finally:
        stop()
    assert _batch_ids(store) == {"new-batch"}
    assert store.count_predictions() == 2
    store.dispose()


def _batch_ids(store: PredictionStore) -> set[str]:
    with store.engine.connect() as connection:
        return set(connection.execute(sa.select(write_batches.c.batch_id)).scalars())
