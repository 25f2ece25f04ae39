"""What the demo runs in its own process: the gateway on a loopback port, and a receiver
that prints the alert notifications it is sent (Alertmanager's webhook JSON, version 4)."""

from __future__ import annotations

import json
import socket
import threading
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

import uvicorn

from monitml.app.gateway import build_gateway_app
from monitml.config import Settings
from monitml.errors import ConfigError

__all__ = ["NotificationReceiver", "free_port", "running_gateway"]


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


@contextmanager
def running_gateway(settings: Settings, *, timeout: float = 30.0) -> Iterator[str]:
    """Serve ``settings`` in a thread of this process; yield the base URL.

    On the way out the gateway drains its log writer, so every answered prediction is stored.
    """
    app = build_gateway_app(settings)
    config = uvicorn.Config(
        app, host=settings.server.host, port=settings.server.port, log_level="warning"
    )
    server = uvicorn.Server(config)
    thread = threading.Thread(target=server.run, name="demo-gateway", daemon=True)
    thread.start()
    deadline = time.monotonic() + timeout
    while not server.started:
        if not thread.is_alive() or time.monotonic() > deadline:
            server.should_exit = True
            raise ConfigError(
                f"server.port: the demo's gateway could not start on "
                f"{settings.server.host}:{settings.server.port}"
            )
        time.sleep(0.02)
    try:
        yield f"http://{settings.server.host}:{settings.server.port}"
    finally:
        server.should_exit = True
        thread.join(timeout=timeout)


@dataclass
class NotificationReceiver:
    """A webhook channel's other end: collects each notification and hands it to ``show``."""

    show: Callable[[dict[str, Any]], None]
    received: list[dict[str, Any]] = field(default_factory=list)
    _server: ThreadingHTTPServer | None = None

    @property
    def url(self) -> str:
        if self._server is None:
            raise RuntimeError("the receiver is not started")
        host, port = self._server.server_address[:2]
        return f"http://{host!s}:{port}/alerts"

    def __enter__(self) -> NotificationReceiver:
        receiver = self

        class Handler(BaseHTTPRequestHandler):
            def do_POST(self) -> None:
                body = json.loads(self.rfile.read(int(self.headers.get("Content-Length", 0))))
                receiver.received.append(body)
                receiver.show(body)
                self.send_response(200)
                self.end_headers()

            def log_message(self, format: str, *args: Any) -> None:
                return

        self._server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        threading.Thread(target=self._server.serve_forever, daemon=True).start()
        return self

    def __exit__(self, *exc: object) -> None:
        if self._server is not None:
            self._server.shutdown()
            self._server.server_close()
