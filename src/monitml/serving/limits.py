"""Refuse request bodies over a size before anything reads them into memory."""

from __future__ import annotations

from fastapi import HTTPException
from starlette.types import ASGIApp, Message, Receive, Scope, Send

__all__ = ["BodySizeLimit"]


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


async def _send_refusal(send: Send, error: HTTPException) -> None:
    body = ('{"detail":"' + str(error.detail) + '"}').encode()
    await send(
        {
            "type": "http.response.start",
            "status": error.status_code,
            "headers": [
                (b"content-type", b"application/json"),
                (b"content-length", str(len(body)).encode()),
                (b"connection", b"close"),
            ],
        }
    )
    await send({"type": "http.response.body", "body": body})
