"""``store.retention`` set: the gateway's pruner deletes what is older, in the background."""

from __future__ import annotations

import threading
import time
from pathlib import Path

from monitml.app.retention import start_retention
from monitml.config import Settings
from monitml.store import PredictionRecord, PredictionStore


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


def test_without_a_retention_no_pruner_is_started() -> None:
    stop = start_retention(Settings(), PredictionStore.from_url("sqlite://", migrate=False))
    try:
        assert "monitml-retention" not in {thread.name for thread in threading.enumerate()}
    finally:
        stop()
