"""The fallback guard: inputs the reference never saw are answered by the fallback version."""

from __future__ import annotations

from typing import Any

import pandas as pd
import pytest

from monitml.app.models import input_bounds
from monitml.demo.models import ConstantModel
from monitml.serving import FeatureSchema, Router, Routing, ServedModel
from monitml.serving.fallback import FallbackGuard, InputBounds
from monitml.serving.loaders import Predictor, make_predictor

from .conftest import HOUSE, GatewayFactory, metric_sum, serve

PREDICT = f"/models/{HOUSE}/predict"
RULE_PRICE = 123_456.0  # what the rule-based fallback answers, unlike any model's prediction


@pytest.fixture(scope="module")
def bounds(ames: pd.DataFrame, house_schema: FeatureSchema) -> InputBounds:
    return input_bounds(ames, house_schema)


@pytest.fixture
def guarded(
    house_schema: FeatureSchema, house_v1: Predictor, house_v2: Predictor, bounds: InputBounds
) -> ServedModel:
    """The seed's canary (v1 75 %, v2 25 %) with a rule-based fallback that takes no traffic."""
    rules = make_predictor(ConstantModel(RULE_PRICE), house_schema, "regression")
    return ServedModel(
        HOUSE,
        "regression",
        house_schema,
        {"v1": house_v1, "v2": house_v2, "rules": rules},
        Router(Routing({"v1": 75, "v2": 25, "rules": 0}), seed=3),
        target="sale_price",
        fallback=FallbackGuard("rules", bounds),
    )


def _too_big(row: dict[str, Any], ames: pd.DataFrame) -> dict[str, Any]:
    return {**row, "gr_liv_area": float(ames["gr_liv_area"].max()) + 1.0}


def test_the_bounds_are_the_references_range_and_categories(
    ames: pd.DataFrame, bounds: InputBounds
) -> None:
    assert bounds.ranges["gr_liv_area"] == (
        float(ames["gr_liv_area"].min()),
        float(ames["gr_liv_area"].max()),
    )
    assert set(bounds.categories["neighborhood"]) == set(ames["neighborhood"].dropna())
    assert "neighborhood" not in bounds.ranges
    assert "gr_liv_area" not in bounds.categories


def test_an_input_above_the_references_maximum_is_answered_by_the_fallback(
    make_gateway: GatewayFactory,
    guarded: ServedModel,
    house_rows: list[dict[str, Any]],
    ames: pd.DataFrame,
) -> None:
    gateway = make_gateway([guarded])
    with serve(gateway.app) as client:
        answer = client.post(PREDICT, json={**_too_big(house_rows[0], ames), "id": "big"})
        metrics = client.get("/metrics").text
    assert answer.status_code == 200
    body = answer.json()
    assert body["version"] == "rules"
    assert body["prediction"] == RULE_PRICE
    assert body["fallback"]["reason"] == "out_of_range"
    assert body["fallback"]["feature"] == "gr_liv_area"
    assert body["fallback"]["replaced"] in {"v1", "v2"}
    replaced = body["fallback"]["replaced"]
    assert metric_sum(
        metrics, "monitml_fallback_total", model=HOUSE, version=replaced, reason="out_of_range"
    ) == pytest.approx(1.0)
    assert metric_sum(metrics, "monitml_fallback_total") == pytest.approx(1.0)
    assert metric_sum(metrics, "monitml_requests_total", version="rules") == pytest.approx(1.0)
    row = gateway.store.read_window(HOUSE).set_index("record_id").loc["big"]
    assert row["version"] == "rules"
    assert row["fallback"] == "out_of_range"
    assert row["replaced_version"] == replaced
    assert row["prediction"] == RULE_PRICE


def test_an_input_below_the_references_minimum_falls_back_too(
    make_gateway: GatewayFactory,
    guarded: ServedModel,
    house_rows: list[dict[str, Any]],
    ames: pd.DataFrame,
) -> None:
    small = {**house_rows[0], "lot_area": float(ames["lot_area"].min()) - 1.0}
    with serve(make_gateway([guarded]).app) as client:
        body = client.post(PREDICT, json=small).json()
    assert body["version"] == "rules"
    assert body["fallback"]["reason"] == "out_of_range"
    assert body["fallback"]["feature"] == "lot_area"


def test_a_category_the_reference_never_saw_is_answered_by_the_fallback(
    make_gateway: GatewayFactory, guarded: ServedModel, house_rows: list[dict[str, Any]]
) -> None:
    gateway = make_gateway([guarded])
    with serve(gateway.app) as client:
        body = client.post(PREDICT, json={**house_rows[0], "neighborhood": "Atlantis"}).json()
        metrics = client.get("/metrics").text
    assert body["version"] == "rules"
    assert body["fallback"]["reason"] == "unseen_category"
    assert body["fallback"]["feature"] == "neighborhood"
    assert metric_sum(metrics, "monitml_fallback_total", reason="unseen_category") == 1.0
    assert metric_sum(metrics, "monitml_fallback_total", reason="out_of_range") == 0.0
    (stored,) = gateway.store.read_window(HOUSE)["fallback"].tolist()
    assert stored == "unseen_category"


