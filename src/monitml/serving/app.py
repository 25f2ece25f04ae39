"""``create_app``: the gateway as a FastAPI application, from loaded models and a writer.

>>> writer = LogWriter(store, spill_path=spill)                     # doctest: +SKIP
>>> app = create_app([model], store=store, writer=writer)          # doctest: +SKIP

The application starts the writer when it starts and closes it (writing or spilling everything
queued) when it stops. Reading settings, loading models and opening the store happen in the
composition root, ``monitml.app.gateway``.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
from collections.abc import AsyncIterator, Callable, Sequence
from contextlib import asynccontextmanager

from fastapi import FastAPI, Request
from fastapi.exception_handlers import http_exception_handler
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse, Response
from starlette.concurrency import run_in_threadpool
from starlette.exceptions import HTTPException

from monitml.errors import StoreError
from monitml.serving.handoff import LogHandoff
from monitml.serving.labels import LabelWindow
from monitml.serving.limits import BodySizeLimit, ConcurrencyLimit
from monitml.serving.metrics import GatewayMetrics
from monitml.serving.model import ServedModel
from monitml.serving.registered import RegisteredVersions
from monitml.serving.routers import health, models
from monitml.serving.routers.predict import RETRY_AFTER_SECONDS, model_router
from monitml.serving.routing_state import ROUTING_POLL_SECONDS, RoutingState
from monitml.serving.schemas import build_schemas
from monitml.serving.state import GatewayState
from monitml.store import LogWriter, PredictionStore

__all__ = ["create_app"]

_REFRESH_SECONDS = ROUTING_POLL_SECONDS
logger = logging.getLogger(__name__)
# What FastAPI answers (400) to a body it cannot even decode; invalid input is a 422 here.
_UNPARSABLE_BODY = "There was an error parsing the body"


def create_app(
    served: Sequence[ServedModel],
    *,
    store: PredictionStore,
    writer: LogWriter,
    metrics: GatewayMetrics | None = None,
    routing_state: RoutingState | None = None,
    registered: RegisteredVersions | None = None,
    admin_token: str | None = None,
    ingest_token: str | None = None,
    predict_token: str | None = None,
    allow_external_versions: bool = False,
    label_window: float = 30 * 86_400.0,
    max_body_bytes: int = 1_048_576,
    max_batch: int = 1_000,
    max_concurrency: int | None = None,
    log_queue: int = 100_000,
    shutdown_timeout: float = 10.0,
    on_shutdown: Callable[[], None] | None = None,
) -> FastAPI:
    """The gateway for ``served`` models.

    ``writer`` must not be started yet: the app starts it, and closes it on shutdown, then
    calls ``on_shutdown`` (the composition root disposes of the store there). Routing saved in
    ``routing_state`` overrides the models' routing at start; ``PUT /models/{m}/routing``
    (allowed with ``admin_token``) writes it there. With ``ingest_token``, ``/log`` and
    ``/feedback`` need it as a bearer token; with ``predict_token``, ``/predict`` does.
    ``/log`` takes only the models' versions unless ``allow_external_versions``; labels for
    unknown ids are taken for ``label_window`` seconds (``monitml.serving.labels``). Past
    ``max_concurrency`` requests in flight under ``/models``, the answer is a 503.
    With ``registered``, versions registered in the store (``monitml retrain``) are loaded at
    start and as they appear (``monitml.serving.registered``).
    ``log_queue`` must be the writer's ``max_queue``: answered records are handed to it in
    groups (``monitml.serving.handoff``) only while it has room for them.
    """
    names = [model.name for model in served]
    if len(set(names)) != len(names):
        raise ValueError(f"The model names must be distinct. Got {names} instead.")
    handoff = LogHandoff(writer, capacity=log_queue, max_group=writer.batch_size)
    state = GatewayState(
        models={model.name: model for model in served},
        store=store,
        writer=writer,
        metrics=metrics if metrics is not None else GatewayMetrics(),
        routing_state=routing_state,
        registered=registered,
        admin_token=admin_token,
        ingest_token=ingest_token,
        predict_token=predict_token,
        label_window=LabelWindow(label_window),
        handoff=handoff,
    )

    @asynccontextmanager
    async def lifespan(_app: FastAPI) -> AsyncIterator[None]:
        state.load_registered()  # before the saved routing, which may name them
        state.apply_saved_routing()
        state.publish_models()
        writer.start()
        refresher = asyncio.create_task(_refresh(state))
        handing_off = asyncio.create_task(handoff.run())
        state.ready = True
        try:
            yield
        finally:
            state.ready = False
            refresher.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await refresher
            handing_off.cancel()
            await handing_off
            handoff.flush()  # what answered requests left here goes to the writer, then closes
            await run_in_threadpool(writer.close, shutdown_timeout)
            state.refresh_log_metrics()
            state.metrics.process_exited()
            if on_shutdown is not None:
                on_shutdown()

    app = FastAPI(
        title="MonitML gateway",
        summary="Serve models, log every prediction, take labels later.",
        version="1",
        lifespan=lifespan,
    )
    app.state.gateway = state
    predict_paths: dict[str, str] = {}
    for model in served:
        versions = None if allow_external_versions else list(model.versions)
        schemas = build_schemas(
            model.name, model.features, model.task, model.target, max_batch, versions
        )
        # Straight onto the app, not as an included router: one match less per request.
        app.router.routes.extend(model_router(model, schemas, state, versions).routes)
        predict_paths[f"/models/{model.name}/predict"] = model.name
    app.include_router(models.router)
    app.include_router(health.router)
    app.add_middleware(BodySizeLimit, max_body_bytes=max_body_bytes)
    if max_concurrency is not None:
        app.add_middleware(
            ConcurrencyLimit,
            max_concurrency=max_concurrency,
            retry_after=RETRY_AFTER_SECONDS,
            on_reject=lambda: state.metrics.rejected("overload"),
        )

    @app.exception_handler(RequestValidationError)
    async def invalid_input(request: Request, error: RequestValidationError) -> JSONResponse:
        model = predict_paths.get(request.url.path)
        if model is not None:
            state.metrics.invalid(model)
        # Only where and what: echoing the input back could hold a NaN JSON cannot carry.
        detail = [
            {"loc": list(item["loc"]), "msg": item["msg"], "type": item["type"]}
            for item in error.errors()
        ]
        return JSONResponse({"detail": detail}, status_code=422)

    @app.exception_handler(HTTPException)
    async def http_error(request: Request, error: HTTPException) -> Response:
        if error.status_code == 400 and error.detail == _UNPARSABLE_BODY:
            model = predict_paths.get(request.url.path)
            if model is not None:
                state.metrics.invalid(model)
            detail = [{"loc": ["body"], "msg": "The body is not JSON.", "type": "json_invalid"}]
            return JSONResponse({"detail": detail}, status_code=422)
        return await http_exception_handler(request, error)

    return app


async def _refresh(state: GatewayState) -> None:
    """Keep the log gauges and the routing current in every worker, off the request path."""
    while True:
        await asyncio.sleep(_REFRESH_SECONDS)
        state.refresh_log_metrics()
        try:
            await run_in_threadpool(state.sync_routing)  # a store query: not on the loop
        except StoreError as error:  # keep routing as last known; try again next time
            logger.warning("Cannot read the routing from the store: %s", error)
