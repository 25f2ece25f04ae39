"""``monitml.client.MonitmlClient`` against a real gateway: every call, every error path."""

from __future__ import annotations

import time
from collections.abc import Iterator

import pytest

from monitml.client import (
    GatewayError,
    LogEntry,
    MonitmlClient,
    UnreachableError,
)
from monitml.errors import MonitmlError
from monitml.store import PredictionStore

from .conftest import ADMIN_TOKEN, MODEL, Gateway, _free_port


@pytest.fixture
def client(gateway: Gateway) -> Iterator[MonitmlClient]:
    with MonitmlClient(gateway.url, timeout=10) as opened:
        yield opened


def _logged(gateway: Gateway, record_id: str, timeout: float = 10.0) -> dict[str, object]:
    """The stored row of ``record_id`` (the gateway writes the log off the request path)."""
    store = PredictionStore.from_url(gateway.store_url)
    try:
        deadline = time.monotonic() + timeout
        while True:
            frame = store.read_window(MODEL)
            rows = frame[frame["record_id"] == record_id] if "record_id" in frame else frame[:0]
            if len(rows):
                return dict(rows.iloc[0])
            if time.monotonic() > deadline:
                raise AssertionError(f"{record_id} was not logged within {timeout} s")
            time.sleep(0.1)
    finally:
        store.dispose()


def test_predict_one_record_answers_with_a_routed_version_and_a_number(
    client: MonitmlClient,
) -> None:
    answer = client.predict(MODEL, {"area": 80.0, "rooms": 3.0}, id="flat-1")
    assert answer.version in {"v1", "v2"}
    assert isinstance(answer.prediction, float)
    assert answer.request_id


def test_predict_a_batch_answers_each_record_under_its_own_id(client: MonitmlClient) -> None:
    records = [{"id": f"b-{i}", "area": 40.0 + i, "rooms": 2.0} for i in range(5)]
    answer = client.predict(MODEL, records)
    assert [p.id for p in answer.predictions] == [f"b-{i}" for i in range(5)]
    assert {p.version for p in answer.predictions} <= {"v1", "v2"}


def test_labels_sent_for_predicted_ids_are_joined(client: MonitmlClient) -> None:
    client.predict(MODEL, {"area": 55.0, "rooms": 2.0}, id="flat-2")
    receipt = client.feedback(MODEL, {"flat-2": 777.0, "never-predicted": 1.0})
    assert receipt.received == 2
    assert receipt.unknown_ids == ["never-predicted"]


def test_predictions_made_elsewhere_are_logged_under_the_version_named_and_labelled(
    client: MonitmlClient, gateway: Gateway
) -> None:
    receipt = client.log(MODEL, {"area": 70.0, "rooms": 3.0}, 990.0, id="ext-1", version="v2")
    assert receipt.logged == 1
    many = client.log_many(
        MODEL,
        [
            LogEntry({"area": 30.0 + i, "rooms": 1.0}, 400.0 + i, id=f"ext-{i + 2}")
            for i in range(3)
        ],
    )
    assert many.logged == 3
    assert client.feedback(MODEL, {"ext-1": 1000.0, "ext-4": 432.0}).unknown_ids == []
    row = _logged(gateway, "ext-1")
    assert (row["version"], row["prediction"]) == ("v2", 990.0)


def test_models_describe_the_versions_the_routing_and_the_label(client: MonitmlClient) -> None:
    (info,) = client.models()
    assert info.name == MODEL
    assert info.label_field == "rent"
    assert set(info.versions) == {"v1", "v2"}
    assert sum(info.routing.values()) == 100
    assert [f.name for f in info.features] == ["area", "rooms"]
    assert client.model(MODEL) == info


def test_an_invalid_record_raises_the_gateways_message_naming_the_field(
    client: MonitmlClient,
) -> None:
    with pytest.raises(GatewayError) as raised:
        client.predict(MODEL, {"area": "large", "rooms": 3.0})
    assert raised.value.status_code == 422
    assert "area" in str(raised.value)
    assert str(raised.value).startswith(f"POST /models/{MODEL}/predict answered 422: area:")


def test_an_unknown_model_raises_the_gateways_404_message(client: MonitmlClient) -> None:
    with pytest.raises(GatewayError, match=r"answered 404: No model 'house'; the models are"):
        client.model("house")


def test_changing_the_routing_needs_the_admin_token(gateway: Gateway) -> None:
    with MonitmlClient(gateway.url) as anonymous, pytest.raises(GatewayError) as raised:
        anonymous.set_routing(MODEL, {"v1": 100, "v2": 0})
    assert raised.value.status_code == 401
    assert "admin bearer token is required" in str(raised.value)


def test_the_admin_token_moves_all_traffic_to_one_version(gateway: Gateway) -> None:
    with MonitmlClient(gateway.url, token=ADMIN_TOKEN) as admin:
        try:
            info = admin.set_routing(MODEL, {"v1": 100, "v2": 0})
            assert info.routing == {"v1": 100.0, "v2": 0.0}
            answers = admin.predict(MODEL, [{"area": 50.0, "rooms": 2.0}] * 20)
            assert {p.version for p in answers.predictions} == {"v1"}
        finally:
            admin.set_routing(MODEL, {"v1": 50, "v2": 50})


def test_weights_not_summing_to_100_are_refused_with_the_reason(gateway: Gateway) -> None:
    with (
        MonitmlClient(gateway.url, token=ADMIN_TOKEN) as admin,
        pytest.raises(GatewayError) as raised,
    ):
        admin.set_routing(MODEL, {"v1": 60, "v2": 60})
    assert raised.value.status_code == 422
    assert "100" in str(raised.value)


def test_a_gateway_that_does_not_answer_raises_unreachable() -> None:
    with MonitmlClient(f"http://127.0.0.1:{_free_port()}", timeout=2) as client:
        assert not client.ready()
        with pytest.raises(UnreachableError, match="cannot reach the gateway"):
            client.models()


def test_client_errors_are_monitml_errors() -> None:
    assert issubclass(GatewayError, MonitmlError)
    assert issubclass(UnreachableError, MonitmlError)


def test_a_ready_gateway_says_so(client: MonitmlClient) -> None:
    assert client.ready()


@pytest.mark.parametrize("timeout", [0, -1.0], ids=["zero", "negative"])
def test_a_timeout_must_be_positive(timeout: float) -> None:
    with pytest.raises(ValueError, match="'timeout' parameter of MonitmlClient must be > 0"):
        MonitmlClient("http://127.0.0.1:1", timeout=timeout)
