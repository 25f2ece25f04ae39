"""The monitor over a real store: windows per version, gauges, results, alerts, batch check."""

from __future__ import annotations

import time
import uuid
from pathlib import Path
from typing import Any

import joblib
import numpy as np
import pandas as pd
import pytest
import yaml
from prometheus_client import generate_latest

from monitml.app import monitoring
from monitml.app.monitoring import build_monitor
from monitml.config import load_settings
from monitml.demo.models import AMES_CATEGORICAL, AMES_NUMERICAL, write_demo
from monitml.errors import ConfigError
from monitml.monitor.batch import run_check
from monitml.monitor.chunks import parse_chunk
from monitml.store import PredictionStore
from monitml.store.records import LabelRecord, PredictionRecord

FEATURES = AMES_NUMERICAL + AMES_CATEGORICAL


@pytest.fixture(scope="module")
def demo(tmp_path_factory: pytest.TempPathFactory) -> Path:
    folder = tmp_path_factory.mktemp("monitor-demo")
    write_demo(folder, store_url=f"sqlite:///{folder / 'store.db'}")
    return folder


def _config(demo: Path, tmp_path: Path, extra: dict[str, Any]) -> Path:
    config = yaml.safe_load((demo / "monitml.yaml").read_text())
    config["store"] = {"url": f"sqlite:///{tmp_path / 'store.db'}"}
    for key in ("reference",):
        config["models"]["house-price"][key] = str(demo / "reference.parquet")
    for version in config["models"]["house-price"]["versions"].values():
        version["path"] = str(demo / version["path"])
    config.update(extra)
    path = tmp_path / "monitml.yaml"
    path.write_text(yaml.safe_dump(config))
    return path


def _log_traffic(store: PredictionStore, demo: Path, now: float, rows: int = 600) -> list[str]:
    traffic = pd.read_parquet(demo / "traffic.parquet").head(rows)
    v1 = joblib.load(demo / "models" / "gbm.joblib")
    predictions = v1.predict(traffic[AMES_CATEGORICAL + AMES_NUMERICAL])
    records, ids = [], []
    for index, (row, prediction) in enumerate(
        zip(traffic.to_dict("records"), predictions, strict=True)
    ):
        version = "v2" if index % 4 == 0 else "v1"
        record_id = f"r{index}"
        ids.append(record_id)
        records.append(
            PredictionRecord(
                request_id=uuid.uuid4().hex,
                record_id=record_id,
                model="house-price",
                version=version,
                timestamp=now - rows + index,
                features={
                    k: (v.item() if isinstance(v, np.generic) else v)
                    for k, v in row.items()
                    if k in FEATURES
                },
                prediction=100.0 if version == "v2" else float(prediction),
                latency_seconds=0.01,
            )
        )
    store.insert_predictions(records)
    labels = [
        LabelRecord("house-price", f"r{i}", float(traffic["sale_price"].iloc[i]), now)
        for i in range(0, rows, 2)
    ]
    assert store.insert_labels(labels) == []
    return ids


def test_one_run_reports_each_version_sets_gauges_and_stores_results(
    demo: Path, tmp_path: Path
) -> None:
    settings = load_settings(
        _config(demo, tmp_path, {"monitor": {"window": {"rows": 1000}, "min_rows": 50}})
    )
    built = build_monitor(settings)
    try:
        _log_traffic(built.store, demo, time.time())
        results = {r.version: r for r in built.runner.run_once()}
        assert set(results) == {"v1", "v2"}
        assert results["v2"].prediction["mean"] == 100.0
        assert results["v1"].prediction["mean"] > 100_000
        assert results["v2"].report is not None
        assert results["v2"].report.columns["prediction"].result.drift_detected
        assert not results["v1"].report.columns["prediction"].result.drift_detected  # type: ignore[union-attr]
        assert results["v1"].performance()["mae"] < 60_000
        assert results["v2"].performance()["mae"] > 100_000
        text = generate_latest(built.registry).decode()
        assert (
            'monitml_prediction_window_stat{model="house-price",stat="mean",version="v2"} 100.0'
            in text
        )
        assert "monitml_feature_drift_score{" in text
        assert 'monitml_model_performance{metric="mae",model="house-price",version="v1"}' in text
        assert "monitml_monitor_last_run_timestamp_seconds" in text
        stored = built.store.list_monitor_results("house-price", kind="window")
        assert {row["version"] for row in stored} == {"v1", "v2"}
        assert stored[0]["payload"]["drift"]["format"] == "monitml.drift/1"
    finally:
        built.close()


