"""Fixtures shared across the suite."""

from __future__ import annotations

import contextlib
import json
import os
import shutil
import socket
import subprocess
import tempfile
import threading
import time
from collections.abc import Callable, Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any

import pandas as pd
import psycopg
import pytest
import sqlalchemy as sa

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


POSTGRES_ENV = "MONITML_TEST_POSTGRES_URL"
POSTGRES_DATABASE = "monitml_test"
POSTGRES_START_ATTEMPTS = 3  # a free port can be taken between choosing it and binding it


@pytest.fixture(scope="session")
def postgres_server_url() -> Iterator[str]:
    """The test PostgreSQL as a ``postgresql+psycopg://`` URL: the server named by
    ``MONITML_TEST_POSTGRES_URL``, or else a throwaway cluster (initdb in a temporary folder,
    trust auth on a free loopback port) started for this session and removed at its end."""
    named = os.environ.get(POSTGRES_ENV)
    if not named:
        with throwaway_postgres() as started:
            yield started
        return
    url = sa.make_url(named).set(drivername="postgresql+psycopg")
    libpq = url.set(drivername="postgresql").render_as_string(hide_password=False)
    try:
        psycopg.connect(libpq, connect_timeout=5).close()
    except psycopg.Error as exc:
        problem = str(exc).strip()
    else:
        problem = ""
    if problem:
        shown = url.render_as_string(hide_password=True)
        pytest.fail(f"{POSTGRES_ENV}={shown} names no PostgreSQL that answers: {problem}")
    yield url.render_as_string(hide_password=False)


def postgres_bindir() -> Path:
    """Where initdb and pg_ctl live: ``pg_config --bindir``, else Debian's newest version."""
    candidates: list[Path] = []
    pg_config = shutil.which("pg_config")
    if pg_config is not None:
        done = subprocess.run([pg_config, "--bindir"], capture_output=True, text=True, check=False)
        candidates.append(Path(done.stdout.strip()))
    debian = Path("/usr/lib/postgresql").glob("*/bin")
    candidates += sorted(debian, key=lambda path: _version_key(path.parent.name), reverse=True)
    for folder in candidates:
        if (folder / "initdb").is_file() and (folder / "pg_ctl").is_file():
            return folder
    pytest.fail(
        "PostgreSQL's initdb and pg_ctl are missing (neither in `pg_config --bindir` nor in "
        "/usr/lib/postgresql/*/bin): `make test` installs Debian's postgresql, "
        f"or set {POSTGRES_ENV} to a running server"
    )


def _version_key(name: str) -> tuple[int, ...]:
    return tuple(int(part) for part in name.split(".") if part.isdigit())


@contextlib.contextmanager
def throwaway_postgres() -> Iterator[str]:
    """initdb, pg_ctl start, one database; pg_ctl stop and the folder removed on exit."""
    bindir = postgres_bindir()
    folder = Path(tempfile.mkdtemp(prefix="monitml-postgres-"))
    data, log = folder / "data", folder / "server.log"
    # initdb and the server refuse to run as root: then the cluster belongs to `postgres`.
    as_user: list[str] = []
    if os.geteuid() == 0:
        shutil.chown(folder, user="postgres", group="postgres")
        as_user = ["runuser", "-u", "postgres", "--"]

    def run(tool: str, *args: str) -> subprocess.CompletedProcess[str]:
        command = [*as_user, str(bindir / tool), *args]
        return subprocess.run(command, cwd=folder, capture_output=True, text=True, check=False)

    def failure(tool: str, done: subprocess.CompletedProcess[str]) -> str:
        server_log = log.read_text(errors="replace")[-2000:] if log.exists() else ""
        output = done.stdout + done.stderr
        return f"PostgreSQL's {tool} failed ({done.returncode}): {output}{server_log}"

    try:
        init = ["-D", str(data), "-U", "postgres", "-A", "trust", "-E", "UTF8", "--no-locale"]
        done = run("initdb", *init, "--no-sync")
        if done.returncode != 0:
            pytest.fail(failure("initdb", done))
        for _ in range(POSTGRES_START_ATTEMPTS):
            port = _free_port()
            settings = (
                f"-c listen_addresses=127.0.0.1 -c port={port} -c unix_socket_directories={folder}"
                " -c fsync=off -c synchronous_commit=off -c full_page_writes=off"
            )
            done = run("pg_ctl", "-D", str(data), "-l", str(log), "-o", settings, "-w", "start")
            if done.returncode == 0:
                break
        else:
            pytest.fail(failure("pg_ctl start", done))
        with psycopg.connect(
            f"host=127.0.0.1 port={port} user=postgres dbname=postgres", autocommit=True
        ) as admin:
            admin.execute(f'CREATE DATABASE "{POSTGRES_DATABASE}"')
        yield f"postgresql+psycopg://postgres@127.0.0.1:{port}/{POSTGRES_DATABASE}"
    finally:
        try:
            if (data / "postmaster.pid").exists():
                done = run("pg_ctl", "-D", str(data), "-m", "immediate", "-w", "stop")
                if done.returncode != 0:
                    pytest.fail(failure("pg_ctl stop", done))
        finally:
            shutil.rmtree(folder, ignore_errors=True)


def _free_port() -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


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
