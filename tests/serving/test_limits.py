"""Overload is answered at once: 503 with Retry-After past server.max_concurrency, and a 503
instead of an answer whose record the writer could neither queue nor spill."""

from __future__ import annotations

import threading
import time
from functools import partial
from pathlib import Path
from typing import Any

import pytest

from monitml.serving import FeatureSchema, Router, Routing, ServedModel
from monitml.serving.limits import ConcurrencyLimit
from monitml.serving.loaders import make_predictor

from .conftest import HOUSE, GatewayFactory, metric_sum, serve

PREDICT = f"/models/{HOUSE}/predict"


class Gate:
    """A model that holds every prediction until it is opened."""

    def __init__(self) -> None:
        self.opened = threading.Event()
        self.waiting = 0

    def predict(self, x: Any) -> Any:
        self.waiting += 1
        self.opened.wait(30)
        return [1.0] * len(x)


def _wait_for(condition: Any, seconds: float = 10.0) -> None:
    deadline = time.monotonic() + seconds
    while not condition():
        if time.monotonic() > deadline:
            pytest.fail("the condition did not hold in time")
        time.sleep(0.01)


def test_past_the_concurrency_limit_requests_get_a_503_at_once_and_are_counted(
    make_gateway: GatewayFactory, house_rows: list[dict[str, Any]], house_schema: FeatureSchema
) -> None:
    gate = Gate()
    model = ServedModel(
        HOUSE, "regression", house_schema,
        {"v1": make_predictor(gate, house_schema, "regression")}, Router(Routing({"v1": 100})),
    )  # fmt: skip
    gateway = make_gateway([model], max_concurrency=2)
    with serve(gateway.app) as client:
        held = [
            client.portal.start_task_soon(partial(client.client.post, PREDICT, json=row))
            for row in house_rows[:2]
        ]
        _wait_for(lambda: gate.waiting == 2)
        started = time.perf_counter()
        refused = client.post(PREDICT, json=house_rows[2])
        refused_in = time.perf_counter() - started
        listing = client.get("/models")
        live = client.get("/health/live")
        metrics = client.get("/metrics").text
        gate.opened.set()
        answered = [future.result(timeout=30) for future in held]
        after = client.post(PREDICT, json=house_rows[3])
    assert refused.status_code == 503
    assert refused.headers["Retry-After"] == "1"
    assert "server.max_concurrency" in refused.json()["detail"]
    assert refused_in < 1.0
    assert listing.status_code == 503  # every route under /models counts
    assert live.status_code == 200  # probes and scrapes are never refused
    assert metric_sum(metrics, "monitml_requests_rejected_total", reason="overload") == 2
    assert metric_sum(metrics, "monitml_requests_rejected_total", reason="log_unavailable") == 0
    assert [answer.status_code for answer in answered] == [200, 200]
    assert after.status_code == 200


def test_a_record_that_can_be_neither_queued_nor_spilled_turns_its_answer_into_a_503(
    make_gateway: GatewayFactory,
    house_rows: list[dict[str, Any]],
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    (tmp_path / "spill.jsonl").mkdir()  # a folder where the spill file should be: unwritable
    gateway = make_gateway(log_queue=1)
    opened = threading.Event()
    insert = gateway.store.insert_predictions

    def held_insert(*args: Any, **kwargs: Any) -> Any:
        opened.wait(30)  # the database is stuck: the queue stays full
        return insert(*args, **kwargs)

    monkeypatch.setattr(gateway.store, "insert_predictions", held_insert)
    logged = [{"version": "v1", "features": row, "prediction": 1.0} for row in house_rows[:3]]
    with serve(gateway.app) as client:
        predicted = client.post(PREDICT, json=house_rows[:3])
        log = client.post(f"/models/{HOUSE}/log", json=logged)
        metrics = client.get("/metrics").text
        opened.set()
    for answer in (predicted, log):
        assert answer.status_code == 503
        assert answer.headers["Retry-After"] == "1"
        assert "prediction log" in answer.json()["detail"]
    assert metric_sum(metrics, "monitml_requests_rejected_total", reason="log_unavailable") == 2
    assert metric_sum(metrics, "monitml_log_records_dropped_total") >= 2


def test_the_limit_must_allow_at_least_one_request() -> None:
    with pytest.raises(ValueError, match="'max_concurrency' parameter of ConcurrencyLimit"):
        ConcurrencyLimit(lambda *_: None, 0)  # type: ignore[arg-type,return-value]
