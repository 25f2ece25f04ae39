"""The composition root: a config becomes a running gateway, or a one-line ConfigError."""

from __future__ import annotations

import re
import shutil
from pathlib import Path
from typing import Any

import pandas as pd
import pytest
import yaml

from monitml.app.gateway import build_gateway_app, claim_spill_path
from monitml.config import load_settings
from monitml.errors import ConfigError

from .conftest import running


def _copy(demo_config: Path, tmp_path: Path, **model_changes: Any) -> Path:
    folder = tmp_path / "gateway"
    shutil.copytree(demo_config.parent, folder)
    config = yaml.safe_load((folder / "monitml.yaml").read_text())
    config["models"]["house-price"].update(model_changes)
    (folder / "monitml.yaml").write_text(yaml.safe_dump(config))
    return folder / "monitml.yaml"


def test_the_demo_config_builds_a_gateway(demo_config: Path, tmp_path: Path) -> None:
    with running(build_gateway_app(load_settings(_copy(demo_config, tmp_path)))) as app:
        assert "/models/house-price/predict" in app.openapi()["paths"]
        assert app.state.gateway.ready


def test_features_are_inferred_from_the_reference(demo_config: Path, tmp_path: Path) -> None:
    settings = load_settings(_copy(demo_config, tmp_path, features=None))
    with running(build_gateway_app(settings)) as app:
        model = app.state.gateway.models["house-price"]
    assert "sale_price" not in model.features.names
    assert {f.name: f.type for f in model.features}["neighborhood"] == "string"
    assert len(model.features) == 13


@pytest.mark.parametrize(
    ("change", "message"),
    [
        pytest.param(
            {
                "versions": {
                    "v1": {"path": "models/absent.joblib"},
                    "v2": {"path": "models/const.joblib"},
                }
            },
            "models.house-price.versions.v1.path: cannot read",
            id="missing-model-file",
        ),
        pytest.param(
            {
                "versions": {
                    "v1": {"path": "reference.parquet"},
                    "v2": {"path": "models/const.joblib"},
                }
            },
            "models.house-price.versions.v1.path: cannot load",
            id="unreadable-model-file",
        ),
        pytest.param(
            {"features": {"numerical": ["gr_liv_area", "pool_area"], "categorical": []}},
            "models.house-price.reference: the reference data has no column for the features "
            "['pool_area']",
            id="reference-missing-a-feature",
        ),
        pytest.param(
            {"reference": "absent.parquet"},
            "models.house-price.reference: file not found",
            id="missing-reference",
        ),
        pytest.param(
            {"sticky_key": "customer"},
            "models.house-price.sticky_key: must be 'id' or a feature",
            id="unknown-sticky-key",
        ),
    ],
)
def test_a_config_that_cannot_work_fails_at_start_naming_the_key(
    demo_config: Path, tmp_path: Path, change: dict[str, Any], message: str
) -> None:
    with pytest.raises(ConfigError, match=re.escape(message)):
        build_gateway_app(load_settings(_copy(demo_config, tmp_path, **change)))


def test_a_version_that_cannot_predict_a_reference_row_fails_at_start(
    demo_config: Path, tmp_path: Path
) -> None:
    path = _copy(demo_config, tmp_path)
    reference = pd.read_parquet(path.parent / "reference.parquet")
    reference["neighborhood"] = 1  # the model's encoder cannot take numbers for strings
    reference.to_parquet(path.parent / "reference.parquet")
    with pytest.raises(ConfigError, match=r"versions\.v1: cannot predict a reference row"):
        build_gateway_app(load_settings(path))


def test_each_process_claims_its_own_spill_file(tmp_path: Path) -> None:
    first, first_lock = claim_spill_path(tmp_path / "spill.jsonl")
    second, second_lock = claim_spill_path(tmp_path / "spill.jsonl")
    assert (first.name, second.name) == ("spill.jsonl", "spill.1.jsonl")
    first_lock.close()
    again, again_lock = claim_spill_path(tmp_path / "spill.jsonl")
    assert again.name == "spill.jsonl"
    second_lock.close()
    again_lock.close()
