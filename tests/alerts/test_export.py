"""Exported rules and Alertmanager config, checked by the real promtool and amtool."""

from __future__ import annotations

import shutil
import subprocess
from pathlib import Path
from typing import Any

import pytest
import yaml

from monitml.alerts import METRICS, AlertRule, AlertsSettings, alertmanager_config, prometheus_rules
from monitml.alerts.export import prometheus_expr
from monitml.alerts.notification import expand_template
from monitml.errors import ConfigError


def tool(name: str) -> str:
    path = shutil.which(name)
    if path is None:
        pytest.fail(f"{name} is missing: install Debian's prometheus / prometheus-alertmanager")
    return path


def check(*command: str) -> str:
    done = subprocess.run(command, capture_output=True, text=True, timeout=60, check=False)
    assert done.returncode == 0, done.stdout + done.stderr
    return done.stdout + done.stderr


def example_expr(name: str) -> str:
    labels = METRICS[name].labels
    selector = f'{{{labels[0]}="gr_liv_area"}}' if labels else ""
    return f"{name}{selector} > 0.5"


def test_the_prediction_mean_translation_is_rate_of_sum_over_rate_of_count() -> None:
    rule = AlertRule(name="Low", model="house-price", expr="prediction_mean < 100000")
    assert prometheus_expr(rule, 30) == (
        '(sum by (model, version) (rate(monitml_prediction_value_sum{model="house-price"}[30s]))'
        ' / sum by (model, version) (rate(monitml_prediction_value_count{model="house-price"}'
        "[30s]))) < 100000"
    )


@pytest.mark.parametrize(
    ("expr", "promql"),
    [
        pytest.param(
            "error_rate > 0.05",
            'rate(monitml_requests_total{model="m",version="v2",status="error"}[5m])',
            id="error-rate",
        ),
        pytest.param(
            "latency_p95 > 0.5",
            "histogram_quantile(0.95, sum by (model, version, le) "
            '(rate(monitml_request_duration_seconds_bucket{model="m",version="v2"}[5m])))',
            id="latency",
        ),
        pytest.param(
            "prediction_p95 > 1",
            'monitml_prediction_window_stat{model="m",version="v2",stat="p95"}',
            id="window-stat",
        ),
        pytest.param(
            "mae > 1", 'monitml_model_performance{model="m",version="v2",metric="mae"}', id="mae"
        ),
        pytest.param(
            'feature_drift_score{feature="a"} > 0.2',
            'monitml_feature_drift_score{model="m",version="v2",feature="a"}',
            id="feature",
        ),
    ],
)
def test_each_metric_translates_to_its_prometheus_series(expr: str, promql: str) -> None:
    rule = AlertRule(name="X", model="m", version="v2", expr=expr)
    assert promql in prometheus_expr(rule, 300)


def test_rules_for_every_metric_pass_promtool_check_rules(tmp_path: Path) -> None:
    rules: list[dict[str, Any]] = [
        {"name": f"Rule_{name}", "model": "house-price", "expr": example_expr(name), "for": "1m"}
        for name in METRICS
    ]
    rules.append(
        {
            "name": "Versioned",
            "model": "house-price",
            "version": "v2",
            "expr": "prediction_mean < 100000",
            "labels": {"team": "pricing"},
            "annotations": {"summary": "{{ $labels.model }} {{ $labels.version }}: {{ $value }}"},
        }
    )
    path = tmp_path / "rules.yml"
    path.write_text(prometheus_rules(AlertsSettings.model_validate({"rules": rules})))
    output = check(tool("promtool"), "check", "rules", str(path))
    assert f"SUCCESS: {len(rules)} rules found" in output


def test_the_rule_fires_for_the_bad_version_in_promtool_unit_tests(tmp_path: Path) -> None:
    """Prometheus itself evaluates the exported rule and expands its annotations."""
    settings = AlertsSettings.model_validate(
        {
            "rate_window": "1m",
            "rules": [
                {
                    "name": "LowAveragePrediction",
                    "model": "house-price",
                    "expr": "prediction_mean < 100000",
                    "for": "30s",
                    "severity": "warning",
                }
            ],
        }
    )
    (tmp_path / "rules.yml").write_text(prometheus_rules(settings))
    series = {
        ("v1", "sum"): "0+180000x40",
        ("v1", "count"): "0+1x40",
        ("v2", "sum"): "0+100x40",
        ("v2", "count"): "0+1x40",
    }
    rule = settings.rules[0]
    labels = {"model": "house-price", "version": "v2"}
    expected_annotations = {
        key: expand_template(text, labels, 100.0) for key, text in rule.full_annotations().items()
    }
    unit: dict[str, Any] = {
        "rule_files": ["rules.yml"],
        "evaluation_interval": "15s",
        "tests": [
            {
                "interval": "15s",
                "input_series": [
                    {
                        "series": f'monitml_prediction_value_{part}{{model="house-price",'
                        f'version="{version}",instance="gw:8000",job="monitml"}}',
                        "values": values,
                    }
                    for (version, part), values in series.items()
                ],
                "alert_rule_test": [
                    {"eval_time": "30s", "alertname": "LowAveragePrediction", "exp_alerts": []},
                    {
                        "eval_time": "5m",
                        "alertname": "LowAveragePrediction",
                        "exp_alerts": [
                            {
                                "exp_labels": {**labels, "severity": "warning"},
                                "exp_annotations": expected_annotations,
                            }
                        ],
                    },
                ],
            }
        ],
    }
    (tmp_path / "test.yml").write_text(yaml.safe_dump(unit))
    check(tool("promtool"), "test", "rules", str(tmp_path / "test.yml"))


