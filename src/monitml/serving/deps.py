"""Dependencies as ``Annotated`` aliases: the shared state and the bearer-token checks.

Three tokens, each read by the composition root from the variable its ``auth`` key names:
admin (``PUT /models/{m}/routing``), ingest (``/log`` and ``/feedback``) and predict
(``/predict``). A missing or malformed ``Authorization`` header is a 401 with
``WWW-Authenticate: Bearer``; a wrong token is a 403. Tokens are compared in constant time
(``hmac.compare_digest``) and never appear in an answer, a log line or a metric.
"""

from __future__ import annotations

import hmac
from typing import Annotated

from fastapi import Depends, HTTPException, Request
from fastapi.security import HTTPAuthorizationCredentials, HTTPBearer

from monitml.serving.model import ServedModel
from monitml.serving.state import GatewayState

__all__ = ["Admin", "Model", "State", "check_token", "require_ingest", "require_predict"]

_admin_bearer = HTTPBearer(
    auto_error=False, scheme_name="admin", description="The admin token (auth.admin_token_env)."
)
_ingest_bearer = HTTPBearer(
    auto_error=False,
    scheme_name="ingest",
    description="The ingest token of /log and /feedback (auth.ingest_token_env).",
)
_predict_bearer = HTTPBearer(
    auto_error=False,
    scheme_name="predict",
    description="The token of /predict (auth.predict_token_env).",
)


async def _state(request: Request) -> GatewayState:
    state: GatewayState = request.app.state.gateway
    return state


State = Annotated[GatewayState, Depends(_state)]


async def _model(model: str, state: State) -> ServedModel:
    found = state.models.get(model)
    if found is None:
        raise HTTPException(
            status_code=404, detail=f"No model {model!r}; the models are {sorted(state.models)}."
        )
    return found


Model = Annotated[ServedModel, Depends(_model)]


def check_token(credentials: HTTPAuthorizationCredentials | None, expected: str, what: str) -> None:
    """401 without a bearer token, 403 with a wrong one; ``what`` names the token."""
    if credentials is None:
        article = "An" if what[:1] in "aeiou" else "A"
        raise HTTPException(
            status_code=401,
            detail=f"{article} {what} bearer token is required (Authorization: Bearer <token>).",
            headers={"WWW-Authenticate": "Bearer"},
        )
    if not hmac.compare_digest(credentials.credentials.encode(), expected.encode()):
        raise HTTPException(status_code=403, detail=f"The {what} token is wrong.")


async def _admin(
    state: State,
    credentials: Annotated[HTTPAuthorizationCredentials | None, Depends(_admin_bearer)],
) -> None:
    if credentials is not None and state.admin_token is None:
        raise HTTPException(
            status_code=403,
            detail="Changes are disabled: the admin token's environment variable is not set.",
        )
    check_token(credentials, state.admin_token or "", "admin")


async def require_ingest(
    state: State,
    credentials: Annotated[HTTPAuthorizationCredentials | None, Depends(_ingest_bearer)],
) -> None:
    """Route dependency of /log and /feedback, added only when an ingest token is set."""
    if state.ingest_token is not None:
        check_token(credentials, state.ingest_token, "ingest")


async def require_predict(
    state: State,
    credentials: Annotated[HTTPAuthorizationCredentials | None, Depends(_predict_bearer)],
) -> None:
    """Route dependency of /predict, added only when a predict token is set."""
    if state.predict_token is not None:
        check_token(credentials, state.predict_token, "predict")


Admin = Annotated[None, Depends(_admin)]
