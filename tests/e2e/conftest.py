"""Real servers for end-to-end tests, each on a free loopback port, started and stopped here.

- ``demo_config``: the Ames house-price demo (v1 gradient boosting, v2 always 100, 75/25),
  trained once per session into a temporary folder.
- ``start_gateway(config)``: ``monitml serve`` as a subprocess, ready when ``/health/ready`` is.
- ``start_prometheus(rules, scrape, alertmanager)`` and ``start_alertmanager(config)``: Debian's
  binaries with a temporary data folder, 1 s scrape and evaluation intervals.
- ``webhook``: an HTTP receiver thread collecting Alertmanager webhook bodies (version 4).
- ``Traffic``: a thread sending the demo's held-out sales to the gateway until stopped.
"""

from __future__ import annotations

import json
import os
import shutil
import socket
import subprocess
import sys
import threading
import time
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import httpx
import pandas as pd
import pytest

ADMIN_TOKEN = "e2e-admin-token"
ALERTMANAGER_BINARY = "prometheus-alertmanager"  # Debian's name; upstream calls it alertmanager


def free_port() -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


def binary(*names: str) -> str:
    for name in names:
        path = shutil.which(name)
        if path is not None:
            return path
    pytest.fail(f"{' or '.join(names)} is missing: install Debian's prometheus packages")


def wait_until(
    check: Callable[[], bool], *, timeout: float, what: str, process: Server | None = None
) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if process is not None and process.popen.poll() is not None:
            raise AssertionError(f"{process.name} exited early:\n{process.log_tail()}")
        try:
            if check():
                return
        except httpx.HTTPError:
            pass
        time.sleep(0.1)
    detail = f"\n{process.log_tail()}" if process is not None else ""
    raise AssertionError(f"timed out after {timeout:.0f} s waiting for {what}{detail}")


class Server:
    """A subprocess whose output goes to a log file, read back when something goes wrong."""

    def __init__(self, name: str, command: list[str], log: Path, env: dict[str, str]) -> None:
        self.name = name
        self.log = log
        self._log_file = log.open("wb")
        self.popen = subprocess.Popen(
            command, stdout=self._log_file, stderr=subprocess.STDOUT, env=env
        )

    def log_tail(self, lines: int = 40) -> str:
        text = self.log.read_text(errors="replace").splitlines()
        return "\n".join(text[-lines:])

    def stop(self) -> None:
        if self.popen.poll() is None:
            self.popen.terminate()
            try:
                self.popen.wait(10)
            except subprocess.TimeoutExpired:
                self.popen.kill()
                self.popen.wait(5)
        self._log_file.close()


@pytest.fixture
def servers() -> Iterator[list[Server]]:
    """Every server a test starts, stopped in reverse order at its end."""
    started: list[Server] = []
    yield started
    for server in reversed(started):
        server.stop()


@pytest.fixture
def pick_port() -> Callable[[], int]:
    """``pick_port()`` → a free loopback port (``from .conftest`` does not work: no packages)."""
    return free_port


StartProcess = Callable[..., Server]


@pytest.fixture
def start_process(servers: list[Server], tmp_path: Path) -> StartProcess:
    """``start_process(name, command, ready_url, env=None, timeout=60)`` → a running Server.

    Its output goes to ``tmp_path / f"{name}.log"``; it is ready when ``ready_url`` answers 200,
    and stopped at the end of the test.
    """

    def start(
        name: str,
        command: list[str],
        ready_url: str,
        *,
        env: dict[str, str] | None = None,
        timeout: float = 60.0,
    ) -> Server:
        log = tmp_path / f"{name.replace(' ', '-')}.log"
        server = Server(name, command, log, dict(os.environ) if env is None else env)
        servers.append(server)
        wait_until(
            lambda: httpx.get(ready_url, timeout=1).status_code == 200,
            timeout=timeout,
            what=name,
            process=server,
        )
        return server

    return start


