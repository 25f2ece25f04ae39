"""Registering in a real MLflow model registry (a local SQLite store), no mocks."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import joblib
import pytest

from monitml.app.models import build_served_model
from monitml.errors import ConfigError
from monitml.promotion.mlflow_registry import MlflowRegistry
from monitml.promotion.retrain import retrain
from monitml.promotion.settings import RegistryConfig
from monitml.store import PredictionStore

from .test_retrain import NOW, retrain_synthetic, synthetic_model

# MLflow's own SQL store calls an SQLAlchemy 2.1 deprecated loader; nothing of ours.
pytestmark = pytest.mark.filterwarnings(
    "ignore:The ``noload`` loader strategy is deprecated:DeprecationWarning"
)


@pytest.fixture(scope="module")
def tracking_uri(tmp_path_factory: pytest.TempPathFactory) -> str:
    return f"sqlite:///{tmp_path_factory.mktemp('mlflow') / 'mlflow.db'}"


@pytest.fixture
def store(tmp_path: Path) -> Iterator[PredictionStore]:
    opened = PredictionStore.from_url(f"sqlite:///{tmp_path / 'store.db'}")
    yield opened
    opened.dispose()


def test_a_file_registered_twice_gets_versions_1_and_2_with_its_metrics_and_artifact(
    tracking_uri: str, tmp_path: Path
) -> None:
    from mlflow import MlflowClient  # noqa: PLC0415

    file = tmp_path / "m.joblib"
    joblib.dump({"fitted": True}, file)
    registry = MlflowRegistry(tracking_uri, tmp_path / "artifacts")

    first = registry.register("price", "v3", file, {"mae": 1.5, "r2": None})
    second = registry.register("price", "v4", file, {"mae": 1.25})

    assert (first, second) == ("models:/price/1", "models:/price/2")
    client = MlflowClient(tracking_uri=tracking_uri, registry_uri=tracking_uri)
    version = client.get_model_version("price", "2")
    assert version.tags["monitml_version"] == "v4"
    run_id = version.run_id
    assert run_id is not None
    run = client.get_run(run_id)
    assert run.data.metrics == {"mae": 1.25}
    assert run.data.tags["monitml_model"] == "price"
    (artifact,) = client.list_artifacts(run_id, "model")
    assert artifact.path == "model/m.joblib"
    downloaded = client.download_artifacts(run_id, "model/m.joblib", str(tmp_path))
    assert joblib.load(downloaded) == {"fitted": True}


def test_a_retrain_with_mlflow_configured_records_both_sources(
    trainers: Path, store: PredictionStore, tmp_path: Path, tracking_uri: str
) -> None:
    config = synthetic_model(tmp_path)
    outcome = retrain_synthetic(store, tmp_path, config)  # the local registry only
    registry = RegistryConfig(path=tmp_path / "registry", mlflow={"tracking_uri": tracking_uri})
    served = build_served_model("m", config)
    again = retrain(store, served, config.training, registry, now=NOW)

    assert "mlflow" not in outcome.record["registered"]["source"]
    source = again.record["registered"]["source"]
    assert source["path"] == str(tmp_path / "registry" / "m" / "v3.joblib")
    assert source["mlflow"].startswith("models:/m/")
    assert store.list_versions("m")[-1]["source"] == source


def test_an_unusable_tracking_uri_is_a_config_error_naming_the_key(tmp_path: Path) -> None:
    file = tmp_path / "m.joblib"
    joblib.dump(1, file)
    (tmp_path / "a-file").write_text("a regular file, not a folder")
    registry = MlflowRegistry(f"sqlite:///{tmp_path / 'a-file' / 'mlflow.db'}", tmp_path)
    with pytest.raises(ConfigError, match=r"registry\.mlflow\.tracking_uri: cannot register"):
        registry.register("m", "v1", file, {})
