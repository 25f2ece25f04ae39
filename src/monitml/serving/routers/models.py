"""``GET /models``, ``GET /models/{model}`` and ``PUT /models/{model}/routing``."""

from __future__ import annotations

from typing import Any

from fastapi import APIRouter, HTTPException
from starlette.concurrency import run_in_threadpool

from monitml.errors import StoreError
from monitml.serving.deps import Admin, Model, State
from monitml.serving.routing import Routing, check_routing
from monitml.serving.schemas import RoutingChange

__all__ = ["router"]

# Every route under /models may be refused at once past server.max_concurrency.
_OVERLOAD: dict[int | str, dict[str, Any]] = {
    503: {
        "description": "Overloaded; retry after Retry-After seconds",
        "headers": {"Retry-After": {"schema": {"type": "integer"}}},
    }
}
router = APIRouter(tags=["models"], responses=_OVERLOAD)


@router.get("/models", summary="Every served model: versions, routing and features")
async def list_models(state: State) -> dict[str, Any]:
    return {"models": [model.describe() for model in state.models.values()]}


@router.get(
    "/models/{model}",
    summary="One model: versions, routing and features",
    responses={404: {"description": "No such model"}},
)
async def get_model(model: Model) -> dict[str, Any]:
    return model.describe()


@router.put(
    "/models/{model}/routing",
    summary="Change the routing weights and shadow versions (admin)",
    description="Saved in the store: in force on every replica and worker within a second, "
    "and kept across restarts.",
    responses={
        401: {"description": "No bearer token"},
        403: {"description": "Wrong token, or changes disabled"},
        404: {"description": "No such model"},
        422: {"description": "Unknown version, or weights not summing to 100"},
        503: {
            **_OVERLOAD[503],
            "description": "Overloaded, or the store is unreachable (the routing is unchanged)",
        },
    },
)
async def change_routing(
    model: Model, change: RoutingChange, state: State, _admin: Admin
) -> dict[str, Any]:
    shadow = list(model.routing.shadow) if change.shadow is None else change.shadow
    try:
        check_routing(change.routing, shadow, model.versions)
        routing = Routing(change.routing, tuple(shadow))
    except ValueError as error:
        detail = str(error).lstrip(".")
        raise HTTPException(status_code=422, detail=detail) from error
    try:
        await run_in_threadpool(state.change_routing, model, routing)
    except StoreError as error:  # not saved, so not applied anywhere
        raise HTTPException(status_code=503, detail=f"routing not changed: {error}") from error
    return model.describe()
