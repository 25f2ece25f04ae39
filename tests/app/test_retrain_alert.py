"""The ``retrain`` alert action in the monitor: a firing rule retrains, the outcome is notified."""

from __future__ import annotations

import sys
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import joblib
import numpy as np
import pandas as pd
import pytest
import yaml

from monitml.app.monitoring import build_monitor
from monitml.config import load_settings
from monitml.demo.models import AMES_CATEGORICAL, AMES_NUMERICAL, AMES_TARGET
from monitml.errors import ConfigError
from monitml.store import LabelRecord, PredictionRecord, PredictionStore

FEATURES = AMES_NUMERICAL + AMES_CATEGORICAL
TRAINER = "from monitml.demo.models import train_house_price_model as house_prices\n"
RULE = {
    "name": "LowAveragePrediction",
    "model": "house-price",
    "expr": "prediction_mean < 100000",
    "for": "0s",
    "actions": ["retrain"],
}


@pytest.fixture
def trainer(tmp_path: Path) -> Iterator[str]:
    folder = tmp_path / "user-code"
    folder.mkdir()
    (folder / "retrain_alert_trainer.py").write_text(TRAINER, encoding="utf-8")
    sys.path.insert(0, str(folder))
    yield "retrain_alert_trainer:house_prices"
    sys.path.remove(str(folder))


def _config(demo_config: Path, tmp_path: Path, alerts: dict[str, Any], training: Any) -> Path:
    config = yaml.safe_load(demo_config.read_text())
    model = config["models"]["house-price"]
    model["reference"] = str(demo_config.parent / model["reference"])
    for version in model["versions"].values():
        version["path"] = str(demo_config.parent / version["path"])
    if training is not None:
        model["training"] = training
    config.update(
        store={"url": f"sqlite:///{tmp_path / 'store.db'}"},
        registry={"path": str(tmp_path / "registry")},
        monitor={"min_rows": 50, "window": {"rows": 2000}},
        alerts=alerts,
    )
    path = tmp_path / "monitml.yaml"
    path.write_text(yaml.safe_dump(config))
    return path


def _log_labelled_traffic(store: PredictionStore, demo: Path, now: float) -> None:
    """The 2008–2010 sales, a quarter answered by v2 (always 100), every one labelled."""
    traffic = pd.read_parquet(demo / "traffic.parquet")
    predictions = joblib.load(demo / "models" / "gbm.joblib").predict(traffic[FEATURES])
    records = []
    for index, (row, prediction) in enumerate(
        zip(traffic.to_dict("records"), predictions, strict=True)
    ):
        version = "v2" if index % 4 == 0 else "v1"
        records.append(
            PredictionRecord(
                request_id=f"q{index}",
                record_id=f"r{index}",
                model="house-price",
                version=version,
                timestamp=now - len(traffic) + index,
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
    labels = traffic[AMES_TARGET].astype(float)
    store.insert_labels(
        [LabelRecord("house-price", f"r{i}", value, now) for i, value in enumerate(labels)]
    )


def test_a_firing_rule_retrains_in_the_background_and_the_webhook_hears_the_outcome(
    demo_config: Path, tmp_path: Path, webhook: Any, trainer: str
) -> None:
    alerts = {"rules": [RULE], "channels": {"webhook": {"url": webhook.url}}, "group_wait": "0s"}
    settings = load_settings(_config(demo_config, tmp_path, alerts, {"entrypoint": trainer}))
    built = build_monitor(settings)
    try:
        _log_labelled_traffic(built.store, demo_config.parent, time.time())
        built.runner.run_once()
        # The pass did not wait for the training: nothing is recorded yet as it returns.
        assert built.store.list_monitor_results("house-price", kind="retrain") == []
        assert built.retraining is not None
        body = webhook.wait_for(
            lambda b: b["groupLabels"].get("alertname") == "MonitmlRetrain",
            timeout=120,
            what="the retrain's outcome",
        )
        built.retraining.join(60)
        (alert,) = body["alerts"]
        assert alert["labels"]["event"] == "registered", alert["annotations"]
        assert alert["labels"]["rule"] == "LowAveragePrediction"
        assert alert["annotations"]["summary"].startswith("house-price: challenger v3 registered")
        (registered,) = built.store.list_versions("house-price")
        assert registered["version"] == "v3"
        (record,) = built.store.list_monitor_results("house-price", kind="retrain")
        assert record["payload"]["status"] == "registered"
        assert record["payload"]["durations"]["train"] > 0
        assert any(
            b["groupLabels"].get("alertname") == "LowAveragePrediction" for b in webhook.bodies
        )
        # Watched from the pass after the one that saw it registered; no traffic yet.
        built.runner.run_once()
        watched = {r.version: r.rows for r in built.runner.run_once()}
        assert watched["v3"] == 0
        assert set(watched) == {"v1", "v2", "v3"}
    finally:
        built.close()


def test_a_retrain_rule_on_a_model_without_training_is_refused_at_start(
    demo_config: Path, tmp_path: Path
) -> None:
    settings = load_settings(_config(demo_config, tmp_path, {"rules": [RULE]}, None))
    with pytest.raises(ConfigError, match=r"alerts\.rules\.0\.actions: retrain needs models"):
        build_monitor(settings)
