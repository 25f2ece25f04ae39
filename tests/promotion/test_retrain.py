"""retrain: a challenger fitted on the labelled log, gated against the champion, registered."""

from __future__ import annotations

import importlib
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import joblib
import numpy as np
import pandas as pd
import pytest

from monitml.app.models import build_served_model
from monitml.config import ModelConfig, load_settings
from monitml.errors import ConfigError, ModelError
from monitml.promotion.retrain import FORMAT, champion_of, retrain
from monitml.promotion.settings import PromotionConfig, RegistryConfig, TrainingConfig
from monitml.serving.loaders import load_file
from monitml.store import PredictionStore

from .conftest import TRAINERS_MODULE, ames_config, log_ames_traffic, log_labelled

NOW = 1_800_000_000.0


@pytest.fixture
def store(tmp_path: Path) -> Iterator[PredictionStore]:
    opened = PredictionStore.from_url(f"sqlite:///{tmp_path / 'store.db'}")
    yield opened
    opened.dispose()


def synthetic(n: int, seed: int, slope: float) -> pd.DataFrame:
    """y = slope·x plus 5 when c is 'b', plus noise: the world the model has to learn."""
    rng = np.random.default_rng(seed)
    x = rng.uniform(0, 10, n)
    c = rng.choice(["a", "b"], n)
    y = slope * x + np.where(c == "b", 5.0, 0.0) + rng.normal(0, 0.5, n)
    return pd.DataFrame({"x": x, "c": c, "y": y})


def synthetic_model(tmp_path: Path, trainer: str = "linear", **gates: Any) -> ModelConfig:
    """v1 fitted on the old world (y = 2x + 5·[c = b]); the data logged now is y = 3x + …."""
    old = synthetic(400, seed=1, slope=2.0)
    linear = importlib.import_module(TRAINERS_MODULE).linear
    joblib.dump(linear(old), tmp_path / "v1.joblib")
    return ModelConfig(
        task="regression",
        target="y",
        features={"numerical": ["x"], "categorical": ["c"]},
        versions={"v1": {"path": tmp_path / "v1.joblib"}},
        training={"entrypoint": f"{TRAINERS_MODULE}:{trainer}", "gates": gates},
    )


def retrain_synthetic(
    store: PredictionStore, tmp_path: Path, config: ModelConfig, rows: int = 400, **options: Any
) -> Any:
    frame = synthetic(rows, seed=2, slope=3.0)
    times = [NOW - 86_400 + i for i in range(len(frame))]
    log_labelled(store, "m", frame, ["x", "c"], "y", times)
    served = build_served_model("m", config)
    registry = RegistryConfig(path=tmp_path / "registry")
    return retrain(store, served, config.training, registry, now=NOW, **options)


def test_a_challenger_fitted_on_the_new_world_passes_every_gate_and_is_registered(
    trainers: Path, store: PredictionStore, tmp_path: Path
) -> None:
    outcome = retrain_synthetic(store, tmp_path, synthetic_model(tmp_path))

    assert outcome.registered == "v2"
    record = outcome.record
    assert (record["format"], record["status"], record["champion"]) == (FORMAT, "registered", "v1")
    assert [g["name"] for g in record["gates"]][:3] == ["min_rows", "schema", "improvement"]
    assert all(g["passed"] for g in record["gates"])
    metrics = record["metrics"]
    assert metrics["metric"] == "mae"
    assert metrics["challenger"]["mae"] < 0.5 * metrics["champion"]["mae"]
    assert record["data"]["rows"] == 400
    assert (record["data"]["training_rows"], record["data"]["holdout_rows"]) == (300, 100)
    assert set(record["durations"]) >= {"data", "train", "evaluate"}

    (registered,) = store.list_versions("m")
    path = Path(registered["source"]["path"])
    assert path == tmp_path / "registry" / "m" / "v2.joblib"
    assert registered["payload"]["retrain_id"] == outcome.result_id
    assert registered["payload"]["trained_rows"] == 300
    assert sorted(registered["payload"]["features"]) == ["c", "x"]
    assert load_file(path).predict(pd.DataFrame({"x": [1.0], "c": ["b"]}))[0] == pytest.approx(
        8.0, abs=0.3
    )
    (saved,) = store.list_monitor_results("m", kind="retrain")
    assert saved["id"] == outcome.result_id
    assert saved["payload"]["registered"]["version"] == "v2"


