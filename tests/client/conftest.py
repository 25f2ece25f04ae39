"""A real gateway (``build_gateway_app`` under uvicorn, on a loopback port) for the client.

The models are two small scikit-learn regressors trained here on seeded data, so these tests
depend on nothing but the public config format.
"""

from __future__ import annotations

import socket
import threading
import time
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import joblib
import numpy as np
import pandas as pd
import pytest
import uvicorn
import yaml

from monitml.app.gateway import build_gateway_app
from monitml.config import load_settings

MODEL = "rent"
ADMIN_TOKEN = "client-test-token"
TOKEN_ENV = "MONITML_CLIENT_TEST_ADMIN_TOKEN"


@dataclass(frozen=True)
class Gateway:
    url: str
    folder: Path
    store_url: str


def _free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


def write_config(folder: Path, port: int) -> Path:
    """Two versions of a rent model (area, rooms → rent), 50/50, SQLite next to the config."""
    from sklearn.dummy import DummyRegressor  # noqa: PLC0415
    from sklearn.linear_model import LinearRegression  # noqa: PLC0415

    generator = np.random.default_rng(7)
    frame = pd.DataFrame(
        {"area": generator.uniform(20, 150, 500), "rooms": generator.integers(1, 6, 500)}
    ).astype({"rooms": float})
    frame["rent"] = 12.0 * frame["area"] + 50.0 * frame["rooms"] + generator.normal(0, 30, 500)
    features = frame[["area", "rooms"]]
    (folder / "models").mkdir(parents=True)
    joblib.dump(LinearRegression().fit(features, frame["rent"]), folder / "models" / "v1.joblib")
    joblib.dump(DummyRegressor().fit(features, frame["rent"]), folder / "models" / "v2.joblib")
    frame.to_parquet(folder / "reference.parquet", index=False)
    config = {
        "store": {"url": "sqlite:///monitml.db"},
        "models": {
            MODEL: {
                "task": "regression",
                "target": "rent",
                "reference": "reference.parquet",
                "versions": {
                    "v1": {"path": "models/v1.joblib"},
                    "v2": {"path": "models/v2.joblib"},
                },
                "routing": {"v1": 50, "v2": 50},
            }
        },
        "auth": {"admin_token_env": TOKEN_ENV},
        # The client logs predictions under its own version names ("batch-job", "external").
        "log": {"allow_external_versions": True},
        "server": {"port": port},
    }
    path = folder / "monitml.yaml"
    path.write_text(yaml.safe_dump(config, sort_keys=False), encoding="utf-8")
    return path


@pytest.fixture(scope="module")
def gateway(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Gateway]:
    folder = tmp_path_factory.mktemp("client-gateway")
    port = _free_port()
    config = write_config(folder, port)
    with pytest.MonkeyPatch.context() as patch:
        patch.setenv(TOKEN_ENV, ADMIN_TOKEN)
        settings = load_settings(config)
        app = build_gateway_app(settings)
    server = uvicorn.Server(
        uvicorn.Config(app, host="127.0.0.1", port=port, log_level="warning", lifespan="on")
    )
    thread = threading.Thread(target=server.run, name="client-test-gateway", daemon=True)
    thread.start()
    deadline = time.monotonic() + 30
    while not server.started:
        if time.monotonic() > deadline or not thread.is_alive():
            pytest.fail("the gateway did not start within 30 s")
        time.sleep(0.05)
    try:
        yield Gateway(f"http://127.0.0.1:{port}", folder, settings.store.url)
    finally:
        server.should_exit = True
        thread.join(timeout=30)
