"""A store of real monitor windows (ModelMonitor's own payloads) for the dashboard tests.

``house-price`` has versions v1 (no drift) and v2 (``area`` and ``street`` shifted, missing
``rooms``, labels),
one window a minute for three hours before ``NOW``, and two alerts: one firing, one resolved.
Store tests run on SQLite and on the real PostgreSQL (``postgres_url``, tests/conftest.py).
"""

from __future__ import annotations

import contextlib
import functools
import socket
import threading
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import anyio.from_thread
import httpx
import numpy as np
import pandas as pd
import pytest
import uvicorn
from starlette.types import ASGIApp

from monitml.dashboard import ModelView
from monitml.monitor.model_monitor import ModelMonitor
from monitml.monitor.policy import MonitorPolicy
from monitml.store import PredictionStore
from monitml.store.results import save_monitor_result

NOW = 1_790_000_000.0
WINDOWS = 180
MODEL = ModelView("house-price", "regression", ("v1", "v2"), {"v1": 75.0, "v2": 25.0})
BACKENDS = [
    pytest.param("sqlite", id="sqlite"),
    pytest.param("postgres", id="postgres", marks=pytest.mark.postgres),
]


def _frame(
    rng: np.random.Generator, n: int, *, shift: float = 0.0, paved: float = 0.5
) -> pd.DataFrame:
    area = rng.normal(100.0 + shift, 20.0, n)
    rooms = rng.integers(1, 6, n).astype(float)
    street = rng.choice(["pave", "grvl"], n, p=[paved, 1 - paved])
    frame = pd.DataFrame({"area": area, "rooms": rooms, "street": street})
    frame["prediction"] = 1_000.0 * frame["area"]
    frame["price"] = frame["prediction"] + rng.normal(0.0, 5_000.0, n)
    return frame


def window_payloads() -> dict[str, dict[str, Any]]:
    """One real payload per kind of window: calm, drifted (with labels), too small."""
    rng = np.random.default_rng(7)
    monitor = ModelMonitor(
        "house-price",
        _frame(rng, 4_000),
        features=["area", "rooms", "street"],
        numerical=["area", "rooms"],
        categorical=["street"],
        target="price",
        policy=MonitorPolicy(window_rows=500, min_rows=50),
    )
    # As the store reads windows: the label column is there, empty until labels arrive.
    calm = _frame(rng, 500).rename(columns={"price": "label"}).assign(label=np.nan)
    drifted = _frame(rng, 500, shift=40.0, paved=0.9).rename(columns={"price": "label"})
    drifted.loc[drifted.index[:100], "rooms"] = np.nan
    small = _frame(rng, 10).rename(columns={"price": "label"}).assign(label=np.nan)
    return {
        "calm": monitor.evaluate(calm, "v1").to_dict(),
        "drifted": monitor.evaluate(drifted, "v2").to_dict(),
        "small": monitor.evaluate(small, "v1").to_dict(),
    }


@pytest.fixture(scope="session")
def payloads() -> dict[str, dict[str, Any]]:
    return window_payloads()


def fill(store: PredictionStore, payloads: dict[str, dict[str, Any]]) -> None:
    """Three hours of one-minute windows of both versions, and the alert history."""
    with store.engine.begin() as connection:
        for i in range(WINDOWS):
            end = NOW - (WINDOWS - 1 - i) * 60.0
            for version, kind in (("v1", "calm"), ("v2", "drifted")):
                payload = payloads["small" if version == "v1" and i == WINDOWS - 1 else kind]
                save_monitor_result(
                    connection,
                    {
                        "model": "house-price",
                        "version": version,
                        "kind": "window",
                        "run_at": end,
                        "window_start": end - 60.0,
                        "window_end": end,
                        "payload": {**payload, "version": version},
                    },
                )
    for state, rule, ends_at in (
        ("pending", "DriftOfV2", None),
        ("firing", "DriftOfV2", None),
        ("firing", "SlowV1", None),
        ("resolved", "SlowV1", NOW - 600.0),
    ):
        store.save_alert_event(
            {
                "rule": rule,
                "model": "house-price",
                "version": "v2" if rule == "DriftOfV2" else "v1",
                "state": state,
                "starts_at": NOW - 3_000.0,
                "ends_at": ends_at,
                "value": 0.5,
                "payload": {"fingerprint": rule, "severity": "warning"},
            }
        )


@pytest.fixture(params=BACKENDS)
def filled_store(
    request: pytest.FixtureRequest, tmp_path: Path, payloads: dict[str, dict[str, Any]]
) -> Iterator[PredictionStore]:
    if request.param == "sqlite":
        url = f"sqlite:///{tmp_path / 'store.db'}"
    else:
        url = request.getfixturevalue("postgres_url")
    store = PredictionStore.from_url(url)
    fill(store, payloads)
    yield store
    store.dispose()


@pytest.fixture
def sqlite_store(tmp_path: Path, payloads: dict[str, dict[str, Any]]) -> Iterator[PredictionStore]:
    store = PredictionStore.from_url(f"sqlite:///{tmp_path / 'store.db'}")
    fill(store, payloads)
    yield store
    store.dispose()


class Client:
    """A blocking client of an ASGI app, in process (what a browser would get)."""

    def __init__(self, portal: Any, client: httpx.AsyncClient) -> None:
        self.portal = portal
        self.client = client

    def request(self, method: str, url: str, **kwargs: Any) -> httpx.Response:
        answer: httpx.Response = self.portal.call(
            functools.partial(self.client.request, method, url, **kwargs)
        )
        return answer

    def get(self, url: str, **kwargs: Any) -> httpx.Response:
        return self.request("GET", url, **kwargs)

    def put(self, url: str, **kwargs: Any) -> httpx.Response:
        return self.request("PUT", url, **kwargs)

    def post_json(self, url: str, body: Any) -> httpx.Response:
        return self.request("POST", url, json=body)


@contextlib.contextmanager
def serve(app: ASGIApp, *, lifespan: Any = None) -> Iterator[Client]:
    """Run ``app`` (inside ``lifespan`` when given, e.g. the gateway's) around a client."""
    with anyio.from_thread.start_blocking_portal() as portal:
        context = (
            portal.wrap_async_context_manager(lifespan)
            if lifespan is not None
            else contextlib.nullcontext()
        )
        with context:
            transport = httpx.ASGITransport(app=app)
            client = httpx.AsyncClient(transport=transport, base_url="http://testserver")
            try:
                yield Client(portal, client)
            finally:
                portal.call(client.aclose)


@contextlib.contextmanager
def running(app: ASGIApp, *, lifespan: str = "off") -> Iterator[str]:
    """``app`` served by uvicorn on a free loopback port; yields its base URL."""
    sock = socket.socket()
    sock.bind(("127.0.0.1", 0))
    config = uvicorn.Config(app, log_level="warning", lifespan=lifespan)
    server = uvicorn.Server(config)
    thread = threading.Thread(target=server.run, kwargs={"sockets": [sock]}, daemon=True)
    thread.start()
    deadline = time.monotonic() + 30
    while not server.started:
        assert time.monotonic() < deadline, "uvicorn did not start"
        time.sleep(0.05)
    try:
        yield f"http://127.0.0.1:{sock.getsockname()[1]}"
    finally:
        server.should_exit = True
        thread.join(timeout=15)
        sock.close()
