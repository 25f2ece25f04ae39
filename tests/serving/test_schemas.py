"""What /log accepts: configured versions only (unless external ones are allowed), strict types."""

from __future__ import annotations

from typing import Any

import pytest

from .conftest import HOUSE, GatewayFactory, serve

LOG = f"/models/{HOUSE}/log"


def _logged(row: dict[str, Any], **fields: Any) -> dict[str, Any]:
    return {"features": row, "prediction": 1.0, **fields}


def test_log_takes_a_configured_version_and_refuses_any_other_naming_version(
    make_gateway: GatewayFactory, house_rows: list[dict[str, Any]]
) -> None:
    gateway = make_gateway()
    with serve(gateway.app) as client:
        configured = client.post(LOG, json=_logged(house_rows[0], version="v2", id="x"))
        made_up = client.post(LOG, json=_logged(house_rows[0], version="v9"))
        absent = client.post(LOG, json=[_logged(house_rows[0])])
    assert configured.status_code == 202
    assert made_up.status_code == 422
    assert made_up.json()["detail"][0]["loc"] == ["body", "record", "version"]
    assert absent.json()["detail"][0]["loc"] == ["body", "batch", 0, "version"]
    assert list(gateway.store.read_window(HOUSE, "v2")["record_id"]) == ["x"]
    assert gateway.store.count_predictions(HOUSE) == 1


def test_external_versions_are_taken_when_allowed(
    make_gateway: GatewayFactory, house_rows: list[dict[str, Any]]
) -> None:
    gateway = make_gateway(allow_external_versions=True)
    with serve(gateway.app) as client:
        named = client.post(LOG, json=_logged(house_rows[0], version="pricing-7"))
        unnamed = client.post(LOG, json=_logged(house_rows[0]))
    assert (named.status_code, unnamed.status_code) == (202, 202)
    assert len(gateway.store.read_window(HOUSE, "external")) == 1


@pytest.mark.parametrize(
    ("field", "value"),
    [
        ("latency_seconds", False),
        ("latency_seconds", "0.1"),
        ("latency_seconds", -1.0),
        ("timestamp", True),
        ("prediction", True),
    ],
    ids=["bool-latency", "string-latency", "negative-latency", "bool-timestamp", "bool-price"],
)
def test_booleans_and_strings_are_not_numbers(
    make_gateway: GatewayFactory, house_rows: list[dict[str, Any]], field: str, value: Any
) -> None:
    with serve(make_gateway().app) as client:
        answer = client.post(LOG, json={**_logged(house_rows[0], version="v1"), field: value})
    assert answer.status_code == 422
    assert answer.json()["detail"][0]["loc"][:3] == ["body", "record", field]


def test_a_body_that_is_not_even_text_gets_a_422(make_gateway: GatewayFactory) -> None:
    with serve(make_gateway().app) as client:
        answer = client.post(LOG, content=b"z\xe9", headers={"Content-Type": "application/json"})
    assert answer.status_code == 422
    assert answer.json()["detail"][0]["loc"] == ["body"]