def test_the_next_retrain_takes_the_next_free_name_and_a_given_name_is_used(
    trainers: Path, store: PredictionStore, tmp_path: Path
) -> None:
    config = synthetic_model(tmp_path)
    first = retrain_synthetic(store, tmp_path, config)
    served = build_served_model("m", config)
    registry = RegistryConfig(path=tmp_path / "registry")
    second = retrain(store, served, config.training, registry, now=NOW)
    named = retrain(store, served, config.training, registry, now=NOW, version="autumn")

    assert (first.registered, second.registered, named.registered) == ("v2", "v3", "autumn")
    assert [v["version"] for v in store.list_versions("m")] == ["v2", "v3", "autumn"]
    with pytest.raises(ConfigError, match="--version: 'v1' is a configured version"):
        retrain(store, served, config.training, registry, now=NOW, version="v1")


def test_too_few_labelled_rows_are_refused_before_any_training(
    trainers: Path, store: PredictionStore, tmp_path: Path
) -> None:
    # The training function raises: reaching it would be a ModelError, not a refusal.
    config = synthetic_model(tmp_path, trainer="raises", min_rows=500)
    outcome = retrain_synthetic(store, tmp_path, config, rows=120)

    assert outcome.registered is None
    (gate,) = outcome.gates
    assert (gate["name"], gate["value"], gate["threshold"], gate["passed"]) == (
        "min_rows",
        120.0,
        500.0,
        False,
    )
    assert store.list_versions() == []
    assert store.list_monitor_results("m", kind="retrain")[0]["payload"]["status"] == "refused"


def test_a_challenger_fitted_on_fewer_features_fails_the_schema_gate(
    trainers: Path, store: PredictionStore, tmp_path: Path
) -> None:
    outcome = retrain_synthetic(store, tmp_path, synthetic_model(tmp_path, trainer="only_x"))

    assert outcome.registered is None
    schema = outcome.gates[-1]
    assert (schema["name"], schema["value"], schema["passed"]) == ("schema", 1.0, False)
    assert "-c" in schema["detail"]
    assert not (tmp_path / "registry" / "m").exists()


def test_a_schema_change_passes_when_the_gates_allow_it(
    trainers: Path, store: PredictionStore, tmp_path: Path
) -> None:
    config = synthetic_model(tmp_path, trainer="only_x", allow_schema_change=True)
    outcome = retrain_synthetic(store, tmp_path, config)

    assert outcome.registered == "v2"
    assert store.list_versions("m")[0]["payload"]["features"] == ["x"]


def test_a_challenger_short_of_the_minimum_improvement_is_refused(
    trainers: Path, store: PredictionStore, tmp_path: Path
) -> None:
    # R² better by far, but not by the 1000% asked for.
    config = synthetic_model(tmp_path, metric="r2", min_improvement=10.0)
    outcome = retrain_synthetic(store, tmp_path, config)

    assert outcome.registered is None
    improvement = next(g for g in outcome.gates if g["name"] == "improvement")
    assert (improvement["threshold"], improvement["passed"]) == (10.0, False)
    assert 0 < improvement["value"] < 10.0
    assert outcome.record["metrics"]["metric"] == "r2"


