"""Bearer tokens on /log, /feedback and /predict: 401 without, 403 wrong, never echoed."""

from __future__ import annotations

import logging
from pathlib import Path
from typing import Any

import pytest

from monitml.app.gateway import build_gateway_app, required_token
from monitml.config import AuthConfig, load_settings
from monitml.errors import ConfigError

from .conftest import HOUSE, GatewayFactory, serve

INGEST = "ingest-9c1d5e"
PREDICT = "predict-44af0b"


def _bodies(row: dict[str, Any]) -> dict[str, Any]:
    return {
        "predict": row,
        "log": {"version": "v1", "features": row, "prediction": 1.0},
        "feedback": {"id": "a", "sale_price": 1.0},
    }


@pytest.mark.parametrize(
    ("path", "token"),
    [("log", INGEST), ("feedback", INGEST), ("predict", PREDICT)],
    ids=["log-needs-ingest", "feedback-needs-ingest", "predict-needs-predict"],
)
def test_a_protected_route_answers_401_without_a_token_and_403_with_a_wrong_one(
    make_gateway: GatewayFactory, house_rows: list[dict[str, Any]], path: str, token: str
) -> None:
    gateway = make_gateway(ingest_token=INGEST, predict_token=PREDICT)
    url, body = f"/models/{HOUSE}/{path}", _bodies(house_rows[0])[path]
    other = PREDICT if token == INGEST else INGEST
    with serve(gateway.app) as client:
        missing = client.post(url, json=body)
        not_bearer = client.post(url, json=body, headers={"Authorization": f"Basic {token}"})
        empty = client.post(url, json=body, headers={"Authorization": "Bearer"})
        wrong = client.post(url, json=body, headers={"Authorization": f"Bearer {token}x"})
        swapped = client.post(url, json=body, headers={"Authorization": f"Bearer {other}"})
        right = client.post(url, json=body, headers={"Authorization": f"Bearer {token}"})
    for refused in (missing, not_bearer, empty):
        assert refused.status_code == 401
        assert refused.headers["WWW-Authenticate"] == "Bearer"
    assert (wrong.status_code, swapped.status_code) == (403, 403)
    assert right.status_code in {200, 202}


def test_without_tokens_configured_the_routes_stay_open(
    make_gateway: GatewayFactory, house_rows: list[dict[str, Any]]
) -> None:
    with serve(make_gateway().app) as client:
        answers = {
            path: client.post(f"/models/{HOUSE}/{path}", json=body).status_code
            for path, body in _bodies(house_rows[0]).items()
        }
    assert answers == {"predict": 200, "log": 202, "feedback": 200}


def test_the_openapi_documents_the_tokens_only_where_they_are_required(
    make_gateway: GatewayFactory,
) -> None:
    with serve(make_gateway(ingest_token=INGEST).app) as client:
        paths = client.get("/openapi.json").json()["paths"]
    log, feedback = (
        paths[f"/models/{HOUSE}/log"]["post"],
        paths[f"/models/{HOUSE}/feedback"]["post"],
    )
    predict = paths[f"/models/{HOUSE}/predict"]["post"]
    for operation in (log, feedback):
        assert {"401", "403", "503"} <= set(operation["responses"])
        assert operation["security"] == [{"ingest": []}]
    assert "security" not in predict
    assert "401" not in predict["responses"]


def test_tokens_never_appear_in_logs_metrics_or_error_bodies(
    make_gateway: GatewayFactory,
    house_rows: list[dict[str, Any]],
    caplog: pytest.LogCaptureFixture,
) -> None:
    caplog.set_level(logging.DEBUG)
    gateway = make_gateway(ingest_token=INGEST, predict_token=PREDICT)
    secrets = (INGEST, PREDICT, "s3cret")  # s3cret: the factory's admin token
    texts: list[str] = []
    statuses: set[int] = set()
    with serve(gateway.app) as client:
        for path, body in _bodies(house_rows[0]).items():
            url = f"/models/{HOUSE}/{path}"
            for token in secrets:
                for header in (f"Bearer {token}", f"Bearer {token}-wrong", f"Basic {token}"):
                    for sent in (body, {"wrong": True}, [body] * 2_000):
                        answer = client.post(url, json=sent, headers={"Authorization": header})
                        texts.append(answer.text + str(answer.headers))
                        statuses.add(answer.status_code)
        routing = client.put(
            f"/models/{HOUSE}/routing",
            json={"routing": {"v1": 10}},
            headers={"Authorization": "Bearer s3cret-wrong"},
        )
        texts.append(routing.text)
        texts.append(client.get("/metrics").text)
    texts.append(caplog.text)
    texts.extend(str(record.args) for record in caplog.records)
    assert {200, 202, 401, 403, 422} <= statuses
    leaked = [secret for secret in secrets for text in texts if secret in text]
    assert not leaked


def test_a_named_token_variable_that_is_unset_stops_the_gateway_from_starting(
    demo_folder: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.delenv("MONITML_TEST_INGEST", raising=False)
    with pytest.raises(ConfigError, match=r"auth\.ingest_token_env: .*MONITML_TEST_INGEST"):
        required_token("MONITML_TEST_INGEST", "auth.ingest_token_env")
    monkeypatch.setenv("MONITML_TEST_INGEST", "")
    with pytest.raises(ConfigError, match="not set or empty"):
        required_token("MONITML_TEST_INGEST", "auth.ingest_token_env")
    assert required_token(None, "auth.ingest_token_env") is None
    monkeypatch.delenv("MONITML_TEST_PREDICT", raising=False)
    settings = load_settings(demo_folder / "monitml.yaml")
    settings = settings.model_copy(
        update={"auth": AuthConfig(predict_token_env="MONITML_TEST_PREDICT")}
    )
    with pytest.raises(ConfigError, match=r"auth\.predict_token_env"):
        build_gateway_app(settings)