@pytest.fixture(scope="session")
def demo_folder(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """The Ames demo: models, reference, held-out traffic and ``monitml.yaml`` (no alerts)."""
    from monitml.demo.models import write_demo  # noqa: PLC0415  # trains a model

    folder = tmp_path_factory.mktemp("demo")
    write_demo(folder)
    return folder


@pytest.fixture
def demo_config(demo_folder: Path, tmp_path: Path) -> Path:
    """A per-test copy of the demo config (its own store, routing state and spill file)."""
    import yaml  # noqa: PLC0415

    config = yaml.safe_load((demo_folder / "monitml.yaml").read_text())
    config["store"] = {"url": f"sqlite:///{tmp_path / 'monitml.db'}"}
    model = config["models"]["house-price"]
    model["reference"] = str(demo_folder / model["reference"])
    for version in model["versions"].values():
        version["path"] = str(demo_folder / version["path"])
    path = tmp_path / "monitml.yaml"
    path.write_text(yaml.safe_dump(config, sort_keys=False))
    return path


StartGateway = Callable[[Path], str]


@pytest.fixture
def start_gateway(start_process: StartProcess) -> StartGateway:
    """``start_gateway(config)`` → base URL of a running ``monitml serve``."""

    def start(config: Path) -> str:
        port = free_port()
        url = f"http://127.0.0.1:{port}"
        command = [
            sys.executable, "-m", "monitml.cli", "serve",
            "--config", str(config), "--host", "127.0.0.1", "--port", str(port),
        ]  # fmt: skip
        env = {**os.environ, "MONITML_ADMIN_TOKEN": ADMIN_TOKEN}
        start_process("gateway", command, f"{url}/health/ready", env=env)
        return url

    return start


StartAlertmanager = Callable[[str], str]


@pytest.fixture
def start_alertmanager(start_process: StartProcess, tmp_path: Path) -> StartAlertmanager:
    """``start_alertmanager(config_text)`` → its URL; clustering off, data in a temp folder."""

    def start(config_text: str) -> str:
        folder = tmp_path / "alertmanager"
        folder.mkdir()
        (folder / "alertmanager.yml").write_text(config_text)
        port = free_port()
        url = f"http://127.0.0.1:{port}"
        command = [
            binary(ALERTMANAGER_BINARY, "alertmanager"),
            f"--config.file={folder / 'alertmanager.yml'}",
            f"--storage.path={folder / 'data'}",
            f"--web.listen-address=127.0.0.1:{port}",
            "--cluster.listen-address=",
        ]
        start_process("alertmanager", command, f"{url}/-/ready", timeout=30)
        return url

    return start


StartPrometheus = Callable[[str, str, str], str]


@pytest.fixture
def start_prometheus(start_process: StartProcess, tmp_path: Path) -> StartPrometheus:
    """``start_prometheus(rules_text, gateway_url, alertmanager_url)`` → its URL.

    Scrapes the gateway's ``/metrics`` and evaluates the rules every second.
    """
    import yaml  # noqa: PLC0415

    def start(rules_text: str, gateway_url: str, alertmanager_url: str) -> str:
        folder = tmp_path / "prometheus"
        folder.mkdir()
        (folder / "rules.yml").write_text(rules_text)
        config = {
            "global": {"scrape_interval": "1s", "evaluation_interval": "1s"},
            "rule_files": [str(folder / "rules.yml")],
            "alerting": {
                "alertmanagers": [
                    {"static_configs": [{"targets": [alertmanager_url.removeprefix("http://")]}]}
                ]
            },
            "scrape_configs": [
                {
                    "job_name": "monitml",
                    "static_configs": [{"targets": [gateway_url.removeprefix("http://")]}],
                }
            ],
        }
        (folder / "prometheus.yml").write_text(yaml.safe_dump(config))
        port = free_port()
        url = f"http://127.0.0.1:{port}"
        command = [
            binary("prometheus"),
            f"--config.file={folder / 'prometheus.yml'}",
            f"--storage.tsdb.path={folder / 'data'}",
            f"--web.listen-address=127.0.0.1:{port}",
        ]
        start_process("prometheus", command, f"{url}/-/ready", timeout=30)
        return url

    return start


class Traffic:
    """Sends held-out Ames sales to ``POST /models/{model}/predict``, one by one, until stopped."""

    def __init__(self, gateway_url: str, rows: list[dict[str, Any]], *, rate: float = 40.0):
        self.url = f"{gateway_url}/models/house-price/predict"
        self.rows = rows
        self.pause = 1.0 / rate
        self.versions: dict[str, int] = {}
        self.errors = 0
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._run, name="e2e-traffic", daemon=True)

    def __enter__(self) -> Traffic:
        self._thread.start()
        return self

    def __exit__(self, *exc_info: object) -> None:
        self._stop.set()
        self._thread.join(10)

    def _run(self) -> None:
        with httpx.Client(timeout=5) as client:
            index = 0
            while not self._stop.is_set():
                row = self.rows[index % len(self.rows)]
                index += 1
                try:
                    answer = client.post(self.url, json=row)
                    answer.raise_for_status()
                    version = answer.json()["version"]
                    self.versions[version] = self.versions.get(version, 0) + 1
                except httpx.HTTPError:
                    self.errors += 1
                self._stop.wait(self.pause)


@pytest.fixture
def admin_token() -> str:
    """The bearer token ``start_gateway`` gives the gateway for ``PUT …/routing``."""
    return ADMIN_TOKEN


@pytest.fixture
def traffic_to() -> Callable[..., Traffic]:
    """``with traffic_to(gateway_url, rows) as traffic:`` sends requests in the background."""
    return Traffic


@pytest.fixture(scope="session")
def ames_requests(demo_folder: Path) -> list[dict[str, Any]]:
    """The demo's held-out sales as prediction request bodies (features only)."""
    from monitml.demo.models import AMES_CATEGORICAL, AMES_NUMERICAL  # noqa: PLC0415

    frame = pd.read_parquet(demo_folder / "traffic.parquet")
    records: list[dict[str, Any]] = json.loads(
        frame[AMES_NUMERICAL + AMES_CATEGORICAL].to_json(orient="records")
    )
    return records
