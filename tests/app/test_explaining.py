"""The composition root gives the monitor each version's importance (measured once, stored) and
the alert engine each version's explanation."""

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

from monitml.app.monitoring import build_monitor
from monitml.config import load_settings
from monitml.demo.models import AMES_CATEGORICAL, AMES_NUMERICAL, write_demo
from monitml.explain import IMPORTANCE_KIND
from monitml.store import PredictionStore
from monitml.store.records import LabelRecord, PredictionRecord

FEATURES = AMES_CATEGORICAL + AMES_NUMERICAL
MODEL = "house-price"


@pytest.fixture(scope="module")
def demo(tmp_path_factory: pytest.TempPathFactory) -> Path:
    folder = tmp_path_factory.mktemp("explain-demo")
    write_demo(folder, store_url=f"sqlite:///{folder / 'store.db'}")
    return folder


def config(demo: Path, tmp_path: Path, extra: dict[str, Any]) -> Path:
    loaded = yaml.safe_load((demo / "monitml.yaml").read_text())
    loaded["store"] = {"url": f"sqlite:///{tmp_path / 'store.db'}"}
    model = loaded["models"][MODEL]
    model["reference"] = str(demo / "reference.parquet")
    model["segments"] = ["neighborhood"]
    for version in model["versions"].values():
        version["path"] = str(demo / version["path"])
    loaded.update(extra)
    path = tmp_path / "monitml.yaml"
    path.write_text(yaml.safe_dump(loaded))
    return path


def log_traffic(store: PredictionStore, demo: Path, now: float, rows: int = 600) -> None:
    """v1's predictions, with Edwards' 38% too low, and v2's constant 100; half labelled."""
    traffic = pd.read_parquet(demo / "traffic.parquet").head(rows)
    predictions = joblib.load(demo / "models" / "gbm.joblib").predict(traffic[FEATURES])
    predictions = np.where(traffic["neighborhood"] == "Edwards", predictions * 0.62, predictions)
    records = []
    for index, (row, prediction) in enumerate(
        zip(traffic.to_dict("records"), predictions, strict=True)
    ):
        version = "v2" if index % 4 == 0 else "v1"
        records.append(
            PredictionRecord(
                request_id=uuid.uuid4().hex,
                record_id=f"r{index}",
                model=MODEL,
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
        LabelRecord(MODEL, f"r{i}", float(traffic["sale_price"].iloc[i]), now)
        for i in range(0, rows, 2)
    ]
    assert store.insert_labels(labels) == []


def test_each_versions_importance_is_measured_once_and_reused_by_the_next_monitor(
    demo: Path, tmp_path: Path
) -> None:
    settings = load_settings(config(demo, tmp_path, {"monitor": {"min_rows": 50}}))
    first = build_monitor(settings)
    try:
        importance = first.runner.monitors[MODEL].importance
        shares = importance["v1"].shares()
        assert set(sorted(shares, key=lambda f: -shares[f])[:2]) == {"gr_liv_area", "overall_qual"}
        assert set(importance["v2"].shares().values()) == {0.0}  # the constant model
    finally:
        first.close()
    second = build_monitor(settings)
    try:
        assert second.runner.monitors[MODEL].importance == importance
        stored = second.store.list_monitor_results(MODEL, kind=IMPORTANCE_KIND)
        assert sorted(row["version"] for row in stored) == ["v1", "v2"]
    finally:
        second.close()


def test_a_window_explains_itself_and_the_alert_it_fires_carries_the_sentence(
    demo: Path, tmp_path: Path, webhook: Any
) -> None:
    alerts = {
        "rules": [
            {
                "name": "EdwardsLow",
                "model": MODEL,
                "version": "v1",
                "expr": "prediction_mean < 1000000",
                "annotations": {"summary": "v1: {{ $explanation }}"},
            }
        ],
        "channels": {"webhook": {"url": webhook.url}},
        "group_wait": "0s",
    }
    settings = load_settings(
        config(demo, tmp_path, {"monitor": {"min_rows": 50}, "alerts": alerts})
    )
    built = build_monitor(settings)
    try:
        log_traffic(built.store, demo, time.time())
        built.runner.run_once()
        (window,) = built.store.list_monitor_results(MODEL, version="v1", kind="window")
        explanation = window["payload"]["explanation"]
        assert "in neighborhood=Edwards" in explanation["summary"]
        assert explanation["summary"].startswith("prediction mean fell")
        edwards = {
            s["segment"]: s for s in explanation["segment_performance"]["neighborhood"]["segments"]
        }["Edwards"]
        assert edwards["rows"] > 0
        body = webhook.wait_for(lambda _: True, timeout=10, what="a notification")
        (alert,) = body["alerts"]
        assert alert["annotations"]["explanation"] == explanation["summary"]
        assert alert["annotations"]["summary"] == f"v1: {explanation['summary']}"
    finally:
        built.close()
