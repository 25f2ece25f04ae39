"""``monitml export grafana``, run as a user would."""

from __future__ import annotations

import json
from pathlib import Path

import yaml
from typer.testing import CliRunner

from monitml.cli.main import app

CONFIG = {
    "models": {
        "house-price": {
            "task": "regression",
            "features": {"numerical": ["gr_liv_area"]},
            "versions": {"v1": {"path": "v1.joblib"}, "v2": {"path": "v2.joblib"}},
            "routing": {"v1": 75, "v2": 25},
        }
    },
    "alerts": {
        "rules": [
            {"name": "LowAveragePrediction", "model": "house-price",
             "expr": "prediction_mean < 100000"}
        ]
    },
}  # fmt: skip


def test_export_grafana_writes_dashboards_with_the_rules_threshold(tmp_path: Path) -> None:
    config = tmp_path / "monitml.yaml"
    config.write_text(yaml.safe_dump(CONFIG))
    out = tmp_path / "grafana"
    result = CliRunner().invoke(app, ["export", "grafana", "-c", str(config), "--out", str(out)])
    assert result.exit_code == 0, result.output
    assert result.stdout == f"wrote 6 files to {out}\n"
    page = json.loads((out / "dashboards" / "monitml-model-house-price.json").read_text())
    steps = page["panels"][0]["fieldConfig"]["defaults"]["thresholds"]["steps"]
    assert {"color": "red", "value": 100000} in steps


def test_export_grafana_with_a_bad_config_prints_one_line_and_exits_2(tmp_path: Path) -> None:
    config = tmp_path / "monitml.yaml"
    config.write_text("models: [not, a, mapping]\n")
    result = CliRunner().invoke(
        app, ["export", "grafana", "-c", str(config), "--out", str(tmp_path / "out")]
    )
    assert result.exit_code == 2
    assert result.stderr.count("\n") == 1
    assert result.stderr.startswith("error: ")


def test_export_grafana_into_a_file_instead_of_a_folder_exits_2(tmp_path: Path) -> None:
    config = tmp_path / "monitml.yaml"
    config.write_text(yaml.safe_dump(CONFIG))
    blocker = tmp_path / "taken"
    blocker.write_text("a file, not a folder")
    result = CliRunner().invoke(
        app, ["export", "grafana", "-c", str(config), "--out", str(blocker)]
    )
    assert result.exit_code == 2
    assert result.stderr.startswith(f"error: cannot write to {blocker}")
    assert result.stderr.count("\n") == 1
