"""The monitor inside ``monitml serve`` (``monitor.embedded``): one process, one /metrics."""

from __future__ import annotations

import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

import httpx
import pytest
import yaml

pytestmark = [pytest.mark.e2e, pytest.mark.timeout(120)]


def test_the_gateway_runs_the_monitor_and_shows_its_gauges_on_its_own_metrics(
    demo_config: Path,
    ames_requests: list[dict[str, Any]],
    start_gateway: Callable[[Path], str],
    traffic_to: Callable[..., Any],
) -> None:
    config = yaml.safe_load(demo_config.read_text())
    config["monitor"] = {
        "embedded": True,
        "interval": "1s",
        "window": {"period": "30s"},
        "min_rows": 20,
    }
    demo_config.write_text(yaml.safe_dump(config, sort_keys=False))
    gateway = start_gateway(demo_config)
    wanted = 'monitml_prediction_window_stat{model="house-price",stat="mean",version="v2"} 100.0'
    with traffic_to(gateway, ames_requests, rate=60.0):
        deadline = time.monotonic() + 60
        text = ""
        while time.monotonic() < deadline:
            text = httpx.get(f"{gateway}/metrics", timeout=5).text
            if (
                wanted in text
                and 'monitml_monitor_window_sufficient{model="house-price",version="v1"} 1.0'
                in text
            ):
                break
            time.sleep(0.5)
    assert wanted in text
    assert 'monitml_dataset_drift{model="house-price",version="v1"}' in text
    assert "monitml_requests_total{" in text  # the gateway's own metrics on the same page
    assert "monitml_requests_per_second" not in text  # operational rates feed alerts, not gauges
