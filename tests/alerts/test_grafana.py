"""The Grafana dashboards generated from the configured models and alert rules."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest
import yaml

from monitml.alerts import AlertRule
from monitml.alerts.grafana import build_dashboards, export_files, write_export
from monitml.alerts.grafana_json import DATASOURCE_UID, SCHEMA_VERSION, render_dashboard

MODELS = {"house-price": "regression", "central-air": "classification"}


def rule(expr: str, model: str = "house-price", name: str = "Rule") -> AlertRule:
    return AlertRule(name=name, model=model, expr=expr)


def dashboards(rules: list[AlertRule]) -> dict[str, dict[str, Any]]:
    return {d.uid: render_dashboard(d) for d in build_dashboards(MODELS, rules)}


def panel(dashboard: dict[str, Any], title: str) -> dict[str, Any]:
    (found,) = [p for p in dashboard["panels"] if p["title"] == title]
    return found


def red_lines(found: dict[str, Any]) -> list[float]:
    defaults = found["fieldConfig"]["defaults"]
    if defaults["custom"]["thresholdsStyle"]["mode"] != "line":
        return []
    return [s["value"] for s in defaults["thresholds"]["steps"] if s["color"] == "red"]


def test_the_rule_prediction_mean_below_100000_draws_a_red_line_at_100000() -> None:
    page = dashboards([rule("prediction_mean < 100000")])["monitml-model-house-price"]
    assert red_lines(panel(page, "Average prediction")) == [100000]
    assert red_lines(panel(page, "Prediction min / max")) == [100000]


def test_lines_come_only_from_the_models_own_prediction_rules() -> None:
    rules = [
        rule("prediction_min < 0", name="Negative"),
        rule("prediction_max > 2e6", name="Huge"),
        rule("mae > 5000", name="Inaccurate"),  # not on the prediction axis
        rule("prediction_mean < 5", model="other", name="Other"),
    ]
    page = dashboards(rules)["monitml-model-house-price"]
    assert red_lines(panel(page, "Average prediction")) == [0, 2000000]
    assert "thresholds 0, 2000000" in panel(page, "Prediction min / max")["description"]


def test_without_a_rule_no_threshold_line_is_drawn() -> None:
    page = dashboards([])["monitml-model-house-price"]
    assert red_lines(panel(page, "Average prediction")) == []


def test_a_classifier_gets_class_shares_and_a_regressor_gets_prediction_values() -> None:
    found = dashboards([])
    classifier = [p["title"] for p in found["monitml-model-central-air"]["panels"]]
    regressor = [p["title"] for p in found["monitml-model-house-price"]["panels"]]
    assert classifier == ["Predicted-class shares"]
    assert regressor == ["Average prediction", "Prediction min / max"]
    (target,) = panel(found["monitml-model-central-air"], "Predicted-class shares")["targets"]
    assert "monitml_predicted_class_total" in target["expr"]


def test_min_and_max_are_the_monitors_window_statistics() -> None:
    page = dashboards([])["monitml-model-house-price"]
    (target,) = panel(page, "Prediction min / max")["targets"]
    assert (
        'monitml_prediction_window_stat{model="$model",version=~"$version",stat=~"min|max"}'
        in (target["expr"])
    )


def test_latency_quantiles_come_from_the_duration_histogram() -> None:
    latency = panel(dashboards([])["monitml-operations"], "Latency p50–p99")
    quantiles = [t["expr"].split(",")[0] for t in latency["targets"]]
    assert quantiles == [f"histogram_quantile({q}" for q in ("0.5", "0.9", "0.95", "0.99")]
    assert all("monitml_request_duration_seconds_bucket" in t["expr"] for t in latency["targets"])


@pytest.mark.parametrize("uid", ["monitml-operations", "monitml-drift", "monitml-alerts"])
def test_every_dashboard_has_model_and_version_label_values_variables(uid: str) -> None:
    page = dashboards([])[uid]
    variables = {v["name"]: v for v in page["templating"]["list"]}
    assert variables["model"]["query"]["query"] == "label_values(monitml_model_info, model)"
    assert variables["version"]["query"]["query"] == (
        'label_values(monitml_model_info{model="$model"}, version)'
    )
    assert variables["version"]["multi"] is True
    assert page["schemaVersion"] == SCHEMA_VERSION


def test_a_model_page_lists_only_its_own_model() -> None:
    page = dashboards([])["monitml-model-house-price"]
    (model, _) = page["templating"]["list"]
    assert model["query"]["query"] == 'label_values(monitml_model_info{model="house-price"}, model)'


def test_every_target_filters_on_the_model_variable_and_names_the_data_source() -> None:
    for page in dashboards([]).values():
        for found in page["panels"]:
            for target in found["targets"]:
                assert '"$model"' in target["expr"] or "monitml_log" in target["expr"]
                assert target["datasource"]["uid"] == DATASOURCE_UID


def test_a_long_model_name_gets_a_uid_grafana_accepts() -> None:
    names = {"m" * 60 + "a": "regression", "m" * 60 + "b": "regression"}
    uids = [d.uid for d in build_dashboards(names, [])]
    assert len(set(uids)) == len(uids)
    assert max(len(uid) for uid in uids) <= 40


def test_the_export_writes_the_dashboards_and_the_provisioning_files(tmp_path: Path) -> None:
    written = write_export(tmp_path, MODELS, [])
    names = sorted(p.relative_to(tmp_path).as_posix() for p in written)
    assert names == [
        "dashboards/monitml-alerts.json",
        "dashboards/monitml-drift.json",
        "dashboards/monitml-model-central-air.json",
        "dashboards/monitml-model-house-price.json",
        "dashboards/monitml-operations.json",
        "provisioning/dashboards/monitml.yml",
        "provisioning/datasources/prometheus.yml",
    ]
    datasource = yaml.safe_load((tmp_path / "provisioning/datasources/prometheus.yml").read_text())
    assert datasource["datasources"][0]["uid"] == DATASOURCE_UID
    provider = yaml.safe_load((tmp_path / "provisioning/dashboards/monitml.yml").read_text())
    assert provider["providers"][0]["type"] == "file"
    page = json.loads((tmp_path / "dashboards/monitml-operations.json").read_text())
    assert page["uid"] == "monitml-operations"


def test_the_export_is_the_same_on_every_run() -> None:
    rules = [rule("prediction_mean < 100000")]
    assert export_files(MODELS, rules) == export_files(dict(reversed(MODELS.items())), rules)
