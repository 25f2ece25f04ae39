"""The monitor estimates each window's performance without its labels (issue 11, item 3)."""

from __future__ import annotations

import numpy as np
import pandas as pd
from prometheus_client import CollectorRegistry

from monitml.alerts.expr import parse_expr
from monitml.monitor.gauges import MonitorGauges
from monitml.monitor.model_monitor import ModelMonitor
from monitml.monitor.result import WindowResult


def _regression(rng: np.random.Generator, rows: int, centre: float) -> pd.DataFrame:
    """Exact on average; the error grows with |x|."""
    x = rng.normal(centre, 1.0, rows)
    return pd.DataFrame(
        {"x": x, "prediction": 2 * x, "price": 2 * x + rng.normal(0, 1, rows) * (0.2 + np.abs(x))}
    )


def _classifier(rng: np.random.Generator, rows: int, centre: float) -> pd.DataFrame:
    """Calibrated scores; rows near x = 0 are the uncertain ones."""
    x = rng.normal(centre, 1.0, rows)
    chance = 1 / (1 + np.exp(-4 * x))
    return pd.DataFrame(
        {
            "x": x,
            "proba_0": 1 - chance,
            "proba_1": chance,
            "prediction": (chance >= 0.5).astype(int),
            "churn": (rng.random(rows) < chance).astype(int),
        }
    )


def _unlabelled(window: pd.DataFrame, target: str) -> pd.DataFrame:
    """A window as the log holds it before the labels arrive."""
    return window.drop(columns=target).assign(label=np.nan)


def _samples(result: WindowResult) -> dict[str, float]:
    return {name: value for name, _, value in result.metrics() if name.startswith("estimated_")}


def test_a_regressors_window_without_labels_gets_estimated_errors_near_the_hidden_ones() -> None:
    rng = np.random.default_rng(0)
    monitor = ModelMonitor("m", _regression(rng, 8_000, 0.0), features=["x"], target="price")
    window = _regression(rng, 2_000, 1.5)  # rows where the model errs more
    result = monitor.evaluate(_unlabelled(window, "price"), "v1")
    hidden = float((window["price"] - window["prediction"]).abs().mean())
    calm = monitor.evaluate(_unlabelled(_regression(rng, 2_000, 0.0), "price"), "v1")
    assert abs(result.estimated["mae"] - hidden) < 0.05 * hidden
    assert result.estimated["mae"] > 1.5 * calm.estimated["mae"]
    assert set(_samples(result)) == {"estimated_mae", "estimated_rmse"}


def test_estimated_f1_is_a_gauge_and_holds_in_the_alert_rule_when_windows_turn_uncertain() -> None:
    rng = np.random.default_rng(1)
    reference = _classifier(rng, 8_000, 1.0)
    monitor = ModelMonitor("m", reference, features=["x"], target="churn", task="classification")
    usual = monitor.evaluate(_unlabelled(_classifier(rng, 2_000, 1.0), "churn"), "v1")
    shifted = _classifier(rng, 2_000, -1.0)  # fewer positives, more of them uncertain
    uncertain = monitor.evaluate(_unlabelled(shifted, "churn"), "v1")
    hits = int((shifted["prediction"] & shifted["churn"]).sum())
    hidden_f1 = 2 * hits / (shifted["prediction"].sum() + shifted["churn"].sum())
    assert abs(uncertain.estimated["f1"] - hidden_f1) < 0.05
    rule = parse_expr("estimated_f1 < 0.8")
    assert not rule.holds(_samples(usual)["estimated_f1"])
    assert rule.holds(_samples(uncertain)["estimated_f1"])
    registry = CollectorRegistry()
    MonitorGauges(registry).update(uncertain)
    labels = {"model": "m", "version": "v1", "metric": "f1"}
    gauge = registry.get_sample_value("monitml_estimated_performance", labels)
    assert gauge == uncertain.estimated["f1"]


def test_a_classifier_without_scores_in_its_reference_estimates_nothing() -> None:
    rng = np.random.default_rng(2)
    reference = _classifier(rng, 2_000, 0.0).drop(columns=["proba_0", "proba_1"])
    monitor = ModelMonitor("m", reference, features=["x"], target="churn", task="classification")
    result = monitor.evaluate(_unlabelled(_classifier(rng, 1_000, 0.0), "churn"), "v1")
    assert monitor.estimator is None
    assert result.estimated == {}
    assert result.to_dict()["estimated_performance"] == {}


def test_a_window_read_from_the_log_before_any_label_arrives_is_still_estimated() -> None:
    # The store gives an all-None label column, which pandas types as object, not float.
    rng = np.random.default_rng(4)
    regressor = ModelMonitor("m", _regression(rng, 4_000, 0.0), features=["x"], target="price")
    window = _regression(rng, 500, 0.0).drop(columns="price").assign(label=None)
    assert window["label"].dtype == object
    assert set(regressor.evaluate(window, "v1").estimated) == {"mae", "rmse"}
    classifier = ModelMonitor(
        "c", _classifier(rng, 4_000, 0.0), features=["x"], target="churn", task="classification"
    )
    window = _classifier(rng, 500, 0.0).drop(columns="churn").assign(label=None)
    assert "f1" in classifier.evaluate(window, "v1").estimated
