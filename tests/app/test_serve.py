"""``monitml serve`` as users run it: a real uvicorn process, one or several workers."""

from __future__ import annotations

import os
import shutil
import signal
import socket
import sqlite3
import subprocess
import sys
import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import httpx
import pandas as pd
import pytest

from monitml.demo.models import AMES_CATEGORICAL, AMES_NUMERICAL
from monitml.store import PredictionStore


def _free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


@contextmanager
def serving(config: Path, *, workers: int = 1) -> Iterator[tuple[str, subprocess.Popen[bytes]]]:
    port = _free_port()
    env = {k: v for k, v in os.environ.items() if k != "PROMETHEUS_MULTIPROC_DIR"}
    command = [sys.executable, "-m", "monitml.cli", "serve", "--config", str(config)]
    command += ["--port", str(port), "--workers", str(workers)]
    process = subprocess.Popen(command, env=env, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
    url = f"http://127.0.0.1:{port}"
    try:
        deadline = time.monotonic() + 60
        while True:
            if process.poll() is not None:
                pytest.fail(
                    f"the server exited: {process.stderr.read().decode() if process.stderr else ''}"
                )
            try:
                if httpx.get(f"{url}/health/ready", timeout=1).status_code == 200:
                    break
            except httpx.TransportError:
                pass
            if time.monotonic() > deadline:
                pytest.fail("the server did not become ready in 60 s")
            time.sleep(0.2)
        yield url, process
    finally:
        if process.poll() is None:
            process.send_signal(signal.SIGINT)
            try:
                process.wait(timeout=30)
            except subprocess.TimeoutExpired:
                process.kill()
                process.wait()
        if process.stderr is not None:
            process.stderr.close()


@pytest.fixture
def config(demo_config: Path, tmp_path: Path) -> Path:
    folder = tmp_path / "gateway"
    shutil.copytree(demo_config.parent, folder)
    return folder / "monitml.yaml"


def _traffic(config: Path, n: int) -> list[dict[str, object]]:
    frame = pd.read_parquet(config.parent / "traffic.parquet")[AMES_NUMERICAL + AMES_CATEGORICAL]
    rows = frame.head(n).to_dict("records")
    return [{str(k): (v.item() if hasattr(v, "item") else v) for k, v in r.items()} for r in rows]


def _sum(text: str, name: str, **labels: str) -> float:
    total = 0.0
    for line in text.splitlines():
        head, _, value = line.rpartition(" ")
        if line.startswith("#") or head.partition("{")[0] != name:
            continue
        if all(f'{k}="{v}"' in head for k, v in labels.items()):
            total += float(value)
    return total


def test_every_answered_prediction_is_in_the_store_after_a_graceful_stop(config: Path) -> None:
    rows = _traffic(config, 200)
    with serving(config) as (url, process), httpx.Client(base_url=url) as client:
        answered = [
            client.post("/models/house-price/predict", json={**row, "id": f"p{i}"})
            for i, row in enumerate(rows)
        ]
        process.send_signal(signal.SIGTERM)
        # uvicorn shuts down gracefully, then re-raises the signal it caught.
        assert process.wait(timeout=30) in (0, -signal.SIGTERM)
    assert all(a.status_code == 200 for a in answered)
    store = PredictionStore.from_url(f"sqlite:///{config.parent / 'monitml.db'}")
    try:
        stored = store.read_window("house-price")
    finally:
        store.dispose()
    assert sorted(stored["record_id"]) == sorted(f"p{i}" for i in range(200))


def test_metrics_add_up_over_two_workers(config: Path) -> None:
    rows = _traffic(config, 10)
    requests = 120
    with serving(config, workers=2) as (url, _process):
        pids = set()
        # New connections spread over the workers.
        for i in range(requests):
            answer = httpx.post(f"{url}/models/house-price/predict", json=rows[i % len(rows)])
            assert answer.status_code == 200
        scrapes = [httpx.get(f"{url}/metrics").text for _ in range(6)]
    for text in scrapes:
        assert _sum(text, "monitml_requests_total", status="ok") == requests
        assert _sum(text, "monitml_request_duration_seconds_count") == requests
        pids.add(_sum(text, "monitml_worker_processes"))
    assert pids == {2.0}


def test_a_bad_config_is_one_line_on_stderr_and_exit_2(tmp_path: Path) -> None:
    bad = tmp_path / "monitml.yaml"
    bad.write_text(
        "models:\n  m:\n    task: regression\n    reference: r.parquet\n"
        "    versions: {v1: {path: a.joblib}, v2: {path: b.joblib}}\n"
        "    routing: {v1: 50, v3: 50}\n"
    )
    result = subprocess.run(
        [sys.executable, "-m", "monitml.cli", "serve", "--config", str(bad)],
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )
    assert result.returncode == 2
    assert result.stderr.strip().splitlines() == [
        f"error: Invalid config in {bad}: models.m.routing: unknown version 'v3'; "
        "the versions are ['v1', 'v2']"
    ]


def test_with_disk_durability_a_kill_9_under_load_loses_no_answered_prediction(
    config: Path,
) -> None:
    import threading  # noqa: PLC0415

    import yaml  # noqa: PLC0415

    settings = yaml.safe_load(config.read_text())
    settings["log"] = {"durability": "disk"}
    config.write_text(yaml.safe_dump(settings))
    rows = _traffic(config, 50)
    answered: list[str] = []
    stop = threading.Event()

    def load(url: str, worker: int) -> None:
        with httpx.Client(base_url=url, timeout=5) as client:
            for i in range(100_000):
                if stop.is_set():
                    return
                record_id = f"w{worker}-{i}"
                try:
                    answer = client.post(
                        "/models/house-price/predict", json={**rows[i % 50], "id": record_id}
                    )
                except httpx.TransportError:
                    return  # the server is gone
                if answer.status_code == 200:
                    answered.append(record_id)

    with serving(config) as (url, process):
        # Another process holds SQLite's write lock, so the writer is stuck in an insert (it
        # would wait 10 s) and what is answered meanwhile is only in memory, or in the journal.
        blocker = sqlite3.connect(config.parent / "monitml.db", isolation_level=None)
        blocker.execute("BEGIN IMMEDIATE")
        clients = [threading.Thread(target=load, args=(url, w)) for w in range(8)]
        for client in clients:
            client.start()
        deadline = time.monotonic() + 5
        while len(answered) < 300 and time.monotonic() < deadline:
            time.sleep(0.05)
        process.kill()  # SIGKILL: no shutdown, nothing flushed
        process.wait(timeout=10)
        stop.set()
        for client in clients:
            client.join(10)
        blocker.rollback()
        blocker.close()
    assert len(answered) >= 100

    with serving(config):  # the restart replays the journal
        store = PredictionStore.from_url(f"sqlite:///{config.parent / 'monitml.db'}")
        try:
            deadline = time.monotonic() + 30
            while True:
                stored = list(store.read_window("house-price")["record_id"])
                if set(answered) <= set(stored) or time.monotonic() > deadline:
                    break
                time.sleep(0.2)
        finally:
            store.dispose()
    missing = set(answered) - set(stored)
    assert not missing, f"{len(missing)} of {len(answered)} answered predictions lost"
    assert len(stored) == len(set(stored)), "a replayed prediction was stored twice"


def test_a_routing_change_on_one_replica_is_in_force_on_another_within_a_second(
    config: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    import yaml  # noqa: PLC0415

    monkeypatch.setenv("MONITML_ADMIN_TOKEN", "replica-token")
    rows = _traffic(config, 20)
    # Another machine: its own folder (spill file and all), the same store.
    other = config.parent.with_name("other-machine")
    shutil.copytree(config.parent, other)
    settings = yaml.safe_load((other / "monitml.yaml").read_text())
    settings["store"] = {"url": f"sqlite:///{config.parent / 'monitml.db'}"}
    (other / "monitml.yaml").write_text(yaml.safe_dump(settings))
    with serving(config) as (first, _one), serving(other / "monitml.yaml") as (second, _two):
        before = httpx.get(f"{second}/models/house-price").json()["routing"]
        assert before == {"v1": 75.0, "v2": 25.0}

        changed = httpx.put(
            f"{first}/models/house-price/routing",
            json={"routing": {"v1": 0, "v2": 100}},
            headers={"Authorization": "Bearer replica-token"},
        )
        assert changed.status_code == 200, changed.text
        started = time.monotonic()
        while (
            httpx.get(f"{second}/models/house-price").json()["routing"] != changed.json()["routing"]
        ):
            assert time.monotonic() - started < 1.5, "the other replica still routes as before"
            time.sleep(0.02)

        versions = {
            httpx.post(f"{second}/models/house-price/predict", json=row).json()["version"]
            for row in rows
        }
    assert versions == {"v2"}
