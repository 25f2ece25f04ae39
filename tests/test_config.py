"""Settings from YAML and the environment; every bad config names its key."""

from __future__ import annotations

import re
from pathlib import Path
from typing import Any

import pytest
import yaml

from monitml.config import load_settings
from monitml.errors import ConfigError

MODEL: dict[str, Any] = {
    "task": "regression",
    "target": "sale_price",
    "reference": "data/reference.parquet",
    "versions": {"v1": {"path": "models/gbm.joblib"}, "v2": {"path": "models/const.joblib"}},
    "routing": {"v1": 75, "v2": 25},
}


def write(folder: Path, config: dict[str, Any]) -> Path:
    path = folder / "monitml.yaml"
    path.write_text(yaml.safe_dump(config), encoding="utf-8")
    return path


def test_a_config_loads_with_paths_resolved_against_its_folder(tmp_path: Path) -> None:
    settings = load_settings(write(tmp_path, {"models": {"house-price": MODEL}}))
    model = settings.models["house-price"]
    assert model.reference == tmp_path / "data/reference.parquet"
    assert model.versions["v1"].path == tmp_path / "models/gbm.joblib"
    assert settings.store.url == f"sqlite:///{tmp_path}/monitml.db"
    assert settings.server.spill_path == tmp_path / "monitml-spill.jsonl"
    assert settings.auth.admin_token_env == "MONITML_ADMIN_TOKEN"


def test_the_environment_overrides_the_file(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("MONITML_SERVER__MAX_BATCH", "7")
    monkeypatch.setenv("MONITML_STORE__URL", "postgresql+psycopg://db/monitml")
    monkeypatch.setenv("MONITML_MODELS__HOUSE-PRICE__ROUTING__V2", "40")
    monkeypatch.setenv("MONITML_MODELS__HOUSE-PRICE__ROUTING__V1", "60")
    settings = load_settings(write(tmp_path, {"models": {"house-price": MODEL}}))
    assert settings.server.max_batch == 7
    assert settings.store.url == "postgresql+psycopg://db/monitml"
    assert settings.models["house-price"].routing == {"v1": 60.0, "v2": 40.0}


def test_one_version_takes_all_traffic_without_routing(tmp_path: Path) -> None:
    single = {**MODEL, "versions": {"v1": {"path": "m.joblib"}}, "routing": {}}
    settings = load_settings(write(tmp_path, {"models": {"m": single}}))
    assert settings.models["m"].routing == {"v1": 100.0}


def _with(**changes: Any) -> dict[str, Any]:
    return {"models": {"house-price": {**MODEL, **changes}}}


@pytest.mark.parametrize(
    ("config", "message"),
    [
        pytest.param(
            _with(routing={"v1": 75, "v3": 25}),
            "models.house-price.routing: unknown version 'v3'",
            id="unknown-version-in-routing",
        ),
        pytest.param(
            _with(routing={"v1": 70, "v2": 20}),
            "models.house-price.routing: weights must sum to 100. Got 90 instead.",
            id="weights-not-100",
        ),
        pytest.param(
            _with(shadow=["v9"]),
            "models.house-price.shadow: unknown version 'v9'",
            id="unknown-shadow",
        ),
        pytest.param(
            _with(routing={}), "models.house-price.routing: required", id="routing-missing"
        ),
        pytest.param(
            _with(task="ranking"), "models.house-price.task: Input should be", id="bad-task"
        ),
        pytest.param(
            _with(versions={"v1": {"path": "a", "entrypoint": "b:c"}}, routing={"v1": 100}),
            "models.house-price.versions.v1: give exactly one of 'path' or 'entrypoint'",
            id="path-and-entrypoint",
        ),
        pytest.param(
            _with(versions={"v1": {"entrypoint": "nocolon"}}, routing={"v1": 100}),
            "models.house-price.versions.v1.entrypoint: must look like",
            id="bad-entrypoint",
        ),
        pytest.param(
            _with(reference=None),
            "models.house-price.features: give the features, or a 'reference'",
            id="no-features-no-reference",
        ),
        pytest.param(
            {"server": {"max_bodybytes": 5}}, "server.max_bodybytes: unknown key", id="typo-in-key"
        ),
        pytest.param(
            {"server": {"max_batch": 0}},
            "server.max_batch: Input should be greater",
            id="zero-batch",
        ),
    ],
)
def test_a_bad_config_names_the_key_and_the_problem(
    tmp_path: Path, config: dict[str, Any], message: str
) -> None:
    with pytest.raises(ConfigError, match=re.escape(message)):
        load_settings(write(tmp_path, config))


def test_an_unreadable_or_malformed_file_says_so(tmp_path: Path) -> None:
    with pytest.raises(ConfigError, match="Cannot read the config file"):
        load_settings(tmp_path / "absent.yaml")
    broken = tmp_path / "broken.yaml"
    broken.write_text("models: [unclosed", encoding="utf-8")
    with pytest.raises(ConfigError, match="not valid YAML"):
        load_settings(broken)


def test_the_removed_routing_state_key_is_refused_naming_where_routing_lives_now(
    tmp_path: Path,
) -> None:
    path = write(tmp_path, {"server": {"routing_state": "monitml-routing.json"}})

    with pytest.raises(ConfigError, match=r"server\.routing_state: no longer used: .* store"):
        load_settings(path)
