"""The dashboard inside a real gateway: live routing, its own traffic, and the routing form."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from typing import Any

import joblib
import numpy as np
import pandas as pd
import pytest
import yaml
from sklearn.linear_model import LinearRegression

from monitml.app.gateway import build_gateway_app
from monitml.config import load_settings

from .conftest import Client, serve

TOKEN = "s3cret-token"


def write_config(folder: Path) -> Path:
    rng = np.random.default_rng(3)
    x = pd.DataFrame(rng.normal(size=(50, 2)), columns=["a", "b"])
    model = LinearRegression().fit(x, x.to_numpy() @ np.array([2.0, 1.0]))
    joblib.dump(model, folder / "model.joblib")
    config = {
        "store": {"url": f"sqlite:///{folder / 'store.db'}"},
        "models": {
            "toy": {
                "task": "regression",
                "features": {"numerical": ["a", "b"]},
                "versions": {"v1": {"path": "model.joblib"}, "v2": {"path": "model.joblib"}},
                "routing": {"v1": 75, "v2": 25},
            }
        },
        "auth": {"admin_token_env": "DASHBOARD_TEST_TOKEN"},
    }
    path = folder / "monitml.yaml"
    path.write_text(yaml.safe_dump(config))
    return path


@pytest.fixture
def gateway(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[Client]:
    monkeypatch.setenv("DASHBOARD_TEST_TOKEN", TOKEN)
    app = build_gateway_app(load_settings(write_config(tmp_path)))
    with serve(app, lifespan=app.router.lifespan_context(app)) as client:
        yield client


def weights(page: str) -> dict[str, str]:
    found = {}
    for version in ("v1", "v2"):
        row = page[page.index(f'data-version="{version}"') :]
        cell = row[row.index('data-testid="weight"') :]
        found[version] = cell[cell.index(">") + 1 : cell.index("<")]
    return found


def test_the_gateway_serves_the_dashboard_with_its_routing_and_its_own_traffic(
    gateway: Client,
) -> None:
    for _ in range(3):
        assert gateway.post_json("/models/toy/predict", {"a": 1.0, "b": 2.0}).status_code == 200

    overview = gateway.get("/ui/")
    model = gateway.get("/ui/models/toy")

    assert overview.status_code == model.status_code == 200
    assert weights(overview.text) == {"v1": "75%", "v2": "25%"}
    assert "no traffic figures here" not in overview.text
    assert 'data-url="/models/toy/routing"' in model.text  # the form PUTs to the API


@pytest.mark.parametrize(
    ("headers", "status"),
    [
        pytest.param({}, 401, id="no-token"),
        pytest.param({"Authorization": "Bearer wrong"}, 403, id="wrong-token"),
    ],
)
def test_the_routing_form_is_refused_without_the_right_token(
    gateway: Client, headers: dict[str, str], status: int
) -> None:
    answer = gateway.put(
        "/models/toy/routing", json={"routing": {"v1": 0, "v2": 100}}, headers=headers
    )

    assert answer.status_code == status
    assert weights(gateway.get("/ui/").text) == {"v1": "75%", "v2": "25%"}


def test_a_routing_change_with_the_token_shows_on_the_dashboard(gateway: Client) -> None:
    body: dict[str, Any] = {"routing": {"v1": 10, "v2": 90}}
    answer = gateway.put(
        "/models/toy/routing", json=body, headers={"Authorization": f"Bearer {TOKEN}"}
    )

    assert answer.status_code == 200
    assert weights(gateway.get("/ui/fragment").text) == {"v1": "10%", "v2": "90%"}


def test_reports_in_the_configured_folder_are_listed_and_served(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    config = write_config(tmp_path)
    settings = yaml.safe_load(config.read_text())
    settings["dashboard"] = {"reports_dir": "out/reports", "refresh": "30s"}
    config.write_text(yaml.safe_dump(settings))
    (tmp_path / "out" / "reports").mkdir(parents=True)
    (tmp_path / "out" / "reports" / "toy-2026-11.html").write_text("<p>November</p>")
    app = build_gateway_app(load_settings(config))

    with serve(app, lifespan=app.router.lifespan_context(app)) as client:
        overview = client.get("/ui/")
        report = client.get("/ui/reports/toy-2026-11.html")

    assert 'href="/ui/reports/toy-2026-11.html"' in overview.text
    assert "refreshes every 30 s" in overview.text
    assert report.text == "<p>November</p>"