def full_settings(tmp_path: Path) -> AlertsSettings:
    return AlertsSettings.model_validate(
        {
            "group_by": ["alertname", "model", "version"],
            "group_wait": "5s",
            "group_interval": "1m",
            "repeat_interval": "4h",
            "channels": {
                "slack": {"webhook_url_env": "SLACK_WEBHOOK_URL", "channel": "#monitor"},
                "webhook": {"url": "http://127.0.0.1:9000/hook"},
                "email": {
                    "smtp_host": "smtp.example.com",
                    "to": ["oncall@example.com"],
                    "username_env": "SMTP_USER",
                    "password_env": "SMTP_PASSWORD",
                },
            },
        }
    )


SECRET_ENV = {
    "SLACK_WEBHOOK_URL": "https://hooks.slack.com/services/T0/B0/SECRET",
    "SMTP_USER": "monitml",
    "SMTP_PASSWORD": "hunter2",
}


def test_the_alertmanager_config_passes_amtool_and_holds_no_secret(tmp_path: Path) -> None:
    text = alertmanager_config(
        full_settings(tmp_path), secrets_dir=tmp_path / "secrets", environ=SECRET_ENV
    )
    assert "SECRET" not in text
    assert "hunter2" not in text
    path = tmp_path / "alertmanager.yml"
    path.write_text(text)
    check(tool("amtool"), "check-config", str(path))
    config = yaml.safe_load(text)
    route = config["route"]
    assert route == {
        "receiver": "monitml",
        "group_by": ["alertname", "model", "version"],
        "group_wait": "5s",
        "group_interval": "1m",
        "repeat_interval": "4h",
    }
    (receiver,) = config["receivers"]
    slack = receiver["slack_configs"][0]
    assert slack["api_url_file"] == str(tmp_path / "secrets" / "slack_webhook_url")
    assert slack["send_resolved"] is True
    assert receiver["webhook_configs"] == [
        {"url": "http://127.0.0.1:9000/hook", "send_resolved": True}
    ]
    email = receiver["email_configs"][0]
    assert email["auth_password_file"] == str(tmp_path / "secrets" / "smtp_password")
    assert email["auth_username"] == "monitml"
    assert email["smarthost"] == "smtp.example.com:587"
    assert "slack_webhook_url: the Slack webhook URL" in text  # the header says what to create


def test_a_slack_url_file_is_used_as_is_without_a_secrets_dir(tmp_path: Path) -> None:
    secret = tmp_path / "slack_url"
    settings = AlertsSettings.model_validate(
        {"channels": {"slack": {"webhook_url_file": str(secret)}}}
    )
    text = alertmanager_config(settings, environ={})
    assert yaml.safe_load(text)["receivers"][0]["slack_configs"][0]["api_url_file"] == str(secret)
    path = tmp_path / "am.yml"
    path.write_text(text)
    check(tool("amtool"), "check-config", str(path))


def test_with_no_channels_the_config_still_checks(tmp_path: Path) -> None:
    path = tmp_path / "am.yml"
    path.write_text(alertmanager_config(AlertsSettings(), environ={}))
    check(tool("amtool"), "check-config", str(path))


def test_an_unset_smtp_user_name_is_a_config_error(tmp_path: Path) -> None:
    with pytest.raises(ConfigError, match="SMTP_USER is not set"):
        alertmanager_config(full_settings(tmp_path), environ={})


def test_webhook_headers_are_noted_as_not_exported() -> None:
    settings = AlertsSettings.model_validate(
        {"channels": {"webhook": {"url": "http://h/x", "headers_env": {"Authorization": "T"}}}}
    )
    assert "headers_env (Authorization) is not exported" in alertmanager_config(settings)
