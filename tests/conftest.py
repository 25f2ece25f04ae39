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
import uuid
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any

import pandas as pd
import psycopg
import pytest
import sqlalchemy as sa

PACKAGE_DATA = Path(__file__).resolve().parents[1] / "src" / "monitml" / "data"
# Debian's Chromium (make test installs it), never a browser Playwright downloads. Without the
# background-networking flags it keeps dialling out, which this machine's network refuses.
CHROMIUM = Path("/usr/bin/chromium")
CHROMIUM_ARGS = [
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
]


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


@pytest.fixture
def postgres_url(postgres_server_url: str) -> Iterator[str]:
    """The test PostgreSQL in a fresh, private schema (the connections' ``search_path``), dropped
    afterwards, so tests and parallel runs never see each other's rows."""
    schema = f"monitml_test_{uuid.uuid4().hex[:12]}"
    admin = sa.create_engine(postgres_server_url)
    with admin.begin() as connection:
        connection.execute(sa.text(f'CREATE SCHEMA "{schema}"'))
    url = sa.make_url(postgres_server_url).update_query_dict({"options": f"-csearch_path={schema}"})
    try:
        yield url.render_as_string(hide_password=False)
    finally:
        with admin.begin() as connection:
            connection.execute(sa.text(f'DROP SCHEMA "{schema}" CASCADE'))
        admin.dispose()


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


def _runuser() -> str:
    """util-linux's runuser, also where root's PATH lacks the sbin folders (``env -i``, cron)."""
    for found in (shutil.which("runuser"), "/usr/sbin/runuser", "/sbin/runuser"):
        if found and os.access(found, os.X_OK):
            return found
    pytest.fail("running the tests as root needs util-linux's runuser to start PostgreSQL")


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
        as_user = [_runuser(), "-u", "postgres", "--"]

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
    with receiving_webhook() as receiver:
        yield receiver


@contextmanager
def receiving_webhook() -> Iterator[Webhook]:
    """A webhook receiver thread on a free loopback port, for as long as the block runs."""
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


@dataclass(frozen=True)
class PeriodConfig:
    """A configured regression model ``m`` with a logged period (see ``period_config``)."""

    path: Path
    start: float
    days: int


@pytest.fixture(scope="session")
def period_config(tmp_path_factory: pytest.TempPathFactory) -> PeriodConfig:
    """Model ``m`` (v1 and v2, numerical x1–x3) with 4 days of logs from 2026-03-01 UTC.

    v2 drifts on day 3 (x1 and x2 move 3σ: dataset drift) and over-predicts by 5; half the
    rows are labelled; the store holds one firing alert event of v2 on day 3.
    """
    import joblib  # noqa: PLC0415
    import numpy as np  # noqa: PLC0415
    import yaml  # noqa: PLC0415
    from sklearn.linear_model import LinearRegression  # noqa: PLC0415

    from monitml.store import PredictionStore  # noqa: PLC0415
    from monitml.store.records import LabelRecord, PredictionRecord  # noqa: PLC0415

    folder = tmp_path_factory.mktemp("period")
    rng = np.random.default_rng(11)
    columns = ["x1", "x2", "x3"]

    def features(n: int, shift: float) -> pd.DataFrame:
        return pd.DataFrame(
            {"x1": rng.normal(shift, 1, n), "x2": rng.normal(shift, 1, n), "x3": rng.random(n)}
        )

    def truth(frame: pd.DataFrame) -> Any:
        return 2 * frame["x1"] + frame["x2"]

    reference = features(2_000, 0.0)
    reference["y"] = truth(reference) + rng.normal(0, 0.1, len(reference))
    model = LinearRegression().fit(reference[columns], reference["y"])
    reference["prediction"] = model.predict(reference[columns])
    reference.to_parquet(folder / "reference.parquet")
    joblib.dump(model, folder / "model.joblib")
    store_url = f"sqlite:///{folder / 'store.db'}"
    config = {
        "store": {"url": store_url},
        "monitor": {"min_rows": 30},
        "models": {
            "m": {
                "task": "regression",
                "target": "y",
                "features": {"numerical": columns},
                "reference": "reference.parquet",
                "versions": {"v1": {"path": "model.joblib"}, "v2": {"path": "model.joblib"}},
                "routing": {"v1": 75, "v2": 25},
            }
        },
    }
    path = folder / "monitml.yaml"
    path.write_text(yaml.safe_dump(config))
    start, days, day = pd.Timestamp("2026-03-01", tz="UTC").timestamp(), 4, 86_400.0
    records, labels = [], []
    for version, n in (("v1", 120), ("v2", 60)):
        for d in range(days):
            frame = features(n, 3.0 if version == "v2" and d == 2 else 0.0)
            values = truth(frame) + (5.0 if version == "v2" else 0.0)
            for i, row in enumerate(frame.to_dict("records")):
                record_id = f"{version}-{d}-{i}"
                records.append(
                    PredictionRecord(
                        request_id=record_id,
                        record_id=record_id,
                        model="m",
                        version=version,
                        timestamp=start + d * day + (i + 0.5) * day / n,
                        features={k: float(v) for k, v in row.items()},
                        prediction=float(values.iloc[i]),
                        latency_seconds=0.01,
                    )
                )
                if i % 2 == 0:
                    label = float(truth(frame).iloc[i])
                    labels.append(LabelRecord("m", record_id, label, start + d * day))
    store = PredictionStore.from_url(store_url)
    try:
        store.insert_predictions(records)
        store.insert_labels(labels)
        store.save_alert_event(
            {
                "rule": "HighMeanError",
                "state": "firing",
                "starts_at": start + 2.5 * day,
                "model": "m",
                "version": "v2",
                "value": 5.0,
            }
        )
    finally:
        store.dispose()
    return PeriodConfig(path, start, days)


@pytest.fixture(scope="module")
def browser() -> Iterator[Any]:
    """Headless Debian Chromium driven by Playwright, one per test module."""
    if not CHROMIUM.exists():
        pytest.fail(f"{CHROMIUM} is missing: install Debian's chromium (make test does it)")
    from playwright import sync_api  # noqa: PLC0415 - only the browser tests need it

    with sync_api.sync_playwright() as playwright:
        chromium = playwright.chromium.launch(executable_path=str(CHROMIUM), args=CHROMIUM_ARGS)
        yield chromium
        chromium.close()
