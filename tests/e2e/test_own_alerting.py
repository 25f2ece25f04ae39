"""The seed's loop with MonitML's own alerting and no Prometheus.

The gateway serves the Ames versions 75/25 (v2 always predicts 100); ``monitml monitor`` reads
the logged predictions every second over a 10-second window and evaluates the same rule; its
webhook channel receives a firing notification naming v2, and a resolved one after v2 is
routed to 0% and its window empties.
"""

from __future__ import annotations

import os
import sys
from collections.abc import Callable
from pathlib import Path
from typing import Any

import httpx
import pytest
import yaml

from .conftest import Server, free_port, wait_until
from .test_prometheus_alertmanager import RULE

pytestmark = [pytest.mark.e2e, pytest.mark.timeout(150)]


def _v2(alert: dict[str, Any]) -> bool:
    return alert["labels"].get("model") == "house-price" and alert["labels"].get("version") == "v2"


def test_monitmls_own_alerting_fires_for_v2_and_resolves_when_v2_gets_no_traffic(
    demo_config: Path,
    ames_requests: list[dict[str, Any]],
    webhook: Any,
    start_gateway: Callable[[Path], str],
    traffic_to: Callable[..., Any],
    admin_token: str,
    servers: list[Server],
    tmp_path: Path,
) -> None:
    config = yaml.safe_load(demo_config.read_text())
    metrics_port = free_port()
    config["monitor"] = {
        "interval": "1s",
        "window": {"period": "10s"},
        "min_rows": 5,
        "port": metrics_port,
    }
    config["alerts"] = {
        "rules": [RULE],
        "channels": {"webhook": {"url": webhook.url}},
        "group_wait": "1s",
        "group_interval": "2s",
        "repeat_interval": "1h",
    }
    demo_config.write_text(yaml.safe_dump(config, sort_keys=False))
    gateway = start_gateway(demo_config)
    command = [sys.executable, "-m", "monitml.cli", "monitor", "--config", str(demo_config)]
    monitor = Server("monitml monitor", command, tmp_path / "monitor.log", dict(os.environ))
    servers.append(monitor)
    metrics_url = f"http://127.0.0.1:{metrics_port}/metrics"
    wait_until(
        lambda: httpx.get(metrics_url, timeout=1).status_code == 200,
        timeout=60,
        what="the monitor's /metrics",
        process=monitor,
    )

    with traffic_to(gateway, ames_requests) as traffic:
        firing = webhook.wait_for(
            lambda body: body["status"] == "firing" and any(_v2(a) for a in body["alerts"]),
            timeout=45,
            what="firing notification for house-price v2",
        )
        assert firing["version"] == "4"
        (alert,) = firing["alerts"]  # v1 predicts real prices: it never alerts
        assert alert["labels"]["alertname"] == "LowAveragePrediction"
        assert alert["annotations"]["summary"] == "Average predicted price of v2 is below $100,000"
        text = httpx.get(metrics_url, timeout=5).text
        assert (
            'monitml_prediction_window_stat{model="house-price",stat="mean",version="v2"} 100.0'
            in text
        )

        answer = httpx.put(
            f"{gateway}/models/house-price/routing",
            json={"routing": {"v1": 100, "v2": 0}},
            headers={"Authorization": f"Bearer {admin_token}"},
            timeout=5,
        )
        assert answer.status_code == 200, answer.text
        resolved = webhook.wait_for(
            lambda body: body["status"] == "resolved" and any(_v2(a) for a in body["alerts"]),
            timeout=45,
            what="resolved notification for house-price v2",
        )
        assert resolved["alerts"][0]["fingerprint"] == alert["fingerprint"]

    assert traffic.errors == 0
    assert traffic.versions.get("v1", 0) > traffic.versions.get("v2", 0) > 0
