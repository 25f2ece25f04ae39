"""The monitor's own HTTP server: ``/metrics`` exactly as before, and the dashboard at ``/ui``.

``monitml monitor`` used prometheus_client's ``start_http_server``; it now runs this app with
uvicorn. ``/metrics`` is prometheus_client's own ASGI app (same text, same content type, the
same ``name[]`` filter and gzip), so scrapers see no difference.
"""

from __future__ import annotations

from typing import Any

from prometheus_client import CollectorRegistry, make_asgi_app
from starlette.applications import Starlette
from starlette.responses import RedirectResponse, Response
from starlette.routing import Mount, Route
from starlette.types import ASGIApp, Receive, Scope, Send

__all__ = ["monitor_server_app"]


class _Raw:
    """An ASGI app as a route endpoint (Starlette wraps plain functions as request handlers)."""

    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        await self.app(scope, receive, send)


def monitor_server_app(registry: CollectorRegistry, dashboard: ASGIApp) -> Starlette:
    """``/metrics`` from ``registry``, ``/ui`` the dashboard, ``/`` a redirect to it."""
    metrics: Any = make_asgi_app(registry)

    def home(_request: Any) -> Response:
        return RedirectResponse("/ui/")

    return Starlette(
        routes=[
            Route("/metrics", _Raw(metrics)),
            Route("/", home),
            Mount("/ui", dashboard),
        ]
    )
