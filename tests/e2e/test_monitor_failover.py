"""Two ``monitml monitor`` processes on one PostgreSQL store: one alerts, the other takes over.

The gateway serves the Ames versions 75/25 (v2 always predicts 100) into PostgreSQL. Two
monitors run beside it; the one holding the lease evaluates the rule and notifies the webhook.
Once the firing notification for v2 has arrived, the active monitor is killed (SIGKILL). The
standby takes over within about one interval, from the alert state the first one saved: it
does not notify the firing alert again, and it sends the resolved notification when v2 is
routed to 0%.
"""

from __future__ import annotations

import os
import sys
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

import httpx
import pytest
import yaml

from .conftest import Server, free_port, wait_until
from .test_prometheus_alertmanager import RULE

pytestmark = [pytest.mark.e2e, pytest.mark.postgres, pytest.mark.timeout(180)]

ACTIVE = "monitor: holds the lease; active"
INTERVAL = 1.0


def _v2(alert: dict[str, Any]) -> bool:
    return alert["labels"].get("model") == "house-price" and alert["labels"].get("version") == "v2"


def _about_v2(webhook: Any, status: str) -> list[dict[str, Any]]:
    return [
        body
        for body in list(webhook.bodies)
        if body["status"] == status and any(_v2(a) for a in body["alerts"])
    ]


def test_killing_the_active_monitor_hands_its_alerts_to_the_standby_without_a_duplicate(
    demo_config: Path,
    postgres_url: str,
    ames_requests: list[dict[str, Any]],
    webhook: Any,
    start_gateway: Callable[[Path], str],
    traffic_to: Callable[..., Any],
    admin_token: str,
    servers: list[Server],
    tmp_path: Path,
) -> None:
    config = yaml.safe_load(demo_config.read_text())
    config["store"] = {"url": postgres_url}
    config["monitor"] = {"interval": "1s", "window": {"period": "10s"}, "min_rows": 5}
    config["alerts"] = {
        "rules": [RULE],
        "channels": {"webhook": {"url": webhook.url}},
        "group_wait": "1s",
        "group_interval": "2s",
        "repeat_interval": "1h",
    }
    demo_config.write_text(yaml.safe_dump(config, sort_keys=False))
    gateway = start_gateway(demo_config)

    monitors: list[Server] = []
    for name in ("first", "second"):
        port = free_port()
        command = [sys.executable, "-m", "monitml.cli", "monitor", "--config", str(demo_config)]
        command += ["--port", str(port)]
        monitor = Server(f"monitor {name}", command, tmp_path / f"{name}.log", dict(os.environ))
        servers.append(monitor)
        monitors.append(monitor)
        wait_until(
            lambda p=port: httpx.get(f"http://127.0.0.1:{p}/metrics", timeout=1).is_success,
            timeout=60,
            what=f"the {name} monitor's /metrics",
            process=monitor,
        )

    with traffic_to(gateway, ames_requests) as traffic:
        firing = webhook.wait_for(
            lambda body: body["status"] == "firing" and any(_v2(a) for a in body["alerts"]),
            timeout=60,
            what="firing notification for house-price v2",
        )
        (alert,) = firing["alerts"]
        active = [m for m in monitors if ACTIVE in m.log.read_text(errors="replace")]
        assert len(active) == 1, "not exactly one monitor is active"
        (standby,) = [m for m in monitors if m is not active[0]]
        assert ACTIVE not in standby.log.read_text(errors="replace")

        active[0].popen.kill()  # SIGKILL: no release, no goodbye
        killed_at = time.monotonic()
        active[0].popen.wait(10)
        wait_until(
            lambda: ACTIVE in standby.log.read_text(errors="replace"),
            timeout=30,
            what="the standby taking over",
            process=standby,
        )
        took_over = time.monotonic() - killed_at
        time.sleep(5 * INTERVAL)  # passes of the new active monitor over the firing alert

        answer = httpx.put(
            f"{gateway}/models/house-price/routing",
            json={"routing": {"v1": 100, "v2": 0}},
            headers={"Authorization": f"Bearer {admin_token}"},
            timeout=5,
        )
        assert answer.status_code == 200, answer.text
        resolved = webhook.wait_for(
            lambda body: body["status"] == "resolved" and any(_v2(a) for a in body["alerts"]),
            timeout=60,
            what="resolved notification for house-price v2 from the standby",
        )

    assert traffic.errors == 0
    assert took_over < 3 * INTERVAL + 2, f"the standby took {took_over:.1f} s to take over"
    assert resolved["alerts"][0]["fingerprint"] == alert["fingerprint"]
    assert len(_about_v2(webhook, "firing")) == 1, "the firing alert was notified twice"
    assert len(_about_v2(webhook, "resolved")) == 1
