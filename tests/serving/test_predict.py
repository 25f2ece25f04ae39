"""``POST /models/{model}/predict``: answers, routing, shadows, failures and bad input."""

from __future__ import annotations

import json
from typing import Any

import pytest

from monitml.serving import Router, Routing, ServedModel
from monitml.serving.loaders import Predictor, make_predictor

from .conftest import AIR, HOUSE, GatewayFactory, Raising, metric_sum, serve

PREDICT = f"/models/{HOUSE}/predict"


def test_one_record_is_answered_with_its_version_and_a_request_id(
    make_gateway: GatewayFactory, house_rows: list[dict[str, Any]]
) -> None:
    with serve(make_gateway().app) as client:
        answer = client.post(PREDICT, json=house_rows[0])
    assert answer.status_code == 200
    body = answer.json()
    assert set(body) == {"request_id", "version", "prediction"}
    assert body["version"] in {"v1", "v2"}
    assert len(body["request_id"]) == 32
    assert body["prediction"] == 100.0 if body["version"] == "v2" else body["prediction"] > 10_000


def test_a_batch_keeps_the_callers_ids_and_names_each_records_version(
    make_gateway: GatewayFactory, house_rows: list[dict[str, Any]]
) -> None:
    batch = [{**row, "id": f"house-{i}"} for i, row in enumerate(house_rows[:20])]
    batch[3].pop("id")
    with serve(make_gateway().app) as client:
        body = client.post(PREDICT, json=batch).json()
    answers = body["predictions"]
    assert [a["id"] for a in answers][:3] == ["house-0", "house-1", "house-2"]
    assert answers[3]["id"] == f"{body['request_id']}-3"
    assert {a["version"] for a in answers} <= {"v1", "v2"}
    for answer in answers:
        assert (answer["prediction"] == 100.0) == (answer["version"] == "v2")


def test_every_answered_prediction_is_in_the_store_after_shutdown(
    make_gateway: GatewayFactory, house_rows: list[dict[str, Any]]
) -> None:
    gateway = make_gateway()
    ids = []
    with serve(gateway.app) as client:
        for i, row in enumerate(house_rows[:150]):
            answer = client.post(PREDICT, json={**row, "id": f"r{i}"})
            assert answer.status_code == 200
            ids.append(f"r{i}")
        batch = client.post(PREDICT, json=house_rows[:50]).json()
    stored = gateway.store.read_window(HOUSE)
    assert len(stored) == 200
    assert set(ids) | {p["id"] for p in batch["predictions"]} == set(stored["record_id"])
    row = stored.set_index("record_id").loc["r0"]
    assert row["gr_liv_area"] == house_rows[0]["gr_liv_area"]
    assert row["latency_seconds"] > 0


@pytest.mark.parametrize(
    ("change", "field", "kind"),
    [
        pytest.param({"gr_liv_area": "big"}, "gr_liv_area", "float_type", id="text-for-a-number"),
        pytest.param({"neighborhood": 7}, "neighborhood", "string_type", id="number-for-text"),
        pytest.param({"lot_area": None}, "lot_area", "float_type", id="null"),
        pytest.param({"colour": "red"}, "colour", "extra_forbidden", id="unknown-field"),
        pytest.param({"lot_area": ...}, "lot_area", "missing", id="missing-field"),
    ],
)
def test_invalid_input_gets_a_422_naming_the_field(
    make_gateway: GatewayFactory,
    house_rows: list[dict[str, Any]],
    change: dict[str, Any],
    field: str,
    kind: str,
) -> None:
    record = {**house_rows[0], **change}
    record = {k: v for k, v in record.items() if v is not ...}
    gateway = make_gateway()
    with serve(gateway.app) as client:
        answer = client.post(PREDICT, json=record)
        metrics = client.get("/metrics").text
    assert answer.status_code == 422
    [error] = answer.json()["detail"]
    assert error["loc"] == ["body", "record", field]
    assert error["type"] == kind
    assert metric_sum(metrics, "monitml_requests_total", model=HOUSE, status="invalid") == 1


