"""``monitml alerts test`` and ``monitml export``, run as a user would."""

from __future__ import annotations

import shutil
import subprocess
from pathlib import Path
from typing import Any

import pytest
import yaml
from typer.testing import CliRunner

from monitml.cli.main import app


def write_config(folder: Path, alerts: dict[str, Any]) -> Path:
    path = folder / "monitml.yaml"
    path.write_text(yaml.safe_dump({"alerts": alerts}))
    return path


RULES = [
    {
        "name": "LowAveragePrediction",
        "model": "house-price",
        "expr": "prediction_mean < 100000",
        "for": "30s",
    }
]


@pytest.fixture
def runner() -> CliRunner:
    return CliRunner()


def test_alerts_test_delivers_to_the_webhook_and_says_so(
    runner: CliRunner, receiver: Any, tmp_path: Path
) -> None:
    config = write_config(tmp_path, {"channels": {"webhook": {"url": receiver.url}}})
    result = runner.invoke(app, ["alerts", "test", "webhook", "--config", str(config)])
    assert result.exit_code == 0, result.output
    assert result.stdout == "ok: test notification delivered through webhook\n"
    (request,) = receiver.wait_for(1)
    assert request.body["alerts"][0]["labels"]["alertname"] == "MonitmlTestNotification"


def test_alerts_test_exits_1_with_one_line_when_delivery_fails(
    runner: CliRunner, receiver: Any, tmp_path: Path
) -> None:
    receiver.statuses.append(500)
    config = write_config(tmp_path, {"channels": {"webhook": {"url": receiver.url}}})
    result = runner.invoke(app, ["alerts", "test", "webhook", "--config", str(config)])
    assert result.exit_code == 1
    assert result.stderr == "failed: webhook: HTTP 500 from the receiver\n"


def test_alerts_test_of_an_unconfigured_channel_is_a_usage_error(
    runner: CliRunner, tmp_path: Path
) -> None:
    config = write_config(tmp_path, {"channels": {}})
    result = runner.invoke(app, ["alerts", "test", "slack", "-c", str(config)])
    assert result.exit_code == 2
    assert result.stderr.count("\n") == 1
    assert "channel 'slack' is not configured" in result.stderr


def test_export_prometheus_rules_writes_a_file_promtool_accepts(
    runner: CliRunner, tmp_path: Path
) -> None:
    config = write_config(tmp_path, {"rules": RULES})
    out = tmp_path / "rules.yml"
    result = runner.invoke(app, ["export", "prometheus-rules", "-c", str(config), "-o", str(out)])
    assert result.exit_code == 0, result.output
    promtool = shutil.which("promtool")
    assert promtool is not None
    subprocess.run([promtool, "check", "rules", str(out)], check=True, capture_output=True)


def test_export_prometheus_rules_prints_to_stdout_without_o(
    runner: CliRunner, tmp_path: Path
) -> None:
    config = write_config(tmp_path, {"rules": RULES})
    result = runner.invoke(app, ["export", "prometheus-rules", "-c", str(config)])
    assert result.exit_code == 0
    assert yaml.safe_load(result.stdout)["groups"][0]["rules"][0]["for"] == "30s"


def test_export_alertmanager_uses_the_secrets_dir(runner: CliRunner, tmp_path: Path) -> None:
    channels = {"slack": {"webhook_url_env": "SLACK_WEBHOOK_URL"}}
    config = write_config(tmp_path, {"channels": channels, "group_wait": "3s"})
    out = tmp_path / "am.yml"
    args = ["export", "alertmanager", "-c", str(config), "-o", str(out)]
    result = runner.invoke(app, [*args, "--secrets-dir", "/run/secrets"])
    assert result.exit_code == 0, result.output
    document = yaml.safe_load(out.read_text())
    assert document["route"]["group_wait"] == "3s"
    slack = document["receivers"][0]["slack_configs"][0]
    assert slack["api_url_file"] == "/run/secrets/slack_webhook_url"


@pytest.mark.parametrize(
    ("alerts", "fragment"),
    [
        pytest.param(
            {"rules": [{"name": "X", "model": "m", "expr": "foo > 1"}]},
            "alerts.rules.0.expr: unknown metric 'foo'",
            id="unknown-metric",
        ),
        pytest.param(
            {"channels": {"slack": {"webhook_url": "https://hooks.slack.com/x"}}},
            "'webhook_url' would put a secret in the config file",
            id="inline-secret",
        ),
    ],
)
def test_config_errors_are_one_line_exit_2_no_traceback(
    runner: CliRunner, tmp_path: Path, alerts: dict[str, Any], fragment: str
) -> None:
    config = write_config(tmp_path, alerts)
    result = runner.invoke(app, ["export", "alertmanager", "-c", str(config)])
    assert result.exit_code == 2
    assert result.stderr.startswith("error: ")
    assert result.stderr.count("\n") == 1
    assert fragment in result.stderr
    assert "Traceback" not in result.output


def test_a_missing_config_file_is_exit_2(runner: CliRunner, tmp_path: Path) -> None:
    result = runner.invoke(app, ["export", "prometheus-rules", "-c", str(tmp_path / "no.yaml")])
    assert result.exit_code == 2
    assert "Cannot read the config file" in result.stderr


def test_an_unwritable_output_is_exit_2(runner: CliRunner, tmp_path: Path) -> None:
    config = write_config(tmp_path, {"rules": RULES})
    out = tmp_path / "missing-folder" / "rules.yml"
    result = runner.invoke(app, ["export", "prometheus-rules", "-c", str(config), "-o", str(out)])
    assert result.exit_code == 2
    assert result.stderr.startswith(f"error: cannot write {out}")
