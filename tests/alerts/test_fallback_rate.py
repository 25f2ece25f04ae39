"""``fallback_rate``: its PromQL, evaluated by the real promtool over the gateway's counters."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import yaml

from monitml.alerts import METRICS, AlertRule, AlertsSettings, prometheus_rules
from monitml.alerts.export import prometheus_expr
from monitml.alerts.metrics import Matcher
from monitml.alerts.notification import expand_template

from .test_export import check, tool

# Counter increments per 15 s scrape: the house-price regressor's v1 answers 18 records and has
# 2 replaced by the fallback (rate 0.1), v2 answers 10 and loses none (0), v3 loses all 3 (1);
# "rules" is the fallback, which replaces nothing and has no fallback series of its own.
SERIES = {
    'monitml_fallback_total{model="house-price",version="v1",reason="out_of_range"}': 1,
    'monitml_fallback_total{model="house-price",version="v1",reason="unseen_category"}': 1,
    'monitml_fallback_total{model="house-price",version="v2",reason="out_of_range"}': 0,
    'monitml_fallback_total{model="house-price",version="v3",reason="out_of_range"}': 3,
    'monitml_prediction_value_count{model="house-price",version="v1"}': 18,
    'monitml_prediction_value_count{model="house-price",version="v2"}': 10,
    'monitml_prediction_value_count{model="house-price",version="rules"}': 5,
    # A classifier, whose records are counted by class: 1 replaced of 8 routed (0.125).
    'monitml_fallback_total{model="air",version="v1",reason="unseen_category"}': 1,
    'monitml_predicted_class_total{model="air",version="v1",class="Y"}': 4,
    'monitml_predicted_class_total{model="air",version="v1",class="N"}': 3,
}


def _input_series() -> list[dict[str, str]]:
    return [
        {"series": name.replace("}", ',job="monitml"}'), "values": f"0+{step}x40"}
        for name, step in SERIES.items()
    ]


def test_the_rate_is_replaced_records_over_the_records_routed_to_the_version(
    tmp_path: Path,
) -> None:
    house = METRICS["fallback_rate"].promql([Matcher("model", "=", "house-price")], "1m")
    air = METRICS["fallback_rate"].promql([Matcher("model", "=", "air")], "1m")
    (tmp_path / "empty.yml").write_text("groups: []\n")
    unit: dict[str, Any] = {
        "rule_files": ["empty.yml"],
        "evaluation_interval": "15s",
        "tests": [
            {
                "interval": "15s",
                "input_series": _input_series(),
                "promql_expr_test": [
                    {
                        "expr": house,
                        "eval_time": "5m",
                        "exp_samples": [
                            {"labels": '{model="house-price", version="v1"}', "value": 0.1},
                            {"labels": '{model="house-price", version="v2"}', "value": 0},
                            {"labels": '{model="house-price", version="v3"}', "value": 1},
                        ],
                    },
                    {
                        "expr": air,
                        "eval_time": "5m",
                        "exp_samples": [{"labels": '{model="air", version="v1"}', "value": 0.125}],
                    },
                ],
            }
        ],
    }
    (tmp_path / "test.yml").write_text(yaml.safe_dump(unit))
    check(tool("promtool"), "test", "rules", str(tmp_path / "test.yml"))


def test_an_exported_fallback_rule_fires_for_the_version_losing_a_tenth_of_its_records(
    tmp_path: Path,
) -> None:
    settings = AlertsSettings.model_validate(
        {
            "rate_window": "1m",
            "rules": [
                {
                    "name": "FallingBack",
                    "model": "house-price",
                    "expr": "fallback_rate > 0.05",
                    "for": "1m",
                    "annotations": {"summary": "{{ $labels.version }} falls back"},
                }
            ],
        }
    )
    (tmp_path / "rules.yml").write_text(prometheus_rules(settings))
    rule, fired = settings.rules[0], []
    for version, value in (("v1", 0.1), ("v3", 1.0)):
        labels = {"model": "house-price", "version": version}
        annotations = {
            key: expand_template(text, labels, value)
            for key, text in rule.full_annotations().items()
        }
        fired.append(
            {"exp_labels": {**labels, "severity": "warning"}, "exp_annotations": annotations}
        )
    unit: dict[str, Any] = {
        "rule_files": ["rules.yml"],
        "evaluation_interval": "15s",
        "tests": [
            {
                "interval": "15s",
                "input_series": _input_series(),
                "alert_rule_test": [
                    {"eval_time": "5m", "alertname": "FallingBack", "exp_alerts": fired}
                ],
            }
        ],
    }
    (tmp_path / "test.yml").write_text(yaml.safe_dump(unit))
    check(tool("promtool"), "test", "rules", str(tmp_path / "test.yml"))


def test_a_version_pinned_rule_reads_that_versions_series_only() -> None:
    rule = AlertRule(name="F", model="m", version="v2", expr="fallback_rate > 0.05")
    promql = prometheus_expr(rule, 60)
    assert 'monitml_fallback_total{model="m",version="v2"}[1m]' in promql
    assert 'monitml_prediction_value_count{model="m",version="v2"}[1m]' in promql
    assert promql.endswith(" > 0.05")
