"""``log.durability: disk``: the journal fsyncs in groups and a crash's journal replays once."""

from __future__ import annotations

import threading
from pathlib import Path

from monitml.store import LogWriter, PredictionRecord, PredictionStore
from monitml.store.journal import Journal, journal_segments
from monitml.store.spill import read_batches
from monitml.store.writer import _batches

from .conftest import RecordFactory
from .test_writer import assert_each_once, stored_ids


def test_records_appended_at_once_share_fsyncs_and_each_group_is_one_batch(
    tmp_path: Path, make_records: RecordFactory
) -> None:
    durable: list[tuple[str, list[PredictionRecord]]] = []
    journal = Journal(tmp_path / "j", on_durable=lambda b, r: durable.append((b, r)))
    records = make_records(400)

    def append(part: list[PredictionRecord]) -> None:
        for record in part:
            journal.append([record])

    threads = [threading.Thread(target=append, args=(records[i::8],)) for i in range(8)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    journal.close()  # nothing was committed: the segment stays

    (segment,) = journal_segments(tmp_path / "j")
    on_disk = list(read_batches(segment))
    assert sorted(r.record_id for _, batch in on_disk for r in batch) == sorted(
        r.record_id for r in records
    )
    assert [(b, [r.record_id for r in rs]) for b, rs in on_disk] == [
        (b, [r.record_id for r in rs]) for b, rs in durable
    ]
    assert journal.fsyncs == len(durable) <= 400


def test_a_segment_goes_once_every_group_in_it_is_committed(
    tmp_path: Path, make_records: RecordFactory
) -> None:
    ids: list[str] = []
    journal = Journal(tmp_path / "j", on_durable=lambda b, _r: ids.append(b), segment_bytes=1)
    journal.append(make_records(2, prefix="a"))
    journal.append(make_records(2, prefix="b"))  # a segment of 1 byte is full: a new one
    first, second = journal_segments(tmp_path / "j")

    journal.committed(ids[1])
    assert journal_segments(tmp_path / "j") == [first, second]  # the newer is still in use
    journal.committed(ids[0])
    assert journal_segments(tmp_path / "j") == [second]
    journal.close()
    assert journal_segments(tmp_path / "j") == []


def test_a_disk_writer_stores_everything_and_leaves_no_journal_after_close(
    store: PredictionStore, make_records: RecordFactory, tmp_path: Path
) -> None:
    records = make_records(300)
    writer = LogWriter(store, spill_path=tmp_path / "spill.jsonl", durability="disk").start()
    for start in range(0, 300, 30):
        writer.submit_many(records[start : start + 30])
    assert writer.close(timeout=30)

    assert_each_once(store, records)
    assert writer.journal_fsyncs >= 1
    left = [p.name for p in tmp_path.iterdir() if ".journal" in p.name or ".replay" in p.name]
    assert left == []


def test_after_a_crash_the_journal_is_replayed_and_what_was_stored_is_not_stored_twice(
    store: PredictionStore, make_records: RecordFactory, tmp_path: Path
) -> None:
    spill = tmp_path / "spill.jsonl"
    first, second = make_records(50, prefix="a"), make_records(50, prefix="b")
    # Never started: the test plays its writer thread, up to the moment the process dies.
    crashed = LogWriter(store, spill_path=spill, durability="disk")
    crashed.submit_many(first)
    crashed._write(_batches(crashed._take(1_000, wait=False)))  # the first half is stored
    crashed.submit_many(second)  # fsynced in the journal, still queued at the crash
    assert crashed._journal is not None
    crashed._journal.close()  # the OS closes the file; its outstanding groups keep it
    assert len(stored_ids(store)) == len(first)
    assert journal_segments(spill.with_name("spill.jsonl.journal"))

    restarted = LogWriter(store, spill_path=spill, durability="disk").start()
    assert restarted.close(timeout=30)

    assert_each_once(store, first + second)
    assert journal_segments(spill.with_name("spill.jsonl.journal")) == []
