"""LogWriter: batches, spills, replays, and never loses or doubles a record."""

from __future__ import annotations

import time
from collections.abc import Callable, Sequence
from pathlib import Path

import pytest
import sqlalchemy as sa

from monitml.errors import DataError, StoreError
from monitml.store import LogWriter, PredictionRecord, PredictionStore
from monitml.store.spill import read_batches
from monitml.store.tables import predictions

RecordFactory = Callable[..., list[PredictionRecord]]


class FlakyStore(PredictionStore):
    """The real store, except that it can be told to be unreachable or to refuse data."""

    def __init__(self, engine: sa.Engine) -> None:
        super().__init__(engine)
        self.down = False
        self.commit_then_fail = False  # the connection dies after COMMIT: an in-doubt batch
        self.refuse: set[str] = set()  # record ids the database rejects as bad data
        self.attempts = 0

    def insert_batches(self, batches: Sequence[tuple[str, Sequence[PredictionRecord]]]) -> int:
        # The writer's only way in: insert_predictions with a batch id comes here too.
        self.attempts += 1
        if self.down:
            raise StoreError("the store is unreachable (test)")
        if any(r.record_id in self.refuse for _, records in batches for r in records):
            raise DataError("refused (test)")
        inserted = super().insert_batches(batches)
        if self.commit_then_fail:
            raise StoreError("the connection died after COMMIT (test)")
        return inserted


@pytest.fixture
def flaky(store: PredictionStore) -> FlakyStore:
    return FlakyStore(store.engine)


def stored_ids(store: PredictionStore) -> list[str]:
    with store.engine.connect() as connection:
        return list(connection.execute(sa.select(predictions.c.record_id)).scalars())


def assert_each_once(store: PredictionStore, records: Sequence[PredictionRecord]) -> None:
    found = stored_ids(store)
    assert len(found) == len(records), "some record is missing or stored twice"
    assert set(found) == {r.record_id for r in records}


def test_close_writes_every_submitted_record(
    store: PredictionStore, make_records: RecordFactory, tmp_path: Path
) -> None:
    records = make_records(5_000)
    writer = LogWriter(store, spill_path=tmp_path / "spill.jsonl", batch_size=700).start()
    for record in records:
        writer.submit(record)

    assert writer.close(timeout=30)

    assert_each_once(store, records)
    assert (writer.written_total, writer.spilled_total, writer.dropped_total) == (5_000, 0, 0)
    assert writer.queue_depth == 0


def test_a_full_queue_spills_and_the_spill_is_replayed(
    store: PredictionStore, make_records: RecordFactory, tmp_path: Path
) -> None:
    records = make_records(1_000)
    writer = LogWriter(store, spill_path=tmp_path / "spill.jsonl", max_queue=10, batch_size=64)
    for record in records:  # not started: the queue fills at once
        writer.submit(record)
    assert (writer.queue_depth, writer.spilled_total) == (10, 990)

    writer.start()
    assert writer.close(timeout=30)

    assert_each_once(store, records)
    assert writer.written_total == 1_000
    assert list(tmp_path.glob("spill.jsonl*")) == []  # replayed spill files are gone


def test_an_unreachable_database_spills_and_everything_is_written_once_it_is_back(
    flaky: FlakyStore, make_records: RecordFactory, tmp_path: Path
) -> None:
    records = make_records(3_000)
    flaky.down = True
    writer = LogWriter(
        flaky, spill_path=tmp_path / "spill.jsonl", batch_size=100, max_retry_interval=0.05
    ).start()
    for record in records[:2_000]:
        writer.submit(record)
    wait_until(lambda: writer.spilled_total == 2_000)
    assert writer.written_total == 0

    flaky.down = False
    for record in records[2_000:]:
        writer.submit(record)
    assert writer.close(timeout=30)

    assert_each_once(flaky, records)
    assert (writer.written_total, writer.dropped_total) == (3_000, 0)


def test_a_batch_whose_commit_was_in_doubt_is_not_written_twice(
    flaky: FlakyStore, make_records: RecordFactory, tmp_path: Path
) -> None:
    records = make_records(50)
    flaky.commit_then_fail = True
    writer = LogWriter(flaky, spill_path=tmp_path / "spill.jsonl", max_retry_interval=0.05).start()
    for record in records:
        writer.submit(record)
    wait_until(lambda: writer.spilled_total == 50)

    flaky.commit_then_fail = False
    assert writer.close(timeout=30)

    assert_each_once(flaky, records)
    assert writer.written_total == 50


def test_closing_while_the_database_is_down_leaves_everything_in_the_spill_for_next_time(
    flaky: FlakyStore, make_records: RecordFactory, tmp_path: Path
) -> None:
    records = make_records(500)
    flaky.down = True
    writer = LogWriter(flaky, spill_path=tmp_path / "spill.jsonl").start()
    for record in records:
        writer.submit(record)
    assert writer.close(timeout=30)
    assert stored_ids(flaky) == []

    flaky.down = False
    next_run = LogWriter(flaky, spill_path=tmp_path / "spill.jsonl").start()  # a new process
    assert next_run.close(timeout=30)

    assert_each_once(flaky, records)