def test_a_training_function_that_raises_is_a_model_error_and_is_recorded(
    trainers: Path, store: PredictionStore, tmp_path: Path
) -> None:
    with pytest.raises(ModelError, match=r"training.entrypoint: .*raises.* RuntimeError: no data"):
        retrain_synthetic(store, tmp_path, synthetic_model(tmp_path, trainer="raises"))

    (saved,) = store.list_monitor_results("m", kind="retrain")
    assert saved["payload"]["status"] == "failed"
    assert "no data for you" in saved["payload"]["error"]
    assert store.list_versions() == []


def test_a_training_function_returning_no_model_is_a_model_error(
    trainers: Path, store: PredictionStore, tmp_path: Path
) -> None:
    with pytest.raises(ModelError, match="cannot predict the held-out rows"):
        retrain_synthetic(store, tmp_path, synthetic_model(tmp_path, trainer="returns_none"))


@pytest.mark.parametrize(
    ("training", "message"),
    [
        pytest.param(None, "models.m.training: the model has no training section", id="none"),
        pytest.param(
            TrainingConfig(entrypoint="no_such_module:train"),
            "models.m.training.entrypoint: cannot import 'no_such_module:train'",
            id="not-importable",
        ),
        pytest.param(
            TrainingConfig(entrypoint=f"{TRAINERS_MODULE}:absent"),
            "cannot import",
            id="no-such-function",
        ),
        pytest.param(
            TrainingConfig(entrypoint=f"{TRAINERS_MODULE}:linear", gates={"metric": "f1"}),
            "models.m.training.gates.metric: 'f1' is not a regression metric",
            id="metric-of-another-task",
        ),
    ],
)
def test_a_training_section_that_cannot_work_is_a_config_error_naming_the_key(
    trainers: Path,
    store: PredictionStore,
    tmp_path: Path,
    training: TrainingConfig | None,
    message: str,
) -> None:
    served = build_served_model("m", synthetic_model(tmp_path))
    with pytest.raises(ConfigError, match=message):
        retrain(store, served, training, RegistryConfig(path=tmp_path / "r"), now=NOW)


def test_the_champion_is_the_version_with_the_highest_saved_routing_weight(
    demo_served: Any, store: PredictionStore
) -> None:
    assert champion_of(store, demo_served) == "v1"  # the config's 75/25
    store.save_routing("house-price", {"v1": 10, "v2": 90})
    assert champion_of(store, demo_served) == "v2"


@pytest.fixture
def demo_served(ames_folder: Path, tmp_path: Path) -> Any:
    return build_served_model(
        "house-price", load_settings(ames_config(ames_folder, tmp_path)).models["house-price"]
    )


def test_ames_a_challenger_retrained_on_the_sales_since_2008_improves_mae_and_is_registered(
    trainers: Path, ames_folder: Path, tmp_path: Path
) -> None:
    settings = load_settings(ames_config(ames_folder, tmp_path))
    config = settings.models["house-price"]
    store = PredictionStore.from_url(settings.store.url)
    try:
        log_ames_traffic(store, settings.base_dir)
        served = build_served_model("house-price", config)
        outcome = retrain(store, served, config.training, settings.registry)
    finally:
        store.dispose()

    metrics = outcome.record["metrics"]
    champion, challenger = metrics["champion"]["mae"], metrics["challenger"]["mae"]
    assert outcome.registered == "v3", outcome.gates
    assert challenger < champion
    assert outcome.record["data"]["holdout_rows"] == 403  # the newest quarter of 1,610 sales
    print(f"Ames held-out MAE: champion v1 {champion:.0f}, challenger {challenger:.0f}")


def test_ames_a_challenger_that_always_answers_100_is_refused(
    trainers: Path, ames_folder: Path, tmp_path: Path
) -> None:
    path = ames_config(ames_folder, tmp_path, entrypoint=f"{TRAINERS_MODULE}:always_100")
    settings = load_settings(path)
    config = settings.models["house-price"]
    store = PredictionStore.from_url(settings.store.url)
    try:
        log_ames_traffic(store, settings.base_dir)
        outcome = retrain(
            store, build_served_model("house-price", config), config.training, settings.registry
        )
        registered = store.list_versions()
    finally:
        store.dispose()

    assert outcome.registered is None
    gates = {g["name"]: g for g in outcome.gates}
    assert gates["improvement"]["passed"] is False
    assert gates["improvement"]["value"] < -5  # MAE over six times the champion's
    assert registered == []


