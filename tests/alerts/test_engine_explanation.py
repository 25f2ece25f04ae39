"""An alert carries the one-line explanation of the window that fired it (monitml.explain)."""

from __future__ import annotations

import shutil
import subprocess
from pathlib import Path

import pytest
import yaml

from monitml.alerts import AlertEngine, AlertRule, AlertsSettings, MetricSample, prometheus_rules
from monitml.alerts.export import EXPORTED_EXPLANATION
from monitml.alerts.payloads import slack_message

MODEL = "house-price"
WHY = "prediction mean fell 38% in neighborhood=Edwards; top drifted by impact: gr_liv_area"


def low(version: str = "v2") -> list[MetricSample]:
    return [MetricSample("prediction_mean", {"model": MODEL, "version": version}, 100.0)]


def rule(**extra: object) -> AlertRule:
    return AlertRule.model_validate(
        {"name": "LowAveragePrediction", "model": MODEL, "expr": "prediction_mean < 100000"} | extra
    )


def test_a_firing_alert_gets_the_explanation_of_its_version_as_an_annotation() -> None:
    engine = AlertEngine([rule()], group_wait=0)
    sent = engine.evaluate(low(), 0.0, explanations={(MODEL, "v2"): WHY, (MODEL, "v1"): "other"})
    (alert,) = sent[0].alerts
    assert alert.annotations["explanation"] == WHY


def test_the_explanation_expands_in_a_rule_template_and_reaches_the_slack_text() -> None:
    engine = AlertEngine(
        [rule(annotations={"summary": "{{ $labels.version }} low: {{ $explanation }}"})],
        group_wait=0,
    )
    (notification,) = engine.evaluate(low(), 0.0, explanations={(MODEL, "v2"): WHY})
    assert notification.alerts[0].annotations["summary"] == f"v2 low: {WHY}"
    body = slack_message(notification)["blocks"][1]["text"]["text"]
    assert f"why: {WHY}" in body


def test_the_explanation_is_the_one_of_the_window_that_fired_not_of_later_ones() -> None:
    engine = AlertEngine([rule(**{"for": "10s"})], group_wait=0, group_interval=1)
    assert engine.evaluate(low(), 0.0, explanations={(MODEL, "v2"): "pending"}) == []
    fired = engine.evaluate(low(), 10.0, explanations={(MODEL, "v2"): WHY})
    assert fired[0].alerts[0].annotations["explanation"] == WHY
    engine.evaluate(low(), 20.0, explanations={(MODEL, "v2"): "a later window"})
    (alert,) = engine.alerts()
    assert alert.annotations["explanation"] == WHY


def test_an_alert_without_an_explanation_has_no_explanation_annotation() -> None:
    engine = AlertEngine([rule()], group_wait=0)
    (notification,) = engine.evaluate(low(), 0.0)
    assert "explanation" not in notification.alerts[0].annotations


def test_the_explanation_survives_a_takeover_through_the_saved_state() -> None:
    first = AlertEngine([rule(**{"for": "10s"})], group_wait=0)
    first.evaluate(low(), 0.0, explanations={(MODEL, "v2"): WHY})
    second = AlertEngine([rule(**{"for": "10s"})], group_wait=0)
    second.restore_state(first.export_state())
    (notification,) = second.evaluate(low(), 10.0)
    assert notification.alerts[0].annotations["explanation"] == WHY


def test_an_exported_rule_replaces_the_explanation_variable_and_promtool_accepts_it(
    tmp_path: Path,
) -> None:
    settings = AlertsSettings.model_validate(
        {
            "rules": [
                {
                    "name": "LowAveragePrediction",
                    "model": MODEL,
                    "expr": "prediction_mean < 100000",
                    "annotations": {"description": "why: {{ $explanation }}"},
                }
            ]
        }
    )
    text = prometheus_rules(settings)
    exported = yaml.safe_load(text)["groups"][0]["rules"][0]["annotations"]["description"]
    assert exported == f"why: {EXPORTED_EXPLANATION}"
    promtool = shutil.which("promtool")
    if promtool is None:
        pytest.fail("promtool is missing: install Debian's prometheus")
    path = tmp_path / "rules.yml"
    path.write_text(text, encoding="utf-8")
    done = subprocess.run(
        [promtool, "check", "rules", str(path)], capture_output=True, text=True, check=False
    )
    assert done.returncode == 0, done.stdout + done.stderr
