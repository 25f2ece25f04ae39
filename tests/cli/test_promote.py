"""``monitml promote start|status|pause|resume|abort`` as users run them, on the demo's config.

Each command runs in its own process; the routing they leave in the store is what the gateway
replicas apply, and their notifications go through the configured webhook channel.
"""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path
from typing import Any

import joblib
import numpy as np
import pytest
import yaml
from sklearn.linear_model import LinearRegression

from monitml.store import PredictionStore

MODEL = "house-price"


def run(*args: str | Path) -> subprocess.CompletedProcess[str]:
    command = [sys.executable, "-m", "monitml.cli", "promote", *map(str, args)]
    return subprocess.run(command, capture_output=True, text=True, timeout=180, check=False)


@pytest.fixture
def config(tmp_path: Path, webhook: Any) -> Path:
    """The demo's routing (v1 75, v2 25) of two small models, and a webhook channel."""
    x = np.arange(20.0).reshape(-1, 1)
    for name, slope in (("v1", 2.0), ("v2", 3.0)):
        joblib.dump(LinearRegression().fit(x, slope * x.ravel()), tmp_path / f"{name}.joblib")
    settings = {
        "store": {"url": f"sqlite:///{tmp_path / 'store.db'}"},
        "models": {
            MODEL: {
                "task": "regression",
                "features": {"numerical": ["gr_liv_area"]},
                "versions": {v: {"path": f"{v}.joblib"} for v in ("v1", "v2")},
                "routing": {"v1": 75, "v2": 25},
                "promotion": {"steps": [10, 50, 100], "interval": "5m"},
            }
        },
        "alerts": {"channels": {"webhook": {"url": webhook.url}}},
    }
    path = tmp_path / "monitml.yaml"
    path.write_text(yaml.safe_dump(settings))
    return path


def weights(config: Path) -> dict[str, float]:
    store = PredictionStore.from_url(yaml.safe_load(config.read_text())["store"]["url"])
    try:
        return dict(store.load_routing()[MODEL].weights)
    finally:
        store.dispose()


def summaries(webhook: Any) -> list[str]:
    return [b["alerts"][0]["annotations"]["summary"] for b in webhook.bodies]


def test_start_pause_resume_abort_change_the_routing_and_notify(config: Path, webhook: Any) -> None:
    assert run("status", "--model", MODEL, "--config", config).stdout == f"{MODEL}: no promotion\n"

    started = run("start", "--model", MODEL, "--challenger", "v2", "--config", config)
    assert started.returncode == 0, started.stderr
    assert started.stdout.startswith(
        "house-price: v2 against v1, running at step 1/3 (weight 10), 0/2 failed checks"
    )
    assert weights(config) == {"v1": 90, "v2": 10}  # v1 had the highest weight (75)

    paused = run("pause", "--model", MODEL, "--config", config)
    assert paused.returncode == 0, paused.stderr
    document = json.loads(run("status", "--model", MODEL, "--json", "--config", config).stdout)
    assert document["status"] == "paused"
    assert document["weights"] == {"v1": 90.0, "v2": 10.0}
    assert document["plan"]["steps"] == [10.0, 50.0, 100.0]

    assert run("resume", "--model", MODEL, "--config", config).returncode == 0
    aborted = run("abort", "--model", MODEL, "--reason", "bad canary", "--config", config)
    assert aborted.returncode == 0, aborted.stderr
    assert "aborted" in aborted.stdout
    assert weights(config) == {"v1": 100, "v2": 0}

    shown = run("status", "--model", MODEL, "--config", config)
    assert shown.returncode == 0, shown.stderr
    assert shown.stdout.splitlines()[0].startswith("house-price: v2 against v1, aborted")
    assert "aborted at weight 0: bad canary" in shown.stdout  # the weight it left
    webhook.wait_for(lambda b: b["commonLabels"]["event"] == "aborted", timeout=5, what="abort")
    assert summaries(webhook) == [
        "Advance house-price challenger v2 weight 10",
        "Paused house-price challenger v2 at weight 10",
        "Resumed house-price challenger v2 at weight 10",
        "Rolled back house-price challenger v2: bad canary",
    ]


def test_a_second_start_while_one_runs_is_refused_with_one_line(config: Path) -> None:
    assert run("start", "--model", MODEL, "--challenger", "v2", "--config", config).returncode == 0
    again = run("start", "--model", MODEL, "--challenger", "v2", "--config", config)
    assert again.returncode == 2
    assert again.stderr.strip().splitlines() == [
        "error: house-price: a promotion of v2 is already running; abort it first "
        "(monitml promote abort --model house-price)"
    ]
