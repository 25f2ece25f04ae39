"""A promotion through a real gateway: the monitor embedded in ``monitml serve`` drives it, each
weight it saves changes which version answers ``POST /predict``, ``GET /models/{m}`` shows it.

Real time, real HTTP (uvicorn on a loopback port), a SQLite store; the plan is shortened to
seconds so that the whole promotion fits in a test.
"""

from __future__ import annotations

import time
from pathlib import Path
from typing import Any

import httpx
import joblib
import numpy as np
import pandas as pd
import yaml
from sklearn.linear_model import LinearRegression

from monitml.app.gateway import build_gateway_app
from monitml.config import load_settings
from monitml.promotion.delivery import start_promotion
from monitml.promotion.settings import PromotionConfig
from monitml.store import PredictionStore
from serving.conftest import live_server

from .traffic import FEATURES, MODEL, houses

DEADLINE_S = 90  # the promotion takes ~10 s; a loaded machine may take several times that


def write_config(folder: Path, webhook_url: str) -> Path:
    x, y = houses(np.random.default_rng(11), 600)
    frame = pd.DataFrame(x, columns=list(FEATURES.names)).assign(sale_price=y)
    frame.to_csv(folder / "reference.csv", index=False)
    for version, seed in (("v1", 1), ("v3", 3)):
        xs, ys = houses(np.random.default_rng(seed), 2000)
        fitted = LinearRegression().fit(pd.DataFrame(xs, columns=list(FEATURES.names)), ys)
        joblib.dump(fitted, folder / f"{version}.joblib")
    plan = {
        "steps": [10, 50, 100],
        "interval": "2s",
        "min_rows": 20,  # a step lasts until the challenger answered 20: not the machine's speed
        # The machine's load, not the model, decides small latencies here: judge the models.
        "max_latency_ratio": 50,
        "max_failed_checks": 5,
    }
    settings = {
        "store": {"url": f"sqlite:///{folder / 'store.db'}"},
        "models": {
            MODEL: {
                "task": "regression",
                "target": "sale_price",
                "features": {"numerical": list(FEATURES.names)},
                "reference": "reference.csv",
                "versions": {v: {"path": f"{v}.joblib"} for v in ("v1", "v3")},
                "routing": {"v1": 100, "v3": 0},
                "promotion": plan,
            }
        },
        "monitor": {"embedded": True, "interval": "1s", "min_rows": 5},
        "alerts": {"channels": {"webhook": {"url": webhook_url}}},
    }
    path = folder / "monitml.yaml"
    path.write_text(yaml.safe_dump(settings))
    return path


def test_the_embedded_monitor_promotes_and_the_answers_follow_the_weights(
    tmp_path: Path, webhook: Any
) -> None:
    settings = load_settings(write_config(tmp_path, webhook.url))
    app = build_gateway_app(settings)
    rng = np.random.default_rng(5)
    answered: list[tuple[float, str]] = []  # (challenger weight the gateway reported, version)
    with live_server(app) as url, httpx.Client(base_url=url, timeout=30) as client:
        store = PredictionStore.from_url(settings.store.url)
        try:
            plan = PromotionConfig.model_validate(settings.models[MODEL].promotion)
            start_promotion(store, MODEL, "v1", "v3", plan)
        finally:
            store.dispose()
        deadline = time.monotonic() + DEADLINE_S
        status = "running"
        while status == "running" and time.monotonic() < deadline:
            described = client.get(f"/models/{MODEL}").json()
            status = described["promotion"]["status"]
            weight = described["routing"].get("v3", 0.0)
            x, _ = houses(rng, 20)
            for area, quality in x:
                row = {"gr_liv_area": float(area), "overall_qual": float(quality)}
                answer = client.post(f"/models/{MODEL}/predict", json=row)
                assert answer.status_code == 200, answer.text
                answered.append((weight, answer.json()["version"]))
        final = client.get(f"/models/{MODEL}").json()
        after = [client.post(f"/models/{MODEL}/predict", json=row).json()["version"]
                 for _ in range(50)]  # fmt: skip
    assert final["promotion"]["status"] == "completed", final["promotion"]
    assert final["routing"] == {"v1": 0.0, "v3": 100.0}
    assert set(after) == {"v3"}
    events = [entry["event"] for entry in final["promotion"]["history"]]
    assert events == ["started", "advanced", "advanced", "completed"]
    # While the gateway said the challenger had w%, it answered about w% of the requests.
    for weight in (10.0, 50.0):
        versions = [v for w, v in answered if w == weight]
        share = versions.count("v3") / len(versions)
        assert len(versions) >= 30, (weight, len(versions))
        assert abs(share - weight / 100) < 4 * np.sqrt(0.25 / len(versions)) + 0.05, (
            weight,
            share,
        )
    body = webhook.wait_for(
        lambda b: b["commonLabels"].get("event") == "completed", timeout=10, what="completion"
    )
    assert body["alerts"][0]["annotations"]["summary"] == (
        "Promotion completed: house-price challenger v3 at 100"
    )