def test_inputs_inside_the_references_range_are_answered_by_the_routed_version(
    make_gateway: GatewayFactory, guarded: ServedModel, house_rows: list[dict[str, Any]]
) -> None:
    gateway = make_gateway([guarded])
    with serve(gateway.app) as client:
        answers = [client.post(PREDICT, json=row).json() for row in house_rows[:40]]
        metrics = client.get("/metrics").text
    assert {a["version"] for a in answers} == {"v1", "v2"}
    assert all("fallback" not in a for a in answers)
    # Every (version, reason) is published at zero before the first fallback.
    for version in ("v1", "v2"):
        for reason in ("out_of_range", "unseen_category"):
            labels = f'model="{HOUSE}",reason="{reason}",version="{version}"'
            assert f"monitml_fallback_total{{{labels}}} 0.0" in metrics
    window = gateway.store.read_window(HOUSE)
    assert len(window) == 40
    assert window["fallback"].isna().all()
    assert window["replaced_version"].isna().all()


def test_a_batch_falls_back_per_record(
    make_gateway: GatewayFactory,
    guarded: ServedModel,
    house_rows: list[dict[str, Any]],
    ames: pd.DataFrame,
) -> None:
    batch = [{**row, "id": f"h{i}"} for i, row in enumerate(house_rows[:12])]
    batch[2] = _too_big(batch[2], ames)
    batch[7] = {**batch[7], "house_style": "Igloo"}
    batch[9] = {**_too_big(batch[9], ames), "neighborhood": "Atlantis"}  # first failure wins
    gateway = make_gateway([guarded])
    with serve(gateway.app) as client:
        answers = client.post(PREDICT, json=batch).json()["predictions"]
        metrics = client.get("/metrics").text
    fell_back = {a["id"]: a["fallback"] for a in answers if "fallback" in a}
    assert {i: f["reason"] for i, f in fell_back.items()} == {
        "h2": "out_of_range",
        "h7": "unseen_category",
        "h9": "out_of_range",
    }
    assert fell_back["h7"]["feature"] == "house_style"
    for answer in answers:
        if answer["id"] in fell_back:
            assert answer["version"] == "rules"
            assert answer["prediction"] == RULE_PRICE
        else:
            assert answer["version"] in {"v1", "v2"}
            assert answer["prediction"] != RULE_PRICE
    assert metric_sum(metrics, "monitml_fallback_total") == 3.0
    window = gateway.store.read_window(HOUSE).set_index("record_id")
    assert window["fallback"].notna().sum() == 3
    for record_id, fallback in fell_back.items():
        assert window.loc[record_id, "replaced_version"] == fallback["replaced"]
        assert window.loc[record_id, "version"] == "rules"


def test_a_missing_value_is_not_out_of_range() -> None:
    guard = FallbackGuard("rules", InputBounds({"area": (1.0, 2.0)}, {"zone": {"A"}}))
    assert guard.check({"area": None, "zone": None}) is None
    assert guard.check({}) is None


def test_the_bounds_themselves_are_inside_the_range() -> None:
    guard = FallbackGuard("rules", InputBounds({"area": (1.0, 2.0)}))
    assert guard.check({"area": 1.0}) is None
    assert guard.check({"area": 2.0}) is None
    assert guard.check({"area": 2.0000001}) is not None


def test_a_record_routed_to_the_fallback_itself_is_not_replaced(
    make_gateway: GatewayFactory,
    house_schema: FeatureSchema,
    house_v1: Predictor,
    bounds: InputBounds,
    house_rows: list[dict[str, Any]],
    ames: pd.DataFrame,
) -> None:
    rules = make_predictor(ConstantModel(RULE_PRICE), house_schema, "regression")
    model = ServedModel(
        HOUSE,
        "regression",
        house_schema,
        {"v1": house_v1, "rules": rules},
        Router(Routing({"v1": 0, "rules": 100})),
        fallback=FallbackGuard("rules", bounds),
    )
    with serve(make_gateway([model]).app) as client:
        body = client.post(PREDICT, json=_too_big(house_rows[0], ames)).json()
    assert body["version"] == "rules"
    assert "fallback" not in body


def test_a_fallback_that_is_not_a_version_is_refused(
    house_schema: FeatureSchema, house_v1: Predictor, bounds: InputBounds
) -> None:
    with pytest.raises(ValueError, match=r"fallback of 'house-price' must be one of its versions"):
        ServedModel(
            HOUSE,
            "regression",
            house_schema,
            {"v1": house_v1},
            Router(Routing({"v1": 100})),
            fallback=FallbackGuard("rules", bounds),
        )


def test_the_model_description_names_its_fallback(
    make_gateway: GatewayFactory, guarded: ServedModel
) -> None:
    with serve(make_gateway([guarded]).app) as client:
        described = client.get(f"/models/{HOUSE}").json()
    assert described["fallback"] == "rules"
    assert described["versions"]["rules"]["weight"] == 0.0


def test_swagger_documents_the_fallback_field(
    make_gateway: GatewayFactory, guarded: ServedModel
) -> None:
    schemas = make_gateway([guarded]).app.openapi()["components"]["schemas"]
    fallback = schemas["FallbackAnswer"]
    assert set(fallback["properties"]) == {"reason", "feature", "replaced"}
    assert fallback["properties"]["reason"]["enum"] == ["out_of_range", "unseen_category"]
    for answer in ("PredictAnswer", "RecordAnswer"):
        assert "fallback" in schemas[answer]["properties"]
