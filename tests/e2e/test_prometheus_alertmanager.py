"""The seed's loop with the real servers: gateway → Prometheus → Alertmanager → webhook.

The Ames demo serves v1 (gradient boosting) and v2 (always 100) at 75/25. The alerting config
is written once in ``monitml.yaml`` and exported with the ``monitml export`` commands; Prometheus
scrapes the gateway and evaluates the exported rule, Alertmanager delivers to a webhook this test
runs. The alert must name model house-price and version v2, and resolve once v2 gets 0%.
"""

from __future__ import annotations

import subprocess
import sys
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

import httpx
import pytest
import yaml

from monitml.alerts.notification import fingerprint

pytestmark = [pytest.mark.e2e, pytest.mark.timeout(120)]

RULE = {
    "name": "LowAveragePrediction",
    "model": "house-price",
    "expr": "prediction_mean < 100000",
    "for": "2s",
    "severity": "warning",
    "annotations": {
        "summary": "Average predicted price of {{ $labels.version }} is below $100,000"
    },
}


def export(command: str, config: Path, *extra: str) -> str:
    done = subprocess.run(
        [sys.executable, "-m", "monitml.cli", "export", command, "--config", str(config), *extra],
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )
    assert done.returncode == 0, done.stderr
    return done.stdout


def alerts_for(body: dict[str, Any], status: str) -> list[dict[str, Any]]:
    return [a for a in body["alerts"] if a["status"] == status]


def names_v2(alert: dict[str, Any]) -> bool:
    labels = alert["labels"]
    return bool(labels.get("model") == "house-price" and labels.get("version") == "v2")


def test_the_exported_rule_fires_for_v2_and_resolves_when_v2_gets_no_traffic(
    demo_config: Path,
    ames_requests: list[dict[str, Any]],
    webhook: Any,
    start_gateway: Callable[[Path], str],
    start_alertmanager: Callable[[str], str],
    start_prometheus: Callable[[str, str, str], str],
    traffic_to: Callable[..., Any],
    admin_token: str,
    tmp_path: Path,
) -> None:
    started = time.monotonic()
    config = yaml.safe_load(demo_config.read_text())
    config["alerts"] = {
        "rules": [RULE],
        "channels": {"webhook": {"url": webhook.url}},
        "group_wait": "1s",
        "group_interval": "2s",
        "repeat_interval": "1h",
        "rate_window": "5s",
    }
    demo_config.write_text(yaml.safe_dump(config, sort_keys=False))
    rules = export("prometheus-rules", demo_config)
    alertmanager_yaml = export("alertmanager", demo_config, "--secrets-dir", str(tmp_path))

    gateway = start_gateway(demo_config)
    alertmanager = start_alertmanager(alertmanager_yaml)
    start_prometheus(rules, gateway, alertmanager)

    with traffic_to(gateway, ames_requests) as traffic:
        firing = webhook.wait_for(
            lambda body: any(names_v2(a) for a in alerts_for(body, "firing")),
            timeout=45,
            what="firing notification for house-price v2",
        )
        assert firing["version"] == "4"
        assert firing["status"] == "firing"
        assert firing["receiver"] == "monitml"
        (alert,) = alerts_for(firing, "firing")  # v1 predicts real prices: no alert for it
        assert alert["labels"]["alertname"] == "LowAveragePrediction"
        assert alert["labels"]["severity"] == "warning"
        assert alert["annotations"]["summary"] == "Average predicted price of v2 is below $100,000"
        # MonitML computes fingerprints the way Prometheus and Alertmanager do.
        assert alert["fingerprint"] == fingerprint(alert["labels"])

        answer = httpx.put(
            f"{gateway}/models/house-price/routing",
            json={"routing": {"v1": 100, "v2": 0}},
            headers={"Authorization": f"Bearer {admin_token}"},
            timeout=5,
        )
        assert answer.status_code == 200, answer.text

        resolved = webhook.wait_for(
            lambda body: any(names_v2(a) for a in alerts_for(body, "resolved")),
            timeout=45,
            what="resolved notification for house-price v2",
        )
        assert resolved["status"] == "resolved"
        assert resolved["alerts"][0]["fingerprint"] == alert["fingerprint"]
        assert resolved["alerts"][0]["endsAt"] != "0001-01-01T00:00:00Z"

    assert traffic.errors == 0
    assert traffic.versions.get("v1", 0) > traffic.versions.get("v2", 0) > 0
    assert time.monotonic() - started < 120
