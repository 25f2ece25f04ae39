"""Refuse what the gateway cannot take before doing any work for it.

``BodySizeLimit``: bodies over a size, before anything reads them into memory.
``ConcurrencyLimit``: requests past a number in flight, at once, instead of queueing them
without bound (a queue nobody bounds turns overload into timeouts for everyone).
"""

from __future__ import annotations

from collections.abc import Callable

from fastapi import HTTPException
from starlette.types import ASGIApp, Message, Receive, Scope, Send

__all__ = ["BodySizeLimit", "ConcurrencyLimit"]


class BodySizeLimit:
    """ASGI middleware: 413 when ``Content-Length`` or the bytes actually sent exceed a limit.

    A declared length over the limit is answered at once; a chunked body is counted as it
    arrives and the request fails with 413 as soon as it passes the limit.
    """

    def __init__(self, app: ASGIApp, max_body_bytes: int) -> None:
        self.app = app
        self.max_body_bytes = max_body_bytes

    def _refusal(self, size: int | None = None) -> HTTPException:
        told = f"{size} bytes" if size is not None else "more"
        return HTTPException(
            status_code=413,
            detail=f"The request body is {told}; the limit is {self.max_body_bytes} bytes.",
        )

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        for name, value in scope["headers"]:
            if name == b"content-length":
                try:
                    declared = int(value)
                except ValueError:
                    declared = 0
                if declared > self.max_body_bytes:
                    await _send_refusal(send, self._refusal(declared))
                    return
        received = 0

        async def counting_receive() -> Message:
            nonlocal received
            message = await receive()
            if message["type"] == "http.request":
                received += len(message.get("body", b""))
                if received > self.max_body_bytes:
                    # FastAPI passes HTTPExceptions raised while reading the body through.
                    raise self._refusal()
            return message

        await self.app(scope, counting_receive, send)


class ConcurrencyLimit:
    """ASGI middleware: past ``max_concurrency`` requests in flight under ``prefix``, a 503.

    The refusal costs no parsing and carries ``Retry-After``; ``on_reject`` counts it. Paths
    outside ``prefix`` (health, metrics, docs) are never refused, so that probes and scrapes
    still answer under overload. Counted per process: one event loop, no lock needed.
    """

    def __init__(
        self,
        app: ASGIApp,
        max_concurrency: int,
        *,
        prefix: str = "/models",
        retry_after: int = 1,
        on_reject: Callable[[], None] | None = None,
    ) -> None:
        if max_concurrency < 1:
            raise ValueError(
                "The 'max_concurrency' parameter of ConcurrencyLimit must be >= 1. "
                f"Got {max_concurrency!r} instead."
            )
        self.app = app
        self.max_concurrency = max_concurrency
        self.prefix = prefix
        self.retry_after = retry_after
        self.on_reject = on_reject
        self.in_flight = 0

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http" or not scope["path"].startswith(self.prefix):
            await self.app(scope, receive, send)
            return
        if self.in_flight >= self.max_concurrency:
            if self.on_reject is not None:
                self.on_reject()
            detail = (
                f"The gateway is handling {self.max_concurrency} requests "
                "(server.max_concurrency); retry after Retry-After seconds."
            )
            retry = [(b"retry-after", str(self.retry_after).encode())]
            await _send_refusal(send, HTTPException(503, detail), retry, close=False)
            return
        self.in_flight += 1
        try:
            await self.app(scope, receive, send)
        finally:
            self.in_flight -= 1


async def _send_refusal(
    send: Send,
    error: HTTPException,
    headers: list[tuple[bytes, bytes]] | None = None,
    *,
    close: bool = True,
) -> None:
    body = ('{"detail":"' + str(error.detail) + '"}').encode()
    head = [
        (b"content-type", b"application/json"),
        (b"content-length", str(len(body)).encode()),
        *(headers or []),
    ]
    if close:  # the unread body would otherwise be taken for the next request
        head.append((b"connection", b"close"))
    await send({"type": "http.response.start", "status": error.status_code, "headers": head})
    await send({"type": "http.response.body", "body": body})
