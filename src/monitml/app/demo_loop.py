"""The whole loop on one laptop, no servers: serve 75/25, log, label, monitor, alert.

``monitml demo`` runs it after the drift comparison: the seed's two Ames house-price models
(v1 gradient boosting, v2 the "bad model" that always predicts 100) behind the gateway, in
this process on a loopback port, with the log in SQLite; held-out sales as traffic; their
real prices as late labels; one monitor pass; the alert rule of the seed.
"""

from __future__ import annotations

import json
import socket
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import httpx
import pandas as pd
import uvicorn
import yaml

from monitml.app.demo_models import AMES_CATEGORICAL, AMES_NUMERICAL, AMES_TARGET, write_demo
from monitml.app.gateway import build_gateway_app
from monitml.app.monitoring import build_monitor
from monitml.config import load_settings
from monitml.monitor.result import WindowResult

__all__ = ["LoopSummary", "run_house_price_loop"]

MODEL = "house-price"
ALERT_RULE = {
    "name": "LowAveragePrediction",
    "model": MODEL,
    "expr": "prediction_mean < 100000",
    "for": "0s",
    "severity": "warning",
    "annotations": {
        "summary": "Average predicted price of {{ $labels.version }} is below $100,000"
    },
}


@dataclass(frozen=True, slots=True)
class LoopSummary:
    answered: dict[str, int]
    logged: int
    labels: int
    unknown_label_ids: int
    results: list[WindowResult]
    alerts: list[dict[str, Any]]
    reports: list[Path]


def _free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


def run_house_price_loop(
    folder: Path, *, requests: int = 400, echo: Callable[[str], None] = print
) -> LoopSummary:
    """Train, serve, send traffic and labels, monitor once; write reports into ``folder``."""
    # Each run starts from an empty log, so its figures are this run's.
    for stale in (*folder.glob("monitml.db*"), *folder.glob("monitml-*.json*")):
        stale.unlink()
    config_path = write_demo(folder, store_url=f"sqlite:///{folder / 'monitml.db'}")
    config = yaml.safe_load(config_path.read_text())
    config["monitor"] = {"window": {"rows": 1_000}, "min_rows": 50}
    config["alerts"] = {"rules": [ALERT_RULE]}
    config["server"] = {"port": _free_port()}
    config_path.write_text(yaml.safe_dump(config, sort_keys=False))
    settings = load_settings(config_path)
    echo(f"Trained v1 (gradient boosting) and v2 (always 100) on Ames sales; config {config_path}")

    server = uvicorn.Server(
        uvicorn.Config(build_gateway_app(settings), host="127.0.0.1", port=settings.server.port,
                       log_level="warning")
    )  # fmt: skip
    thread = threading.Thread(target=server.run, name="demo-gateway", daemon=True)
    thread.start()
    base = f"http://127.0.0.1:{settings.server.port}"
    traffic = pd.read_parquet(folder / "traffic.parquet").head(requests)
    bodies = json.loads(traffic[AMES_NUMERICAL + AMES_CATEGORICAL].to_json(orient="records"))
    answered: dict[str, int] = {}
    try:
        with httpx.Client(base_url=base, timeout=10) as client:
            deadline = time.monotonic() + 30
            while not server.started and time.monotonic() < deadline:
                time.sleep(0.05)
            for index, body in enumerate(bodies):
                reply = client.post(
                    f"/models/{MODEL}/predict", json={**body, "id": f"sale-{index}"}
                )
                reply.raise_for_status()
                version = reply.json()["version"]
                answered[version] = answered.get(version, 0) + 1
            labels = [
                {"id": f"sale-{index}", AMES_TARGET: float(price)}
                for index, price in enumerate(traffic[AMES_TARGET])
            ]
            feedback = client.post(f"/models/{MODEL}/feedback", json=labels).json()
    finally:
        server.should_exit = True
        thread.join(timeout=30)  # the gateway flushes its log writer on the way out
    shares = ", ".join(f"{v}: {n}" for v, n in sorted(answered.items()))
    echo(f"Gateway answered {sum(answered.values())} predictions ({shares}); "
         f"{feedback['received']} labels sent back later")  # fmt: skip

    built = build_monitor(settings)
    try:
        logged = len(built.store.read_window(MODEL))
        results = built.runner.run_once()
        alerts = built.store.list_alert_events(model=MODEL)
    finally:
        built.close()
    reports = []
    for result in results:
        if result.report is not None:
            path = folder / f"window-{result.version}.html"
            result.report.save_html(
                path, title=f"{MODEL} {result.version}: last window vs reference"
            )
            reports.append(path)
    return LoopSummary(
        answered,
        logged,
        int(feedback["received"]),
        len(feedback["unknown_ids"]),
        results,
        alerts,
        reports,
    )
