"""Fixtures for the alerts tests: a real local HTTP receiver and rule builders."""

from __future__ import annotations

import json
import threading
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

import pytest

from monitml.alerts import AlertRule


@dataclass
class Received:
    path: str
    headers: dict[str, str]
    body: Any


@dataclass
class Receiver:
    """An HTTP server on a free loopback port that records every POST.

    ``statuses`` are answered in turn (200 once they run out), to script a failing receiver.
    """

    server: ThreadingHTTPServer
    statuses: list[int] = field(default_factory=list)
    requests: list[Received] = field(default_factory=list)
    changed: threading.Condition = field(default_factory=threading.Condition)

    @property
    def url(self) -> str:
        host, port = self.server.server_address[:2]
        return f"http://{host!s}:{port}/hook"

    def wait_for(self, count: int, timeout: float = 5.0) -> list[Received]:
        deadline = time.monotonic() + timeout
        with self.changed:
            while len(self.requests) < count:
                left = deadline - time.monotonic()
                if left <= 0:
                    raise AssertionError(f"got {len(self.requests)} requests, wanted {count}")
                self.changed.wait(left)
            return list(self.requests)


@pytest.fixture
def receiver() -> Iterator[Receiver]:
    holder: list[Receiver] = []

    class Handler(BaseHTTPRequestHandler):
        def do_POST(self) -> None:
            target = holder[0]
            length = int(self.headers.get("Content-Length", "0"))
            raw = self.rfile.read(length)
            with target.changed:
                status = target.statuses.pop(0) if target.statuses else 200
                target.requests.append(
                    Received(self.path, dict(self.headers.items()), json.loads(raw or b"null"))
                )
                target.changed.notify_all()
            self.send_response(status)
            self.send_header("Content-Length", "0")
            self.end_headers()

        def log_message(self, format: str, *args: Any) -> None:
            pass

    server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    holder.append(Receiver(server))
    thread = threading.Thread(target=server.serve_forever, args=(0.05,), daemon=True)
    thread.start()
    try:
        yield holder[0]
    finally:
        server.shutdown()
        server.server_close()
        thread.join(5)


RuleFactory = Callable[..., AlertRule]


@pytest.fixture
def make_rule() -> RuleFactory:
    """``make_rule(expr=..., for_="30s", version=...)`` with the house-price defaults."""

    def build(**overrides: Any) -> AlertRule:
        values: dict[str, Any] = {
            "name": "LowAveragePrediction",
            "model": "house-price",
            "expr": "prediction_mean < 100000",
        }
        if "for_" in overrides:
            overrides["for"] = overrides.pop("for_")
        values.update(overrides)
        return AlertRule.model_validate(values)

    return build