def test_an_invalid_record_in_a_batch_is_named_by_its_position(
    make_gateway: GatewayFactory, house_rows: list[dict[str, Any]]
) -> None:
    batch = [dict(row) for row in house_rows[:5]]
    batch[3]["year_built"] = "old"
    with serve(make_gateway().app) as client:
        answer = client.post(PREDICT, json=batch)
    assert answer.status_code == 422
    assert answer.json()["detail"][0]["loc"] == ["body", "batch", 3, "year_built"]


@pytest.mark.parametrize("literal", ["NaN", "Infinity", "-Infinity", "1e999"])
def test_non_finite_numbers_are_refused(
    make_gateway: GatewayFactory, house_rows: list[dict[str, Any]], literal: str
) -> None:
    text = json.dumps({**house_rows[0], "lot_area": 0}).replace(
        '"lot_area": 0', f'"lot_area": {literal}'
    )
    with serve(make_gateway().app) as client:
        answer = client.post(PREDICT, content=text, headers={"content-type": "application/json"})
    assert answer.status_code == 422
    assert answer.json()["detail"][0]["loc"] == ["body", "record", "lot_area"]
    assert answer.json()["detail"][0]["type"] == "finite_number"


def test_a_body_over_the_limit_is_refused_with_413(
    make_gateway: GatewayFactory, house_rows: list[dict[str, Any]]
) -> None:
    gateway = make_gateway(max_body_bytes=10_000)
    with serve(gateway.app) as client:
        answer = client.post(PREDICT, json=house_rows[:100])

        async def chunks() -> Any:  # no Content-Length: counted as it arrives
            for _ in range(100):
                yield json.dumps(house_rows[0]).encode()

        chunked = client.post(
            PREDICT, content=chunks(), headers={"content-type": "application/json"}
        )
    assert answer.status_code == 413
    assert "limit is 10000 bytes" in answer.json()["detail"]
    assert chunked.status_code == 413


def test_a_batch_over_the_limit_is_refused_with_a_clear_message(
    make_gateway: GatewayFactory, house_rows: list[dict[str, Any]]
) -> None:
    with serve(make_gateway(max_batch=10).app) as client:
        answer = client.post(PREDICT, json=house_rows[:11])
        empty = client.post(PREDICT, json=[])
    assert answer.status_code == 422
    assert "at most 10 items" in answer.json()["detail"][0]["msg"]
    assert empty.status_code == 422


def test_a_model_that_raises_gets_a_500_counted_and_the_gateway_keeps_serving(
    make_gateway: GatewayFactory,
    house_rows: list[dict[str, Any]],
    house_v1: Predictor,
    house_schema: Any,
) -> None:
    broken = make_predictor(Raising(), house_schema, "regression")
    model = ServedModel(
        HOUSE, "regression", house_schema, {"v1": house_v1, "bad": broken},
        Router(Routing({"v1": 50, "bad": 50}), seed=3),
    )  # fmt: skip
    gateway = make_gateway([model])
    with serve(gateway.app) as client:
        answers = [client.post(PREDICT, json=row) for row in house_rows[:40]]
        metrics = client.get("/metrics").text
    statuses = [answer.status_code for answer in answers]
    assert set(statuses) == {200, 500}
    failed = next(answer for answer in answers if answer.status_code == 500)
    assert "'bad' failed: RuntimeError: the model is broken" in failed.json()["detail"]
    errors = metric_sum(metrics, "monitml_requests_total", version="bad", status="error")
    assert errors == statuses.count(500)
    assert metric_sum(
        metrics, "monitml_requests_total", version="v1", status="ok"
    ) == statuses.count(200)
    assert len(gateway.store.read_window(HOUSE)) == statuses.count(200)


