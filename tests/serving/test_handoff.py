"""Answered records reach the writer in groups, and only while its queue has room for them."""

from __future__ import annotations

import asyncio
import time
from pathlib import Path
from typing import Any

from monitml.serving.handoff import LogHandoff
from monitml.store import LogWriter, PredictionRecord, PredictionStore

from .conftest import HOUSE, GatewayFactory, serve


def _record(record_id: str) -> PredictionRecord:
    return PredictionRecord("r", record_id, HOUSE, "v1", time.time(), {"a": 1.0}, 1.0, 0.0)


def test_records_are_held_until_the_hand_off_and_then_written_in_one_batch(
    tmp_path: Path,
) -> None:
    store = PredictionStore.from_url(f"sqlite:///{tmp_path / 'x.db'}")
    writer = LogWriter(store, spill_path=tmp_path / "spill.jsonl", max_queue=10)
    handoff = LogHandoff(writer, capacity=10, interval=0.01)

    async def scenario() -> tuple[bool, bool, int, set[str]]:
        first = handoff.offer([_record("a"), _record("b")])
        too_many = handoff.offer([_record(str(i)) for i in range(9)])  # 2 + 9 > 10
        held, seen = len(handoff), handoff.held_ids(["a", "zzz"])
        task = asyncio.create_task(handoff.run())
        await asyncio.sleep(0.05)
        task.cancel()
        await task
        return first, too_many, held, seen

    first, too_many, held, seen = asyncio.run(scenario())
    assert (first, too_many, held, seen) == (True, False, 2, {"a"})
    assert len(handoff) == 0
    assert writer.queue_depth == 2  # handed over; the writer was never started
    writer.start()
    writer.close()
    assert store.count_predictions(HOUSE) == 2
    store.dispose()


def test_a_full_group_is_handed_over_without_waiting_for_the_interval(tmp_path: Path) -> None:
    store = PredictionStore.from_url(f"sqlite:///{tmp_path / 'x.db'}")
    writer = LogWriter(store, spill_path=tmp_path / "spill.jsonl")
    handoff = LogHandoff(writer, capacity=100, interval=60.0, max_group=3)

    async def scenario() -> int:
        handoff.offer([_record("a"), _record("b"), _record("c")])
        await asyncio.sleep(0)  # one turn of the loop, far less than the interval
        return writer.queue_depth

    assert asyncio.run(scenario()) == 3
    store.dispose()


def test_every_answer_is_in_the_store_after_shutdown_and_known_to_feedback_before(
    make_gateway: GatewayFactory, house_rows: list[dict[str, Any]]
) -> None:
    gateway = make_gateway()
    with serve(gateway.app) as client:
        answers = [
            client.post(f"/models/{HOUSE}/predict", json={**row, "id": f"h{i}"})
            for i, row in enumerate(house_rows[:30])
        ]
        # At once: the prediction may still be held for the hand-off, yet it is not unknown.
        label = client.post(f"/models/{HOUSE}/feedback", json={"id": "h29", "sale_price": 1.0})
    assert {answer.status_code for answer in answers} == {200}
    assert label.json() == {"received": 1, "unknown_ids": []}
    assert gateway.store.count_predictions(HOUSE) == 30
