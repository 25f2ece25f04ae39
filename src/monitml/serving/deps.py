"""Dependencies as ``Annotated`` aliases: the shared state and the admin check."""

from __future__ import annotations

import hmac
from typing import Annotated

from fastapi import Depends, HTTPException, Request
from fastapi.security import HTTPAuthorizationCredentials, HTTPBearer

from monitml.serving.model import ServedModel
from monitml.serving.state import GatewayState

__all__ = ["Admin", "Model", "State"]

_bearer = HTTPBearer(auto_error=False, description="The admin token (see auth.admin_token_env).")


def _state(request: Request) -> GatewayState:
    state: GatewayState = request.app.state.gateway
    return state


State = Annotated[GatewayState, Depends(_state)]


def _model(model: str, state: State) -> ServedModel:
    found = state.models.get(model)
    if found is None:
        raise HTTPException(
            status_code=404, detail=f"No model {model!r}; the models are {sorted(state.models)}."
        )
    return found


Model = Annotated[ServedModel, Depends(_model)]


def _admin(
    state: State,
    credentials: Annotated[HTTPAuthorizationCredentials | None, Depends(_bearer)],
) -> None:
    if credentials is None:
        raise HTTPException(
            status_code=401,
            detail="An admin bearer token is required.",
            headers={"WWW-Authenticate": "Bearer"},
        )
    expected = state.admin_token
    if expected is None:
        raise HTTPException(
            status_code=403,
            detail="Changes are disabled: the admin token's environment variable is not set.",
        )
    if not hmac.compare_digest(credentials.credentials.encode(), expected.encode()):
        raise HTTPException(status_code=403, detail="The admin token is wrong.")


Admin = Annotated[None, Depends(_admin)]
