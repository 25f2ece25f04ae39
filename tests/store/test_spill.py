"""The spill file: contiguous batches, replay hand-over, torn last lines."""

from __future__ import annotations

from pathlib import Path

from monitml.store.records import PredictionRecord
from monitml.store.spill import SpillFile, read_batches


def records(n: int, prefix: str = "r") -> list[PredictionRecord]:
    return [
        PredictionRecord("q", f"{prefix}{i}", "m", "v1", float(i), {"a": i}, 0, 0.1)
        for i in range(n)
    ]


def test_batches_come_back_in_order_under_their_ids(tmp_path: Path) -> None:
    spill = SpillFile(tmp_path / "spill.jsonl", loose_batch_size=100)
    spill.append(records(2, "a"), "batch-a")
    spill.append(records(3, "b"), "batch-b")
    spill.close()

    batches = list(read_batches(tmp_path / "spill.jsonl"))

    assert [(b, [r.record_id for r in rs]) for b, rs in batches] == [
        ("batch-a", ["a0", "a1"]),
        ("batch-b", ["b0", "b1", "b2"]),
    ]


def test_single_records_share_a_batch_until_full_or_interrupted(tmp_path: Path) -> None:
    spill = SpillFile(tmp_path / "spill.jsonl", loose_batch_size=2)
    for record in records(3, "a"):
        spill.append([record])
    spill.append(records(1, "b"), "batch-b")
    spill.append(records(1, "c"))
    spill.close()

    sizes = [len(rs) for _, rs in read_batches(tmp_path / "spill.jsonl")]
    ids = [b for b, _ in read_batches(tmp_path / "spill.jsonl")]

    assert sizes == [2, 1, 1, 1]
    assert len(set(ids)) == 4


def test_a_torn_last_line_is_skipped(tmp_path: Path) -> None:
    path = tmp_path / "spill.jsonl"
    spill = SpillFile(path, loose_batch_size=10)
    spill.append(records(2), "batch")
    spill.close()
    with path.open("a", encoding="utf-8") as handle:
        handle.write('{"b":"batch","r":{"request_id":"q","rec')

    (batch,) = read_batches(path)

    assert [r.record_id for r in batch[1]] == ["r0", "r1"]


def test_taking_for_replay_moves_the_file_aside_and_new_records_start_a_new_one(
    tmp_path: Path,
) -> None:
    spill = SpillFile(tmp_path / "spill.jsonl", loose_batch_size=10)
    spill.append(records(1), "old")

    (taken,) = spill.take_for_replay()
    spill.append(records(1, "n"), "new")

    assert taken.name.endswith(".replay")
    assert [b for b, _ in read_batches(taken)] == ["old"]
    assert spill.has_records()
    spill.close()
    spill.finished(taken)
    assert not taken.exists()
    assert spill.replay_files() == []


def test_a_new_spill_file_object_sees_what_a_previous_process_left(tmp_path: Path) -> None:
    first = SpillFile(tmp_path / "spill.jsonl", loose_batch_size=10)
    first.append(records(1), "left-behind")
    first.close()

    assert SpillFile(tmp_path / "spill.jsonl", loose_batch_size=10).has_records()
    assert not SpillFile(tmp_path / "other.jsonl", loose_batch_size=10).has_records()
