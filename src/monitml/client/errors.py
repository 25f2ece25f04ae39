"""What the client raises: the gateway said no (with its own message), or it cannot be reached."""

from __future__ import annotations

from typing import Any

from monitml.errors import MonitmlError

__all__ = ["GatewayError", "UnreachableError"]


class GatewayError(MonitmlError):
    """The gateway answered with a 4xx or 5xx; the message is the gateway's own.

    ``detail`` is the ``detail`` of the answer as sent (a string, or FastAPI's list of
    ``{"loc", "msg", "type"}`` for a 422).
    """

    def __init__(self, method: str, path: str, status_code: int, detail: Any) -> None:
        self.method = method
        self.path = path
        self.status_code = status_code
        self.detail = detail
        super().__init__(f"{method} {path} answered {status_code}: {describe(detail)}")


class UnreachableError(MonitmlError):
    """No answer: connection refused, timeout, or a broken connection."""


def describe(detail: Any) -> str:
    """One line from a FastAPI ``detail``: ``gr_liv_area: Field required; …``."""
    if isinstance(detail, list):
        parts = []
        for item in detail:
            if isinstance(item, dict):
                where = [str(p) for p in item.get("loc", []) if p not in ("body", "record")]
                message = str(item.get("msg", item))
                parts.append(f"{'.'.join(where)}: {message}" if where else message)
            else:
                parts.append(str(item))
        return "; ".join(parts) or "no detail"
    if detail is None or detail == "":
        return "no detail"
    return str(detail)
