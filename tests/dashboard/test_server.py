"""The monitor's own server: ``/metrics`` as prometheus_client serves it, and ``/ui``."""

from __future__ import annotations

import os
import socket
import subprocess
import sys
import time
from pathlib import Path

import httpx
import numpy as np
import pandas as pd
import pytest
import yaml
from prometheus_client import CollectorRegistry, Gauge, generate_latest
from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import PlainTextResponse, Response
from starlette.routing import Mount, Route

from monitml.app.dashboard import monitor_dashboard
from monitml.config import MonitorConfig, load_settings
from monitml.dashboard import create_dashboard, monitor_server_app
from monitml.store import PredictionStore

from .conftest import MODEL, running, serve
from .test_gateway_ui import write_config


def registry_with_a_gauge() -> CollectorRegistry:
    registry = CollectorRegistry()
    gauge = Gauge("monitml_dataset_drift", "Drift.", ["model", "version"], registry=registry)
    gauge.labels("house-price", "v1").set(1.0)
    return registry


def test_metrics_are_the_registrys_text_exposition_with_its_content_type(
    sqlite_store: PredictionStore,
) -> None:
    registry = registry_with_a_gauge()
    app = monitor_server_app(registry, create_dashboard(sqlite_store, lambda: [MODEL]))

    with serve(app) as client:
        plain = client.get("/metrics")
        zipped = client.get("/metrics", headers={"Accept-Encoding": "gzip"})
        home = client.get("/", follow_redirects=False)
        ui = client.get("/ui/")

    assert plain.content == generate_latest(registry)
    assert plain.headers["content-type"].startswith("text/plain; version=0.0.4")
    assert zipped.headers.get("content-encoding") == "gzip"
    assert zipped.content == generate_latest(registry)  # decoded by httpx
    assert home.headers["location"] == "/ui/"
    assert ui.status_code == 200
    assert "house-price" in ui.text


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port: int = sock.getsockname()[1]
        return port


def test_monitml_monitor_serves_metrics_and_the_dashboard_until_it_is_stopped(
    tmp_path: Path,
) -> None:
    config_path = write_config(tmp_path)
    rng = np.random.default_rng(5)
    pd.DataFrame({"a": rng.normal(size=300), "b": rng.normal(size=300)}).to_parquet(
        tmp_path / "reference.parquet"
    )
    config = yaml.safe_load(config_path.read_text())
    config["models"]["toy"]["reference"] = "reference.parquet"
    port = free_port()
    config["monitor"] = {"interval": "1s", "port": port, "min_rows": 5}
    config_path.write_text(yaml.safe_dump(config))
    command = [sys.executable, "-m", "monitml.cli", "monitor", "--config", str(config_path)]
    process = subprocess.Popen(
        command, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, env=dict(os.environ)
    )
    base = f"http://127.0.0.1:{port}"
    try:
        deadline = time.monotonic() + 60
        while True:
            try:
                if httpx.get(f"{base}/metrics", timeout=1).status_code == 200:
                    break
            except httpx.TransportError:
                pass
            assert process.poll() is None, process.stdout.read().decode() if process.stdout else ""
            assert time.monotonic() < deadline, "the monitor's server never answered"
            time.sleep(0.2)
        metrics = httpx.get(f"{base}/metrics", timeout=5)
        overview = httpx.get(f"{base}/ui/", timeout=5)
        model = httpx.get(f"{base}/ui/models/toy", timeout=10)
    finally:
        process.terminate()
        output, _ = process.communicate(timeout=30)

    assert "monitml_monitor_last_run_timestamp_seconds" in metrics.text
    assert overview.status_code == model.status_code == 200
    assert ">75%<" in overview.text  # the configured routing, read-only
    assert 'data-testid="routing-form"' not in model.text
    assert process.returncode == 0
    assert f"dashboard on {base}/ui" in output.decode()


def test_the_monitor_alone_shows_the_traffic_it_reads_from_the_gateways_metrics(
    tmp_path: Path, sqlite_store: PredictionStore
) -> None:
    text = (
        "# TYPE monitml_requests_total counter\n"
        'monitml_requests_total{model="toy",version="v2",status="ok"} 300\n'
        'monitml_requests_created{model="toy",version="v2",status="ok"} '
        f"{time.time() - 100.0}\n"
    )

    def metrics(_request: Request) -> Response:
        return PlainTextResponse(text)

    gateway = Starlette(routes=[Route("/metrics", metrics)])
    with running(gateway) as url:
        settings = load_settings(write_config(tmp_path)).model_copy(
            update={"monitor": MonitorConfig(gateway_url=url)}
        )
        dashboard = monitor_dashboard(settings, sqlite_store)
        with serve(Starlette(routes=[Mount("/ui", dashboard)])) as client:
            page = client.get("/ui/").text

    v2 = page[page.index('data-version="v2"') :]
    rate = v2[v2.index('title="over since start">') :].split(">")[1].split("<")[0]
    assert float(rate) == pytest.approx(3.0, rel=0.1)  # 300 requests in about 100 s
