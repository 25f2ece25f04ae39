"""``monitml serve`` as users run it: a real uvicorn process, one or several workers."""

from __future__ import annotations

import os
import shutil
import signal
import socket
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
