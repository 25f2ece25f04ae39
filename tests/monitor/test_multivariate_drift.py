"""The monitor's windows carry multivariate drift when ``monitor.multivariate`` is on."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pandas as pd
import pytest
from prometheus_client import CollectorRegistry

from monitml.alerts.expr import parse_expr
from monitml.monitor.gauges import MonitorGauges
from monitml.monitor.model_monitor import ModelMonitor
from monitml.monitor.policy import MonitorPolicy
from monitml.monitor.result import WindowResult

AMES = Path(__file__).resolve().parents[2] / "src" / "monitml" / "data" / "ames_housing.parquet"
FEATURES = ["gr_liv_area", "overall_qual", "year_built", "total_bsmt_sf", "tot_rms_abv_grd"]
POLICY = MonitorPolicy(window_rows=1_000, min_rows=100, multivariate=True)


@pytest.fixture(scope="module")
def halves() -> tuple[pd.DataFrame, pd.DataFrame]:
    houses = pd.read_parquet(AMES)[[*FEATURES, "sale_price"]]
    houses = houses.assign(prediction=houses["sale_price"] * 0.9)
    order = np.random.default_rng(0).permutation(len(houses))
    half = len(houses) // 2
    reference = houses.iloc[order[:half]].reset_index(drop=True)
    # A window as the log holds it: the label under ``label``.
    window = (
        houses.iloc[order[half:]].reset_index(drop=True).rename(columns={"sale_price": "label"})
    )
    return reference, window


@pytest.fixture(scope="module")
def monitor(halves: tuple[pd.DataFrame, pd.DataFrame]) -> ModelMonitor:
    return ModelMonitor(
        "house-price",
        halves[0],
        features=FEATURES,
        numerical=FEATURES,
        target="sale_price",
        policy=POLICY,
    )


def _selected(result: WindowResult, expr: str) -> list[float]:
    rule = parse_expr(expr)
    return [value for name, labels, value in result.metrics() if rule.selects(name, labels)]


def test_a_window_with_one_of_two_correlated_features_shuffled_fires_both_methods_only(
    halves: tuple[pd.DataFrame, pd.DataFrame], monitor: ModelMonitor
) -> None:
    current = halves[1]
    rng = np.random.default_rng(1)
    shuffled = current.assign(
        tot_rms_abv_grd=rng.permutation(current["tot_rms_abv_grd"].to_numpy())
    )
    result = monitor.evaluate(shuffled, "v1")
    assert result.report is not None
    assert result.report.drifted_columns == 0  # every marginal is unchanged
    assert {name: r.drift_detected for name, r in result.multivariate.items()} == {
        "pca": True,
        "classifier": True,
    }
    section = result.to_dict()["drift"]["multivariate"]
    for name in ("pca", "classifier"):
        assert section[name]["drift_detected"] is True
        assert section[name]["statistic"] > section[name]["threshold"]
    registry = CollectorRegistry()
    MonitorGauges(registry).update(result)
    labels = {"model": "house-price", "version": "v1", "method": "classifier"}
    assert registry.get_sample_value("monitml_multivariate_drift_detected", labels) == 1.0
    score = registry.get_sample_value("monitml_multivariate_drift_score", labels)
    assert score == result.multivariate["classifier"].statistic
    rule = parse_expr('multivariate_drift_detected{method="classifier"} > 0')
    assert [rule.holds(v) for v in _selected(result, str(rule))] == [True]


def test_an_unchanged_window_fires_neither_method_nor_the_rule(
    halves: tuple[pd.DataFrame, pd.DataFrame], monitor: ModelMonitor
) -> None:
    result = monitor.evaluate(halves[1], "v1")
    assert set(result.multivariate) == {"pca", "classifier"}
    assert not any(r.drift_detected for r in result.multivariate.values())
    assert _selected(result, "multivariate_drift_detected > 0") == [0.0, 0.0]


def test_the_default_policy_runs_no_multivariate_method(
    halves: tuple[pd.DataFrame, pd.DataFrame],
) -> None:
    plain = ModelMonitor("house-price", halves[0], features=FEATURES, target="sale_price")
    result = plain.evaluate(halves[1], "v1")
    assert result.multivariate == {}
    assert "multivariate" not in result.to_dict()["drift"]
    assert not _selected(result, "multivariate_drift_detected > 0")
