"""The composition root gives the monitor each version's importance (measured once, stored) and
the alert engine each version's explanation."""

from __future__ import annotations

import logging
import time
import uuid
from pathlib import Path
from typing import Any

import joblib
import numpy as np
import pandas as pd
import pytest
import yaml
from sklearn.linear_model import LinearRegression

from monitml.app import explaining
from monitml.app.monitoring import build_monitor
from monitml.config import load_settings
from monitml.demo.models import AMES_CATEGORICAL, AMES_NUMERICAL, write_demo
from monitml.explain import IMPORTANCE_KIND, permutation_importance
from monitml.promotion.registry import LocalRegistry
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


def _record(
    version: str, record_id: str, row: dict[str, Any], prediction: float, timestamp: float
) -> PredictionRecord:
    """A logged prediction of ``row``'s features (numpy scalars as Python ones)."""
    return PredictionRecord(
        request_id=uuid.uuid4().hex,
        record_id=record_id,
        model=MODEL,
        version=version,
        timestamp=timestamp,
        features={
            k: (v.item() if isinstance(v, np.generic) else v)
            for k, v in row.items()
            if k in FEATURES
        },
        prediction=prediction,
        latency_seconds=0.01,
    )


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
        predicted = 100.0 if version == "v2" else float(prediction)
        records.append(_record(version, f"r{index}", row, predicted, now - rows + index))
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


def register(store: PredictionStore, tmp_path: Path, version: str, fitted: Any) -> None:
    """What ``monitml retrain`` does once the gates passed: a file, then the store's row."""
    path = LocalRegistry(tmp_path / "registry").save(MODEL, version, fitted)
    store.register_version(MODEL, version, {"path": str(path)}, {"task": "regression"})


def year_built_model(demo: Path) -> LinearRegression:
    """A model of the year built alone: all its importance is that feature's."""
    reference = pd.read_parquet(demo / "reference.parquet")
    return LinearRegression().fit(reference[["year_built"]], reference["sale_price"])


def log_shifted(store: PredictionStore, demo: Path, version: str, now: float) -> None:
    """A window of ``version``, unlabelled: houses 15 years older on lots three times as large."""
    traffic = pd.read_parquet(demo / "traffic.parquet").head(400)
    traffic = traffic.assign(
        year_built=traffic["year_built"] - 15, lot_area=traffic["lot_area"] * 3
    )
    rows = len(traffic)
    store.insert_predictions(
        [
            _record(
                version, f"{version}-{index}", row, float(row["sale_price"]), now - rows + index
            )
            for index, row in enumerate(traffic.to_dict("records"))
        ]
    )


def window_explanation(store: PredictionStore, version: str) -> dict[str, Any]:
    """The explanation of the version's newest window."""
    windows = store.list_monitor_results(MODEL, version=version, kind="window")
    explanation: dict[str, Any] = max(windows, key=lambda w: w["run_at"])["payload"]["explanation"]
    return explanation


def test_a_version_registered_after_start_is_measured_once_and_its_windows_rank_by_it(
    demo: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    measured = 0

    def counted(*args: Any, **kwargs: Any) -> Any:
        nonlocal measured
        measured += 1
        return permutation_importance(*args, **kwargs)

    settings = load_settings(config(demo, tmp_path, {"monitor": {"min_rows": 50}}))
    built = build_monitor(settings)
    monkeypatch.setattr(explaining, "permutation_importance", counted)
    try:
        register(built.store, tmp_path, "v3", year_built_model(demo))
        built.runner.run_once()  # finds v3 registered: watched, and measured, from now on
        importance = built.runner.monitors[MODEL].importance["v3"]
        assert importance.shares()["year_built"] == 1.0
        log_shifted(built.store, demo, "v3", time.time())
        built.runner.run_once()
        built.runner.run_once()
        assert measured == 1
        stored = built.store.list_monitor_results(MODEL, version="v3", kind=IMPORTANCE_KIND)
        assert len(stored) == 1

        explanation = window_explanation(built.store, "v3")
        features = {f["feature"]: f for f in explanation["features"]}
        assert features["lot_area"]["drift_detected"]
        assert features["lot_area"]["drift_score"] > features["year_built"]["drift_score"]
        # Drift alone would rank lot_area first; the model never looks at it.
        assert explanation["features"][0]["feature"] == "year_built"
        assert features["year_built"]["importance"] == 1.0
        assert features["lot_area"]["importance"] == features["lot_area"]["impact"] == 0.0
        assert "top drifted by impact: year_built" in explanation["summary"].split("; ")
    finally:
        built.close()


def test_a_registered_version_that_cannot_be_measured_is_watched_without_importance(
    demo: Path, tmp_path: Path, caplog: pytest.LogCaptureFixture
) -> None:
    settings = load_settings(config(demo, tmp_path, {"monitor": {"min_rows": 50}}))
    built = build_monitor(settings)
    try:
        unreadable = tmp_path / "unreadable.joblib"
        unreadable.write_bytes(b"not a pickle")
        built.store.register_version(MODEL, "v4", {"path": str(unreadable)}, {})
        # Loads, but fails on the reference: it was fitted on numbers named neighborhood.
        failing = LinearRegression().fit(pd.DataFrame({"neighborhood": [1.0, 2.0]}), [1.0, 2.0])
        register(built.store, tmp_path, "v5", failing)
        register(built.store, tmp_path, "v6", year_built_model(demo))
        caplog.set_level(logging.WARNING, logger="monitml.app.explaining")
        built.runner.run_once()
        assert set(built.runner.monitors[MODEL].importance) == {"v1", "v2", "v6"}
        log_shifted(built.store, demo, "v4", time.time())
        built.runner.run_once()  # the broken ones are not tried again
        warned = [r.getMessage() for r in caplog.records if r.name == "monitml.app.explaining"]
        assert len(warned) == 2
        assert warned[0].startswith(f"{MODEL}/v4: no feature importance")
        assert warned[1].startswith(f"{MODEL}/v5: no feature importance")
        assert built.runner.versions[MODEL][-3:] == ["v4", "v5", "v6"]
        explanation = window_explanation(built.store, "v4")
        assert {f["importance"] for f in explanation["features"]} == {None}
        assert "top drifted: " in explanation["summary"]
    finally:
        built.close()
