"""Fixtures shared across the suite."""

from __future__ import annotations

import json
import os
import threading
import time
from collections.abc import Callable, Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any

import pandas as pd
import pytest

PACKAGE_DATA = Path(__file__).resolve().parents[1] / "src" / "monitml" / "data"


@pytest.fixture(scope="session")
def flights_3m() -> pd.DataFrame:
    """US flights Jan–Jun 2001 (3,000,000 rows), from npm's vega-datasets via `make test`."""
    folder = os.environ.get(
        "MONITML_TEST_DATASETS", str(Path(__file__).resolve().parents[1] / ".cache/datasets")
    )
    path = Path(folder) / "flights-3m.parquet"
    if not path.exists():
        pytest.fail(f"{path} is missing: run `make test-data` (make test does it)")
    return pd.read_parquet(path)


@pytest.fixture(scope="session")
def flights_2013() -> tuple[pd.DataFrame, pd.DataFrame]:
    """The shipped NYC flights samples: Jan–Mar and Jul–Sep 2013."""
    return (
        pd.read_parquet(PACKAGE_DATA / "flights_reference.parquet"),
        pd.read_parquet(PACKAGE_DATA / "flights_current.parquet"),
    )


class Webhook:
    """Alertmanager webhook bodies received so far, and a way to wait for one."""

    def __init__(self, server: ThreadingHTTPServer) -> None:
        self.server = server
        self.bodies: list[dict[str, Any]] = []
        self.changed = threading.Condition()

    @property
    def url(self) -> str:
        host, port = self.server.server_address[:2]
        return f"http://{host!s}:{port}/alerts"

    def wait_for(
        self, match: Callable[[dict[str, Any]], bool], *, timeout: float, what: str
    ) -> dict[str, Any]:
        deadline = time.monotonic() + timeout
        seen = 0
        with self.changed:
            while True:
                for body in self.bodies[seen:]:
                    if match(body):
                        return body
                seen = len(self.bodies)
                left = deadline - time.monotonic()
                if left <= 0:
                    got = json.dumps(self.bodies, indent=1)[:3000]
                    raise AssertionError(f"no {what} within {timeout:.0f} s; received: {got}")
                self.changed.wait(left)


@pytest.fixture
def webhook() -> Iterator[Webhook]:
    holder: list[Webhook] = []

    class Handler(BaseHTTPRequestHandler):
        def do_POST(self) -> None:
            length = int(self.headers.get("Content-Length", "0"))
            body = json.loads(self.rfile.read(length) or b"{}")
            target = holder[0]
            with target.changed:
                target.bodies.append(body)
                target.changed.notify_all()
            self.send_response(200)
            self.send_header("Content-Length", "0")
            self.end_headers()

        def log_message(self, format: str, *args: Any) -> None:
            pass

    server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    holder.append(Webhook(server))
    thread = threading.Thread(target=server.serve_forever, args=(0.05,), daemon=True)
    thread.start()
    try:
        yield holder[0]
    finally:
        server.shutdown()
        server.server_close()
        thread.join(5)