def test_a_registered_challenger_starts_the_models_promotion(
    trainers: Path, store: PredictionStore, tmp_path: Path
) -> None:
    plan = PromotionConfig(steps=[10, 50, 100])
    outcome = retrain_synthetic(store, tmp_path, synthetic_model(tmp_path), promotion=plan)

    assert outcome.record["promotion"]["started"] is True
    saved = store.load_promotion("m")
    assert saved is not None
    assert (saved["champion"], saved["challenger"]) == ("v1", "v2")
    assert store.load_routing()["m"].weights == {"v1": 90.0, "v2": 10.0}


def test_a_registered_champion_is_loaded_from_its_registry_file(
    trainers: Path, store: PredictionStore, tmp_path: Path
) -> None:
    config = synthetic_model(tmp_path)
    first = retrain_synthetic(store, tmp_path, config)
    store.save_routing("m", {"v1": 0, "v2": 100})  # v2 promoted to all traffic
    served = build_served_model("m", config)
    again = retrain(store, served, config.training, RegistryConfig(path=tmp_path / "registry"))

    assert (first.registered, again.record["champion"]) == ("v2", "v2")
    metrics = again.record["metrics"]
    # The same recipe on the same rows: a tie, which the default gates let pass.
    assert metrics["challenger"]["mae"] == pytest.approx(metrics["champion"]["mae"])
    assert again.registered == "v3"


@pytest.mark.parametrize(
    ("max_degradation", "registered"),
    [pytest.param(0.05, None, id="default-bound"), pytest.param(0.10, "v2", id="looser-bound")],
)
def test_a_classifier_better_on_f1_is_refused_while_its_recall_falls_past_the_bound(
    trainers: Path,
    store: PredictionStore,
    tmp_path: Path,
    max_degradation: float,
    registered: str | None,
) -> None:
    # The champion says "yes" above x = 2 (recall 1, poor precision); the world's boundary is
    # near 6: the challenger's F1 is far better, its recall about 9% lower.
    rng = np.random.default_rng(5)
    x = rng.uniform(0, 10, 600)
    frame = pd.DataFrame({"x": x, "y": np.where(x + rng.normal(0, 1, 600) > 6, "yes", "no")})
    old = frame.assign(y=np.where(frame["x"] > 2, "yes", "no"))
    logistic = importlib.import_module(TRAINERS_MODULE).logistic
    joblib.dump(logistic(old), tmp_path / "v1.joblib")
    config = ModelConfig(
        task="classification",
        target="y",
        features={"numerical": ["x"]},
        versions={"v1": {"path": tmp_path / "v1.joblib"}},
        training={
            "entrypoint": f"{TRAINERS_MODULE}:logistic",
            "gates": {"max_degradation": max_degradation},
        },
    )
    log_labelled(store, "m", frame, ["x"], "y", [NOW - 1_000 + i for i in range(600)])
    served = build_served_model("m", config)
    outcome = retrain(store, served, config.training, RegistryConfig(path=tmp_path / "r"), now=NOW)

    metrics = outcome.record["metrics"]
    assert (metrics["metric"], metrics["challenger"]["positive_label"]) == ("f1", "yes")
    assert metrics["challenger"]["f1"] > 1.3 * metrics["champion"]["f1"]
    assert metrics["challenger"]["log_loss"] < metrics["champion"]["log_loss"]
    assert metrics["challenger"]["roc_auc"] is not None
    gates = {g["name"]: g for g in outcome.gates}
    assert 0.05 < gates["degradation.recall"]["value"] < 0.10
    assert outcome.registered == registered