def test_an_alert_rule_fires_for_v2_only_and_reaches_the_webhook(
    demo: Path, tmp_path: Path, webhook: Any
) -> None:
    alerts = {
        "rules": [
            {
                "name": "LowAveragePrediction",
                "model": "house-price",
                "expr": "prediction_mean < 100000",
                "for": "0s",
                "severity": "warning",
                "annotations": {"summary": "Average predicted price is below $100,000"},
            }
        ],
        "channels": {"webhook": {"url": webhook.url}},
        "group_wait": "0s",
    }
    settings = load_settings(
        _config(demo, tmp_path, {"monitor": {"min_rows": 50}, "alerts": alerts})
    )
    built = build_monitor(settings)
    try:
        _log_traffic(built.store, demo, time.time())
        built.runner.run_once()
        body = webhook.wait_for(lambda _: True, timeout=10, what="a notification")
        assert body["version"] == "4"
        assert body["status"] == "firing"
        assert [a["labels"]["version"] for a in body["alerts"]] == ["v2"]
        assert body["alerts"][0]["labels"]["alertname"] == "LowAveragePrediction"
        events = built.store.list_alert_events(model="house-price")
        assert any(e["state"] == "firing" and e["version"] == "v2" for e in events)
    finally:
        built.close()


def test_a_batch_check_scores_each_chunk_with_labels_joined(demo: Path, tmp_path: Path) -> None:
    settings = load_settings(_config(demo, tmp_path, {"monitor": {"min_rows": 50}}))
    built = build_monitor(settings)
    try:
        now = time.time()
        _log_traffic(built.store, demo, now, rows=600)
        monitor = built.runner.monitors["house-price"]
        check = run_check(
            built.store,
            monitor,
            start=now - 700,
            end=now + 1,
            chunk=parse_chunk("200rows"),
            version="v1",
        )
        assert [r.rows for r in check.results] == [200, 200, 50]
        assert all(r.labelled_rows > 0 for r in check.results)
        payload = check.to_dict()
        assert payload["format"] == "monitml.check/1"
        assert payload["chunks"][0]["drift"]["format"] == "monitml.drift/1"
        assert (
            payload["chunks"][2]["status"] == "insufficient_data"
            or payload["chunks"][2]["rows"] >= 50
        )
        assert len(built.store.list_monitor_results("house-price", kind="chunk")) == 3
    finally:
        built.close()


def test_a_monitor_with_streaming_enabled_exports_the_stream_detectors_after_a_pass(
    demo: Path, tmp_path: Path
) -> None:
    monitor = {"min_rows": 50, "streaming": {"enabled": True, "run_length": 1_000}}
    settings = load_settings(_config(demo, tmp_path, {"monitor": monitor}))
    built = build_monitor(settings)
    try:
        _log_traffic(built.store, demo, time.time())
        results = built.runner.run_once()
        assert all(result.streams for result in results)
        text = generate_latest(built.registry).decode()
        assert 'monitml_stream_drift_detected{detector="adwin"' in text
        assert 'signal="error"' in text
    finally:
        built.close()


def test_a_monitor_built_from_the_default_config_runs_no_streaming_detector(
    demo: Path, tmp_path: Path
) -> None:
    settings = load_settings(_config(demo, tmp_path, {"monitor": {"min_rows": 50}}))
    built = build_monitor(settings)
    try:
        _log_traffic(built.store, demo, time.time())
        assert all(not result.streams for result in built.runner.run_once())
        assert "monitml_stream_drift_detected{" not in generate_latest(built.registry).decode()
    finally:
        built.close()


def test_a_check_with_multivariate_enabled_gives_each_chunk_both_multivariate_verdicts(
    demo: Path, tmp_path: Path
) -> None:
    monitor_config = {"min_rows": 50, "multivariate": True}
    settings = load_settings(_config(demo, tmp_path, {"monitor": monitor_config}))
    built = build_monitor(settings)
    try:
        now = time.time()
        _log_traffic(built.store, demo, now, rows=600)
        check = run_check(
            built.store,
            built.runner.monitors["house-price"],
            start=now - 700,
            end=now + 1,
            chunk=parse_chunk("200rows"),
            version="v1",
        )
        for chunk in check.to_dict()["chunks"]:
            section = chunk["drift"]["multivariate"]
            assert set(section) == {"pca", "classifier"}
            for entry in section.values():
                assert isinstance(entry["drift_detected"], bool)
                assert entry["statistic"] is not None
                assert entry["threshold"] is not None
    finally:
        built.close()


def test_streaming_enabled_without_river_is_a_config_error_naming_the_key(
    demo: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(monitoring, "find_spec", lambda name: None)
    monitor = {"streaming": {"enabled": True}}
    settings = load_settings(_config(demo, tmp_path, {"monitor": monitor}))
    with pytest.raises(ConfigError, match=r"^monitor\.streaming\.enabled: .*monitml\[streaming\]"):
        monitoring.streaming_from(settings)
