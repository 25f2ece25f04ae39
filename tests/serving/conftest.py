"""Fixtures for the gateway: trained Ames models once per session, and an app factory.

Each test builds the small app it needs with ``make_gateway`` and talks to it through
``serve(app)``, which runs the app's lifespan (writer start, flush on exit) and an httpx client
on the ASGI interface, or ``live_server(app)``, a real uvicorn server on a loopback port.
"""

from __future__ import annotations

import socket
import threading
import time
from collections.abc import Callable, Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import anyio.from_thread
import httpx
import joblib
import pandas as pd
import pytest
import uvicorn
from fastapi import FastAPI

from monitml.demo.models import (
    CENTRAL_AIR_FEATURES,
    ConstantModel,
    load_ames,
    train_central_air_classifier,
    write_demo,
)
from monitml.serving import (
    Feature,
    FeatureSchema,
    GatewayMetrics,
    Router,
    Routing,
    RoutingState,
    ServedModel,
    create_app,
)
from monitml.serving.loaders import Predictor, make_predictor
from monitml.store import LogWriter, PredictionStore

HOUSE = "house-price"
AIR = "central-air"


@pytest.fixture(scope="session")
def ames() -> pd.DataFrame:
    return load_ames()


@pytest.fixture(scope="session")
def house_rows(ames: pd.DataFrame) -> list[dict[str, Any]]:
    features = ames.drop(columns=["sale_price"]).head(300)
    return [{str(k): _plain(v) for k, v in row.items()} for row in features.to_dict("records")]


def _plain(value: Any) -> Any:
    return value.item() if hasattr(value, "item") else value