def test_shadow_versions_are_logged_but_never_answered(
    make_gateway: GatewayFactory, house_rows: list[dict[str, Any]], house_v1: Predictor,
    house_v2: Predictor, house_schema: Any,
) -> None:  # fmt: skip
    model = ServedModel(
        HOUSE, "regression", house_schema, {"v1": house_v1, "v2": house_v2},
        Router(Routing({"v1": 100}, ("v2",))),
    )  # fmt: skip
    gateway = make_gateway([model])
    with serve(gateway.app) as client:
        answers = [
            client.post(PREDICT, json={**row, "id": f"s{i}"}).json()
            for i, row in enumerate(house_rows[:30])
        ]
    assert {a["version"] for a in answers} == {"v1"}
    assert all(a["prediction"] != 100.0 for a in answers)
    everything = gateway.store.read_window(HOUSE, include_shadow=True)
    shadow = everything[everything["shadow"]]
    assert len(shadow) == 30
    assert set(shadow["version"]) == {"v2"}
    assert set(shadow["prediction"]) == {100.0}
    assert set(shadow["record_id"]) == {f"s{i}" for i in range(30)}
    assert len(gateway.store.read_window(HOUSE)) == 30  # the answered ones


def test_a_failing_shadow_never_touches_the_answer(
    make_gateway: GatewayFactory, house_rows: list[dict[str, Any]], house_v1: Predictor,
    house_schema: Any,
) -> None:  # fmt: skip
    broken = make_predictor(Raising(), house_schema, "regression")
    model = ServedModel(
        HOUSE, "regression", house_schema, {"v1": house_v1, "bad": broken},
        Router(Routing({"v1": 100}, ("bad",))),
    )  # fmt: skip
    with serve(make_gateway([model]).app) as client:
        answer = client.post(PREDICT, json=house_rows[0])
        metrics = client.get("/metrics").text
    assert answer.status_code == 200
    assert metric_sum(metrics, "monitml_requests_total", version="bad", status="error") == 1


def test_a_classifier_answers_probabilities_and_counts_classes(
    make_gateway: GatewayFactory, air_classifier: Predictor, air_schema: Any,
    house_rows: list[dict[str, Any]],
) -> None:  # fmt: skip
    model = ServedModel(AIR, "classification", air_schema, {"v1": air_classifier},
                        Router(Routing({"v1": 100})), target="central_air")  # fmt: skip
    rows = [{name: row[name] for name in air_schema.names} for row in house_rows[:25]]
    gateway = make_gateway([model])
    with serve(gateway.app) as client:
        one = client.post(f"/models/{AIR}/predict", json=rows[0]).json()
        batch = client.post(f"/models/{AIR}/predict", json=rows[1:]).json()
        metrics = client.get("/metrics").text
    assert one["prediction"] in {"Y", "N"}
    assert set(one["probabilities"]) == {"N", "Y"}
    assert sum(one["probabilities"].values()) == pytest.approx(1.0)
    predicted = [one["prediction"]] + [p["prediction"] for p in batch["predictions"]]
    for label in ("Y", "N"):
        counted = metric_sum(
            metrics, "monitml_predicted_class_total", model=AIR, **{"class": label}
        )
        assert counted == predicted.count(label)
    stored = gateway.store.read_window(AIR)
    assert {"proba_Y", "proba_N"} <= set(stored.columns)


def test_sticky_routing_sends_one_key_to_one_version(
    make_gateway: GatewayFactory, house_rows: list[dict[str, Any]], house_v1: Predictor,
    house_v2: Predictor, house_schema: Any,
) -> None:  # fmt: skip
    model = ServedModel(
        HOUSE, "regression", house_schema, {"v1": house_v1, "v2": house_v2},
        Router(Routing({"v1": 50, "v2": 50})), sticky_key="neighborhood",
    )  # fmt: skip
    with serve(make_gateway([model]).app) as client:
        answers = client.post(PREDICT, json=house_rows[:200]).json()["predictions"]
    by_key: dict[str, set[str]] = {}
    for row, answer in zip(house_rows[:200], answers, strict=True):
        by_key.setdefault(row["neighborhood"], set()).add(answer["version"])
    assert all(len(versions) == 1 for versions in by_key.values())
    assert {v for versions in by_key.values() for v in versions} == {"v1", "v2"}
