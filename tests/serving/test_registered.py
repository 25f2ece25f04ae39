"""RegisteredVersions: new registrations loaded into the served models, bad ones skipped."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import joblib
import pytest

from monitml.demo.models import ConstantModel
from monitml.serving import FeatureSchema, Router, Routing, ServedModel
from monitml.serving.loaders import Predictor
from monitml.serving.registered import RegisteredVersions
from monitml.store import PredictionStore

from .conftest import HOUSE


@pytest.fixture
def store(tmp_path: Path) -> Iterator[PredictionStore]:
    opened = PredictionStore.from_url(f"sqlite:///{tmp_path / 'store.db'}")
    yield opened
    opened.dispose()


@pytest.fixture
def model(house_schema: FeatureSchema, house_v1: Predictor) -> ServedModel:
    return ServedModel(
        HOUSE, "regression", house_schema, {"v1": house_v1}, Router(Routing({"v1": 100}))
    )


def _file(tmp_path: Path, name: str, value: float) -> str:
    path = tmp_path / f"{name}.joblib"
    joblib.dump(ConstantModel(value), path)
    return str(path)


def test_a_new_registration_is_loaded_once_and_reloaded_when_registered_again(
    store: PredictionStore, model: ServedModel, tmp_path: Path, house_rows: list[dict[str, object]]
) -> None:
    registered = RegisteredVersions(store, {HOUSE: model})
    assert registered.changed()
    assert registered.load_into({HOUSE: model}) == []
    assert not registered.changed()

    store.register_version(HOUSE, "v3", {"path": _file(tmp_path, "a", 1.0)}, {})
    store.register_version("other-model", "v9", {"path": _file(tmp_path, "b", 2.0)}, {})
    assert registered.changed()
    assert registered.load_into({HOUSE: model}) == [model]
    assert sorted(model.versions) == ["v1", "v3"]
    assert model.versions["v3"].predict(house_rows[:2]).values == [1.0, 1.0]
    assert registered.load_into({HOUSE: model}) == []  # nothing new

    store.register_version(HOUSE, "v3", {"path": _file(tmp_path, "c", 3.0)}, {})
    assert registered.load_into({HOUSE: model}) == [model]
    assert model.versions["v3"].predict(house_rows[:1]).values == [3.0]


def test_a_version_that_cannot_load_or_shadows_a_configured_one_is_skipped(
    store: PredictionStore,
    model: ServedModel,
    tmp_path: Path,
    caplog: pytest.LogCaptureFixture,
) -> None:
    registered = RegisteredVersions(store, {HOUSE: model})
    configured = model.versions["v1"]
    store.register_version(HOUSE, "v1", {"path": _file(tmp_path, "a", 1.0)}, {})
    store.register_version(HOUSE, "v4", {"path": str(tmp_path / "absent.joblib")}, {})
    store.register_version(HOUSE, "v5", {"mlflow": "models:/house-price/1"}, {})

    assert registered.load_into({HOUSE: model}) == []
    assert model.versions == {"v1": configured}
    messages = " ".join(record.getMessage() for record in caplog.records)
    assert "Ignoring registered house-price v1: a configured version" in messages
    assert "Cannot serve registered house-price v4: cannot read" in messages
    assert "Cannot serve registered house-price v5: its source has no 'path'" in messages