def test_a_spill_file_half_replayed_before_a_crash_is_finished_without_duplicates(
    store: PredictionStore, make_records: RecordFactory, tmp_path: Path
) -> None:
    records = make_records(400)
    crashed = LogWriter(store, spill_path=tmp_path / "spill.jsonl", max_queue=1, batch_size=100)
    for record in records:
        crashed.submit(record)  # 399 spilled in 4 batches of single records
    crashed.close(timeout=0)  # never started: the one queued record is spilled too
    (replay_file,) = crashed._spill.take_for_replay()
    batches = list(read_batches(replay_file))
    for batch_id, batch in batches[:2]:  # the crash came after two batches were committed
        store.insert_predictions(batch, batch_id=batch_id)

    restarted = LogWriter(store, spill_path=tmp_path / "spill.jsonl").start()
    assert restarted.close(timeout=30)

    assert_each_once(store, records)


def test_a_batch_the_database_refuses_is_kept_aside_not_retried_forever(
    flaky: FlakyStore, make_records: RecordFactory, tmp_path: Path
) -> None:
    records = make_records(10)
    flaky.refuse = {"r3"}
    writer = LogWriter(flaky, spill_path=tmp_path / "spill.jsonl").start()
    for record in records:
        writer.submit(record)
    assert writer.close(timeout=30)

    assert writer.rejected_total == 10  # the whole batch it was in
    assert "r3" in (tmp_path / "spill.jsonl.rejected").read_text()
    assert writer.pending_record_ids() == set()


def test_a_refused_spilled_batch_does_not_hold_back_the_others_replayed_with_it(
    flaky: FlakyStore, make_records: RecordFactory, tmp_path: Path
) -> None:
    records = make_records(300)
    writer = LogWriter(flaky, spill_path=tmp_path / "spill.jsonl", max_queue=1, batch_size=50)
    for record in records:
        writer.submit(record)  # 299 spilled, in six batches of single records
    flaky.refuse = {"r120"}

    writer.start()
    assert writer.close(timeout=30)

    assert writer.rejected_total == 50
    assert len(stored_ids(flaky)) == 250
    assert "r120" not in stored_ids(flaky)


def test_records_are_dropped_only_when_the_spill_file_cannot_be_written(
    store: PredictionStore, make_records: RecordFactory, tmp_path: Path
) -> None:
    (tmp_path / "spill.jsonl").mkdir()  # a directory where the file should be
    writer = LogWriter(store, spill_path=tmp_path / "spill.jsonl", max_queue=2)
    for record in make_records(5):
        writer.submit(record)

    assert writer.dropped_total == 3
    writer.start()
    assert writer.close(timeout=30)
    assert writer.written_total == 2


def test_pending_ids_cover_queued_records_until_they_are_written(
    store: PredictionStore, make_records: RecordFactory, tmp_path: Path
) -> None:
    writer = LogWriter(store, spill_path=tmp_path / "spill.jsonl", max_queue=2)
    for record in make_records(4):
        writer.submit(record)  # two queued, two spilled

    assert writer.pending_record_ids() == {"r0", "r1", "r2", "r3"}
    assert writer.pending_record_ids(["r1", "zz"]) == {"r1"}
    writer.start()
    assert writer.close(timeout=30)
    assert writer.pending_record_ids() == set()


def test_a_record_submitted_after_close_is_spilled_not_lost(
    store: PredictionStore, make_records: RecordFactory, tmp_path: Path
) -> None:
    writer = LogWriter(store, spill_path=tmp_path / "spill.jsonl").start()
    assert writer.close(timeout=30)

    writer.submit(make_records(1)[0])

    assert writer.spilled_total == 1


@pytest.mark.parametrize(
    ("option", "value"),
    [
        pytest.param("max_queue", 0, id="max_queue"),
        pytest.param("batch_size", 0, id="batch_size"),
        pytest.param("flush_interval", 0.0, id="flush_interval"),
    ],
)
def test_invalid_options_name_the_parameter(
    store: PredictionStore, tmp_path: Path, option: str, value: float
) -> None:
    with pytest.raises(ValueError, match=f"'{option}' parameter of LogWriter"):
        LogWriter(store, spill_path=tmp_path / "s.jsonl", **{option: value})  # type: ignore[arg-type]


def wait_until(condition: Callable[[], bool], timeout: float = 20.0) -> None:
    deadline = time.monotonic() + timeout
    while not condition():
        if time.monotonic() > deadline:
            pytest.fail("condition not reached in time")
        time.sleep(0.01)