@pytest.fixture(scope="session")
def demo_folder(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """The demo's models, reference and ``monitml.yaml`` (trained once)."""
    folder = tmp_path_factory.mktemp("demo")
    write_demo(folder)
    return folder


@pytest.fixture(scope="session")
def house_schema(ames: pd.DataFrame) -> FeatureSchema:
    categorical = {"neighborhood", "house_style", "central_air"}
    return FeatureSchema(
        tuple(
            Feature(name, "categorical", "string")
            if name in categorical
            else Feature(name, "numerical", "number")
            for name in ames.columns
            if name != "sale_price"
        )
    )


@pytest.fixture(scope="session")
def house_v1(demo_folder: Path, house_schema: FeatureSchema) -> Predictor:
    return make_predictor(
        joblib.load(demo_folder / "models" / "gbm.joblib"), house_schema, "regression"
    )


@pytest.fixture(scope="session")
def house_v2(house_schema: FeatureSchema) -> Predictor:
    return make_predictor(ConstantModel(100.0), house_schema, "regression")


@pytest.fixture(scope="session")
def air_schema() -> FeatureSchema:
    return FeatureSchema(tuple(Feature(n, "numerical", "number") for n in CENTRAL_AIR_FEATURES))


@pytest.fixture(scope="session")
def air_classifier(ames: pd.DataFrame, air_schema: FeatureSchema) -> Predictor:
    return make_predictor(train_central_air_classifier(ames), air_schema, "classification")


class Raising:
    """A model that always fails, as a broken version would."""

    def predict(self, x: Any) -> Any:
        raise RuntimeError("the model is broken")


@dataclass
class Gateway:
    app: FastAPI
    store: PredictionStore
    writer: LogWriter
    metrics: GatewayMetrics
    folder: Path


GatewayFactory = Callable[..., Gateway]


@pytest.fixture
def make_gateway(
    tmp_path: Path, house_schema: FeatureSchema, house_v1: Predictor, house_v2: Predictor
) -> Iterator[GatewayFactory]:
    """Build a gateway app over a SQLite store in ``tmp_path``; by default the seed's canary."""
    stores: list[PredictionStore] = []

    def build(
        models: Sequence[ServedModel] | None = None,
        *,
        folder: Path = tmp_path,
        admin_token: str | None = "s3cret",
        max_body_bytes: int = 1_048_576,
        max_batch: int = 1_000,
        log_queue: int = 100_000,
        **options: Any,
    ) -> Gateway:
        """``options``: the other keywords of ``create_app`` (tokens, limits, label window)."""
        if models is None:
            models = [
                ServedModel(
                    HOUSE,
                    "regression",
                    house_schema,
                    {"v1": house_v1, "v2": house_v2},
                    Router(Routing({"v1": 75, "v2": 25}), seed=1),
                    target="sale_price",
                )
            ]
        store = PredictionStore.from_url(f"sqlite:///{folder / 'monitml.db'}")
        stores.append(store)
        writer = LogWriter(
            store, spill_path=folder / "spill.jsonl", flush_interval=0.02, max_queue=log_queue
        )
        metrics = GatewayMetrics()
        app = create_app(
            models,
            store=store,
            writer=writer,
            metrics=metrics,
            routing_state=RoutingState(store),
            admin_token=admin_token,
            max_body_bytes=max_body_bytes,
            max_batch=max_batch,
            log_queue=log_queue,
            **options,
        )
        return Gateway(app, store, writer, metrics, folder)

    yield build
    for store in stores:
        store.dispose()


class Client:
    """A blocking facade over an ``httpx.AsyncClient`` bound to the app (no network)."""

    def __init__(self, portal: Any, client: httpx.AsyncClient) -> None:
        self.portal = portal
        self.client = client

    def request(self, method: str, url: str, **kwargs: Any) -> httpx.Response:
        async def call() -> httpx.Response:
            return await self.client.request(method, url, **kwargs)

        response: httpx.Response = self.portal.call(call)
        return response

    def get(self, url: str, **kwargs: Any) -> httpx.Response:
        return self.request("GET", url, **kwargs)

    def post(self, url: str, **kwargs: Any) -> httpx.Response:
        return self.request("POST", url, **kwargs)

    def put(self, url: str, **kwargs: Any) -> httpx.Response:
        return self.request("PUT", url, **kwargs)


@contextmanager
def serve(app: FastAPI) -> Iterator[Client]:
    """Run the app's lifespan around a client; leaving it shuts the app down (writer flushed)."""
    with (
        anyio.from_thread.start_blocking_portal() as portal,
        portal.wrap_async_context_manager(app.router.lifespan_context(app)),
    ):
        transport = httpx.ASGITransport(app=app)
        client = httpx.AsyncClient(transport=transport, base_url="http://gateway")
        try:
            yield Client(portal, client)
        finally:
            portal.call(client.aclose)


@contextmanager
def live_server(app: FastAPI) -> Iterator[str]:
    """Run ``app`` under uvicorn in a thread on a free loopback port; yield its base URL."""
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port = int(probe.getsockname()[1])
    server = uvicorn.Server(
        uvicorn.Config(app, host="127.0.0.1", port=port, log_level="warning", lifespan="on")
    )
    thread = threading.Thread(target=server.run, name="test-gateway", daemon=True)
    thread.start()
    deadline = time.monotonic() + 30
    while not server.started:
        if time.monotonic() > deadline or not thread.is_alive():
            pytest.fail("the gateway did not start within 30 s")
        time.sleep(0.05)
    try:
        yield f"http://127.0.0.1:{port}"
    finally:
        server.should_exit = True
        thread.join(timeout=30)


def metric_sum(text: str, name: str, **labels: str) -> float:
    """The sum over every sample of ``name`` whose labels include ``labels``."""
    total = 0.0
    for line in text.splitlines():
        if line.startswith("#"):
            continue
        head, _, value = line.rpartition(" ")
        sample, _, label_text = head.partition("{")
        if sample != name:
            continue
        found = dict(
            part.split("=", 1) for part in label_text.rstrip("}").split(",") if "=" in part
        )
        if all(found.get(k) == f'"{v}"' for k, v in labels.items()):
            total += float(value)
    return total
