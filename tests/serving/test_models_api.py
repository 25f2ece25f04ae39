"""``GET /models``, routing changes with the admin token, health, log and feedback."""

from __future__ import annotations

from collections import Counter
from typing import Any

from .conftest import HOUSE, GatewayFactory, serve

ADMIN = {"Authorization": "Bearer s3cret"}
ROUTING = f"/models/{HOUSE}/routing"


def test_models_lists_versions_routing_and_typed_features(make_gateway: GatewayFactory) -> None:
    with serve(make_gateway().app) as client:
        listing = client.get("/models").json()
        one = client.get(f"/models/{HOUSE}").json()
        missing = client.get("/models/nope")
    assert listing["models"] == [one]
    assert one["routing"] == {"v1": 75.0, "v2": 25.0}
    assert one["versions"]["v2"] == {"loader": "python", "weight": 25.0, "shadow": False}
    assert {"name": "lot_area", "kind": "numerical", "type": "number"} in one["features"]
    assert missing.status_code == 404


def test_swagger_lists_each_models_fields_and_types(make_gateway: GatewayFactory) -> None:
    with serve(make_gateway().app) as client:
        schema = client.get("/openapi.json").json()
        docs = client.get("/docs")
    record = schema["components"]["schemas"]["HousePriceRecord"]
    assert record["properties"]["gr_liv_area"]["type"] == "number"
    assert record["properties"]["neighborhood"]["type"] == "string"
    assert "lot_area" in record["required"]
    assert docs.status_code == 200


def test_routing_changes_need_the_admin_token(make_gateway: GatewayFactory) -> None:
    change = {"routing": {"v1": 100, "v2": 0}}
    with serve(make_gateway().app) as client:
        anonymous = client.put(ROUTING, json=change)
        wrong = client.put(ROUTING, json=change, headers={"Authorization": "Bearer nope"})
        right = client.put(ROUTING, json=change, headers=ADMIN)
    assert anonymous.status_code == 401
    assert anonymous.headers["www-authenticate"] == "Bearer"
    assert wrong.status_code == 403
    assert right.status_code == 200
    assert right.json()["routing"] == {"v1": 100.0, "v2": 0.0}


def test_routing_changes_are_refused_when_no_token_is_configured(
    make_gateway: GatewayFactory,
) -> None:
    with serve(make_gateway(admin_token=None).app) as client:
        answer = client.put(ROUTING, json={"routing": {"v1": 100}}, headers=ADMIN)
    assert answer.status_code == 403


def test_a_bad_routing_change_is_a_422_naming_the_problem(make_gateway: GatewayFactory) -> None:
    with serve(make_gateway().app) as client:
        unknown = client.put(ROUTING, json={"routing": {"v1": 50, "v7": 50}}, headers=ADMIN)
        total = client.put(ROUTING, json={"routing": {"v1": 50, "v2": 40}}, headers=ADMIN)
    assert unknown.status_code == 422
    assert "unknown version 'v7'" in unknown.json()["detail"]
    assert total.status_code == 422
    assert "must sum to 100" in total.json()["detail"]


def test_a_routing_change_applies_at_once_and_survives_a_restart(
    make_gateway: GatewayFactory, house_rows: list[dict[str, Any]]
) -> None:
    with serve(make_gateway().app) as client:
        client.put(ROUTING, json={"routing": {"v1": 0, "v2": 100}}, headers=ADMIN)
        versions = {
            client.post(f"/models/{HOUSE}/predict", json=r).json()["version"]
            for r in house_rows[:20]
        }
    assert versions == {"v2"}
    restarted = make_gateway()  # same folder: same store and routing state, fresh routers
    with serve(restarted.app) as client:
        assert client.get(f"/models/{HOUSE}").json()["routing"] == {"v1": 0.0, "v2": 100.0}
        batch = client.post(f"/models/{HOUSE}/predict", json=house_rows[:50]).json()
    assert Counter(p["version"] for p in batch["predictions"]) == {"v2": 50}


def test_health_is_live_and_ready_while_serving(make_gateway: GatewayFactory) -> None:
    with serve(make_gateway().app) as client:
        live = client.get("/health/live")
        ready = client.get("/health/ready")
    assert live.json() == {"status": "ok"}
    assert ready.status_code == 200
    assert ready.json()["models"] == [HOUSE]


def test_predictions_made_elsewhere_are_logged(
    make_gateway: GatewayFactory, house_rows: list[dict[str, Any]]
) -> None:
    gateway = make_gateway(allow_external_versions=True)
    logged = [
        {"id": f"ext-{i}", "version": "batch-job", "features": row, "prediction": 150_000.0 + i}
        for i, row in enumerate(house_rows[:10])
    ]
    with serve(gateway.app) as client:
        answer = client.post(f"/models/{HOUSE}/log", json=logged)
        bad = client.post(f"/models/{HOUSE}/log", json={"features": house_rows[0]})
    assert answer.status_code == 202
    assert answer.json()["logged"] == 10
    assert bad.status_code == 422
    assert bad.json()["detail"][0]["loc"] == ["body", "record", "prediction"]
    stored = gateway.store.read_window(HOUSE, "batch-job")
    assert sorted(stored["record_id"]) == sorted(f"ext-{i}" for i in range(10))


def test_feedback_joins_labels_by_id_and_reports_unknown_ids(
    make_gateway: GatewayFactory, house_rows: list[dict[str, Any]]
) -> None:
    gateway = make_gateway()
    with serve(gateway.app) as client:
        client.post(
            f"/models/{HOUSE}/predict",
            json=[{**house_rows[0], "id": "a"}, {**house_rows[1], "id": "b"}],
        )
        one = client.post(f"/models/{HOUSE}/feedback", json={"id": "a", "sale_price": 210_000})
        many = client.post(
            f"/models/{HOUSE}/feedback",
            json=[{"id": "b", "sale_price": 180_000}, {"id": "ghost", "sale_price": 1.0}],
        )
        wrong_name = client.post(f"/models/{HOUSE}/feedback", json={"id": "a", "label": 1.0})
    assert one.json() == {"received": 1, "unknown_ids": []}
    assert many.json() == {"received": 2, "unknown_ids": ["ghost"]}
    assert wrong_name.status_code == 422
    stored = gateway.store.read_window(HOUSE).set_index("record_id")
    assert stored.loc["a", "label"] == 210_000
    assert stored.loc["b", "label"] == 180_000
