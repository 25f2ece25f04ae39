"""``GET /models``, ``GET /models/{model}`` and ``PUT /models/{model}/routing``."""

from __future__ import annotations

import logging
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
logger = logging.getLogger(__name__)
_HISTORY_SHOWN = 10


@router.get("/models", summary="Every served model: versions, routing, features, promotion")
async def list_models(state: State) -> dict[str, Any]:
    try:
        promotions = await run_in_threadpool(state.store.list_promotions)
    except StoreError as error:  # the models are still served: list them without promotions
        logger.warning("GET /models: cannot read the promotions: %s", error)
        promotions = {}
    models = []
    for model in state.models.values():
        described = model.describe()
        described["promotion"] = _shown(promotions.get(model.name))
        models.append(described)
    return {"models": models}


@router.get(
    "/models/{model}",
    summary="One model: versions, routing, features and its promotion",
    description="``promotion`` is the state the promotion driver saved in the store (status, "
    "champion, challenger, step, weights, failed checks, the last checks, the newest "
    f"{_HISTORY_SHOWN} history entries), null when the model never had one or the store is "
    "unreachable.",
    responses={404: {"description": "No such model"}},
)
async def get_model(model: Model, state: State) -> dict[str, Any]:
    described = model.describe()
    try:
        saved = await run_in_threadpool(state.store.load_promotion, model.name)
    except StoreError as error:  # the model is still served: say so, without its promotion
        logger.warning("GET /models/%s: cannot read its promotion: %s", model.name, error)
        saved = None
    described["promotion"] = _shown(saved)
    return described


def _shown(saved: dict[str, Any] | None) -> dict[str, Any] | None:
    """The saved promotion as shown: without the error-rate baseline, the newest history."""
    if saved is None:
        return None
    shown = {k: v for k, v in saved.items() if k != "baseline"}
    shown["history"] = list(saved.get("history", []))[-_HISTORY_SHOWN:]
    return shown


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
