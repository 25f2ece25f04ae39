from __future__ import annotations

from typing import Any

import pytest
import yaml
from pydantic import ValidationError

from monitml.alerts import AlertsSettings

ISSUE_EXAMPLE = """
rules:
  - name: LowAveragePrediction
    model: house-price
    expr: prediction_mean < 100000
    for: 30s
    severity: warning
    annotations: {summary: "Average predicted price is below $100,000"}
channels:
  slack: {webhook_url_env: SLACK_WEBHOOK_URL}
  webhook: {url: "http://127.0.0.1:9000/hook"}
  email: {smtp_host: smtp.example.com, to: [oncall@example.com]}
"""


def _errors(data: dict[str, Any]) -> str:
    with pytest.raises(ValidationError) as caught:
        AlertsSettings.model_validate(data)
    return str(caught.value)


def test_the_issue_example_loads_with_alertmanager_defaults() -> None:
    settings = AlertsSettings.model_validate(yaml.safe_load(ISSUE_EXAMPLE))
    rule = settings.rules[0]
    assert (rule.for_, rule.version, rule.severity) == (30.0, None, "warning")
    assert settings.channels.configured() == ["slack", "webhook", "email"]
    assert settings.group_by == ["alertname", "model"]
    assert (settings.group_wait, settings.group_interval, settings.repeat_interval) == (
        10.0,
        300.0,
        10800.0,
    )
    email = settings.channels.email
    assert email is not None
    assert (email.smtp_port, email.starttls) == (587, True)


def test_an_empty_section_means_no_rules_and_no_channels() -> None:
    settings = AlertsSettings()
    assert settings.rules == []
    assert settings.channels.configured() == []


@pytest.mark.parametrize(
    ("channel", "body", "key"),
    [
        pytest.param(
            "slack", {"webhook_url": "https://hooks.slack.com/x"}, "webhook_url", id="slack"
        ),
        pytest.param("slack", {"api_url": "https://hooks.slack.com/x"}, "api_url", id="slack-api"),
        pytest.param(
            "webhook",
            {"url": "http://h/x", "headers": {"Authorization": "t"}},
            "headers",
            id="hook",
        ),
        pytest.param(
            "email", {"smtp_host": "h", "to": ["a@b"], "password": "hunter2"}, "password", id="mail"
        ),
    ],
)
def test_a_secret_written_in_the_yaml_is_an_error_naming_the_key(
    channel: str, body: dict[str, Any], key: str
) -> None:
    message = _errors({"channels": {channel: body}})
    assert f"'{key}' would put a secret in the config file" in message
    assert "hunter2" not in message.split("input_value")[0]


def test_slack_needs_exactly_one_source_for_its_url() -> None:
    assert "exactly one" in _errors({"channels": {"slack": {}}})
    both = {"webhook_url_env": "A", "webhook_url_file": "/run/secrets/slack"}
    assert "exactly one" in _errors({"channels": {"slack": both}})


def test_a_bad_expr_is_reported_under_its_rule() -> None:
    rule = {"name": "X", "model": "m", "expr": "prediction_avg < 1"}
    message = _errors({"rules": [rule]})
    assert "rules.0.expr" in message
    assert "unknown metric 'prediction_avg'" in message


@pytest.mark.parametrize(
    ("rule", "fragment"),
    [
        pytest.param({"name": "low price"}, "rule name must look like", id="name"),
        pytest.param({"for": "soon"}, "duration", id="for"),
        pytest.param({"labels": {"model": "x"}}, "set by the rule itself", id="reserved-label"),
        pytest.param({"labels": {"bad-name": "x"}}, "not a valid label name", id="label-name"),
        pytest.param({"threshold": 3}, "Extra inputs are not permitted", id="unknown-key"),
    ],
)
def test_bad_rules_are_rejected(rule: dict[str, Any], fragment: str) -> None:
    base = {"name": "X", "model": "m", "expr": "mae > 1"}
    assert fragment in _errors({"rules": [{**base, **rule}]})


def test_a_rule_defined_twice_for_one_model_version_is_rejected() -> None:
    rule = {"name": "X", "model": "m", "expr": "mae > 1"}
    assert "defined twice" in _errors({"rules": [rule, rule]})
    other_version = {**rule, "version": "v2"}
    assert len(AlertsSettings.model_validate({"rules": [rule, other_version]}).rules) == 2


def test_zero_intervals_are_rejected_as_alertmanager_does() -> None:
    assert "positive duration" in _errors({"group_interval": "0s"})
    assert AlertsSettings.model_validate({"group_wait": 0}).group_wait == 0


def test_default_annotations_template_model_version_and_value(make_rule: Any) -> None:
    annotations = make_rule().full_annotations()
    assert annotations["summary"] == "LowAveragePrediction: prediction_mean < 100000"
    assert "{{ $labels.version }}" in annotations["description"]
    assert "{{ $value }}" in annotations["description"]
    custom = make_rule(annotations={"summary": "Low"}).full_annotations()
    assert custom["summary"] == "Low"
