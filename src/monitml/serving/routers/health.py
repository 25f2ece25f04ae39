"""``/health/live``, ``/health/ready`` and ``/metrics``."""

from __future__ import annotations

from typing import Any

from fastapi import APIRouter, Response
from fastapi.responses import JSONResponse

from monitml.serving.deps import State
from monitml.serving.metrics import CONTENT_TYPE_LATEST

__all__ = ["router"]

router = APIRouter(tags=["operations"])


@router.get("/health/live", summary="The process answers")
async def live() -> dict[str, str]:
    return {"status": "ok"}


@router.get(
    "/health/ready",
    summary="Models are loaded and the log writer runs",
    responses={503: {"description": "Starting or stopping"}},
)
async def ready(state: State) -> Any:
    body = {
        "status": "ready" if state.ready else "not ready",
        "models": sorted(state.models),
        "log_queue_depth": state.writer.queue_depth,
    }
    return JSONResponse(body, status_code=200 if state.ready else 503)


@router.get(
    "/metrics",
    summary="Prometheus metrics",
    response_class=Response,
    responses={200: {"content": {CONTENT_TYPE_LATEST: {}}}},
)
def metrics(state: State) -> Response:
    state.refresh_log_metrics()
    return Response(state.metrics.render(), media_type=CONTENT_TYPE_LATEST)
