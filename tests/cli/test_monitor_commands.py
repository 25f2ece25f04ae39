"""``monitml monitor --once``, ``monitml check`` and ``monitml reference set`` as users run them."""

from __future__ import annotations

import json
import subprocess
import sys
import time
import uuid
from pathlib import Path

import joblib
import numpy as np
import pandas as pd
import pytest
import yaml

from monitml.demo.models import AMES_CATEGORICAL, AMES_NUMERICAL, write_demo
from monitml.store import PredictionStore
from monitml.store.records import PredictionRecord

FEATURES = AMES_NUMERICAL + AMES_CATEGORICAL
NOW = time.time()


def run(*args: str | Path) -> subprocess.CompletedProcess[str]:
    command = [sys.executable, "-m", "monitml.cli", *map(str, args)]
    return subprocess.run(command, capture_output=True, text=True, timeout=180, check=False)


@pytest.fixture(scope="module")
def config(tmp_path_factory: pytest.TempPathFactory) -> Path:
    folder = tmp_path_factory.mktemp("cli-monitor")
    path = write_demo(folder, store_url=f"sqlite:///{folder / 'store.db'}")
    settings = yaml.safe_load(path.read_text())
    settings["monitor"] = {"min_rows": 50}
    settings["alerts"] = {
        "rules": [
            {
                "name": "LowAveragePrediction",
                "model": "house-price",
                "expr": "prediction_mean < 100000",
                "for": "0s",
            }
        ]
    }
    path.write_text(yaml.safe_dump(settings))
    traffic = pd.read_parquet(folder / "traffic.parquet").head(400)
    v1 = joblib.load(folder / "models" / "gbm.joblib")
    predictions = v1.predict(traffic[FEATURES])
    store = PredictionStore.from_url(f"sqlite:///{folder / 'store.db'}")
    records = [
        PredictionRecord(
            request_id=uuid.uuid4().hex,
            record_id=f"r{i}",
            model="house-price",
            version="v2" if i % 4 == 0 else "v1",
            timestamp=NOW - 400 + i,
            features={
                k: (v.item() if isinstance(v, np.generic) else v)
                for k, v in row.items()
                if k in FEATURES
            },
            prediction=100.0 if i % 4 == 0 else float(p),
            latency_seconds=0.01,
        )
        for i, (row, p) in enumerate(zip(traffic.to_dict("records"), predictions, strict=True))
    ]
    store.insert_predictions(records)
    store.dispose()
    return path


def _iso(seconds: float) -> str:
    return pd.Timestamp(seconds, unit="s").strftime("%Y-%m-%dT%H:%M:%S")


def test_monitor_once_prints_each_version(config: Path) -> None:
    result = run("monitor", "--config", config, "--once")
    assert result.returncode == 0, result.stderr
    assert "house-price/v1: 300 rows" in result.stdout
    assert "house-price/v2: 100 rows, prediction mean 100" in result.stdout


def test_check_writes_chunks_and_fails_on_alert(config: Path, tmp_path: Path) -> None:
    out = tmp_path / "check.json"
    args = ["check", "--config", config, "--model", "house-price", "--chunk", "100rows"]
    args += ["--from", _iso(NOW - 3_600), "--to", _iso(NOW + 60), "--version", "v2", "--json", out]
    result = run(*args, "--fail-on-alert")
    assert result.returncode == 1, result.stderr
    payload = json.loads(out.read_text())
    assert payload["format"] == "monitml.check/1"
    assert [chunk["rows"] for chunk in payload["chunks"]] == [100]
    assert payload["chunks"][0]["alerts"] == ["LowAveragePrediction"]
    # The alerted chunk says why (monitml.explain), as its JSON does.
    assert f"  why: {payload['chunks'][0]['explanation']['summary']}\n" in result.stdout
    assert run(*args).returncode == 0  # without --fail-on-alert


def test_check_refuses_bad_input_with_one_line(config: Path) -> None:
    base = ["check", "--config", config, "--model", "house-price"]
    cases = [
        ([*base, "--from", "yesterday", "--to", "2026-01-02"], "--from: expected an ISO date"),
        ([*base, "--from", "2026-01-02", "--to", "2026-01-01"], "--to must be after --from"),
        (
            [*base, "--from", "2026-01-01", "--to", "2026-01-02", "--chunk", "weekly"],
            "invalid chunk",
        ),
        (
            [
                "check",
                "--config",
                config,
                "--model",
                "nope",
                "--from",
                "2026-01-01",
                "--to",
                "2026-01-02",
            ],
            "unknown model",
        ),
    ]
    for args, message in cases:
        result = run(*args)
        assert result.returncode == 2, (args, result.stderr)
        lines = result.stderr.strip().splitlines()
        assert len(lines) == 1
        assert message in lines[0]


def test_reference_set_stores_the_file_and_unknown_models_are_refused(
    config: Path, tmp_path: Path
) -> None:
    reference = pd.read_parquet(config.parent / "reference.parquet").head(500)
    path = tmp_path / "ref.parquet"
    reference.to_parquet(path)
    result = run("reference", "set", "house-price", path, "--config", config)
    assert result.returncode == 0, result.stderr
    assert "500 rows stored" in result.stdout
    refused = run("reference", "set", "nope", path, "--config", config)
    assert refused.returncode == 2
    assert "no such model" in refused.stderr
