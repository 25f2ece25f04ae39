"""Labels for ids with no logged prediction: taken within log.label_window, refused after."""

from __future__ import annotations

import time
from typing import Any

import pytest

from monitml.serving.labels import LabelWindow

from .conftest import HOUSE, GatewayFactory, serve

FEEDBACK = f"/models/{HOUSE}/feedback"


def test_an_unknown_id_expires_a_window_after_its_first_label_not_its_last() -> None:
    window = LabelWindow(10.0)
    window.received("m", ["a"], now=100.0)
    window.received("m", ["a"], now=105.0)  # a second label does not restart the window
    assert window.expired("m", ["a"], now=109.0) == []
    assert window.expired("m", ["a", "a", "b"], now=111.0) == ["a"]


def test_ids_are_kept_apart_per_model_and_forgotten_once_their_prediction_is_seen() -> None:
    window = LabelWindow(1.0)
    window.received("m", ["a", "b"], now=0.0)
    assert window.expired("other", ["a"], now=5.0) == []
    window.matched("m", ["a"])
    assert window.expired("m", ["a", "b"], now=5.0) == ["b"]


def test_the_table_is_bounded_and_forgets_the_oldest_first() -> None:
    window = LabelWindow(1.0, max_ids=2)
    window.received("m", ["a", "b", "c"], now=0.0)
    assert len(window) == 2
    assert window.expired("m", ["a", "b", "c"], now=5.0) == ["b", "c"]


@pytest.mark.parametrize(
    ("window", "max_ids"), [(0.0, 10), (-1.0, 10), (1.0, 0)], ids=["zero", "negative", "no-room"]
)
def test_a_window_needs_a_positive_length_and_room(window: float, max_ids: int) -> None:
    with pytest.raises(ValueError, match="LabelWindow must be"):
        LabelWindow(window, max_ids=max_ids)


def test_feedback_for_an_unknown_id_is_taken_within_the_window_and_refused_after(
    make_gateway: GatewayFactory, house_rows: list[dict[str, Any]]
) -> None:
    gateway = make_gateway(label_window=0.5)
    with serve(gateway.app) as client:
        client.post(f"/models/{HOUSE}/predict", json={**house_rows[0], "id": "known"})
        first = client.post(FEEDBACK, json={"id": "early", "sale_price": 1.0})
        again = client.post(FEEDBACK, json={"id": "early", "sale_price": 2.0})
        time.sleep(0.7)
        late = client.post(
            FEEDBACK,
            json=[{"id": "known", "sale_price": 3.0}, {"id": "early", "sale_price": 4.0}],
        )
        alone = client.post(FEEDBACK, json={"id": "early", "sale_price": 5.0})
        fresh = client.post(FEEDBACK, json={"id": "other", "sale_price": 6.0})
    assert first.json() == {"received": 1, "unknown_ids": ["early"]}
    assert again.status_code == 200
    assert late.status_code == 422
    assert [item["loc"] for item in late.json()["detail"]] == [["body", "batch", 1, "id"]]
    assert "label_window" in late.json()["detail"][0]["msg"]
    assert alone.json()["detail"][0]["loc"] == ["body", "record", "id"]
    assert fresh.json() == {"received": 1, "unknown_ids": ["other"]}
    labels = gateway.store.read_window(HOUSE).set_index("record_id")["label"]
    # The refused request stored nothing, not even the label of the known id.
    assert labels.isna()["known"]


def test_an_id_whose_prediction_arrives_after_the_window_is_labelled_again(
    make_gateway: GatewayFactory, house_rows: list[dict[str, Any]]
) -> None:
    gateway = make_gateway(label_window=0.3)
    with serve(gateway.app) as client:
        client.post(FEEDBACK, json={"id": "sale-9", "sale_price": 1.0})
        time.sleep(0.5)
        before = client.post(FEEDBACK, json={"id": "sale-9", "sale_price": 2.0})
        logged = {"id": "sale-9", "version": "v1", "features": house_rows[0], "prediction": 1.0}
        client.post(f"/models/{HOUSE}/log", json=logged)
        after = client.post(FEEDBACK, json={"id": "sale-9", "sale_price": 3.0})
    assert before.status_code == 422
    assert after.json() == {"received": 1, "unknown_ids": []}
    labels = gateway.store.read_window(HOUSE).set_index("record_id")["label"]
    assert labels["sale-9"] == 3.0
