"""Metric names and values after real requests, on a registry of the app's own."""

from __future__ import annotations

from typing import Any

import pytest

from monitml.serving.metrics import DEFAULT_PREDICTION_BUCKETS, GatewayMetrics

from .conftest import HOUSE, GatewayFactory, metric_sum, serve


def test_the_design_metric_names_are_exposed_with_correct_values(
    make_gateway: GatewayFactory, house_rows: list[dict[str, Any]]
) -> None:
    gateway = make_gateway()
    with serve(gateway.app) as client:
        answers = [client.post(f"/models/{HOUSE}/predict", json=r).json() for r in house_rows[:40]]
        text = client.get("/metrics").text
    served = {v: sum(a["version"] == v for a in answers) for v in ("v1", "v2")}
    for version, count in served.items():
        assert metric_sum(text, "monitml_requests_total", version=version, status="ok") == count
        assert metric_sum(text, "monitml_request_duration_seconds_count", version=version) == count
        assert metric_sum(text, "monitml_prediction_value_count", version=version) == count
    assert metric_sum(text, "monitml_prediction_value_sum", version="v2") == 100.0 * served["v2"]
    v2_under_100k = metric_sum(text, "monitml_prediction_value_bucket", version="v2", le="100000.0")
    assert v2_under_100k == served["v2"]
    assert metric_sum(text, "monitml_model_info", model=HOUSE, version="v1", loader="python") == 1
    assert metric_sum(text, "monitml_routing_weight_ratio", version="v2") == 0.25
    for name in (
        "monitml_log_queue_depth",
        "monitml_log_records_dropped_total",
        "process_cpu_seconds_total",
        "process_resident_memory_bytes",
    ):
        assert f"\n{name} " in text, name
    assert metric_sum(text, "process_resident_memory_bytes") > 10_000_000


def test_prediction_buckets_suit_house_prices_and_small_scores() -> None:
    assert 100_000 in DEFAULT_PREDICTION_BUCKETS
    assert 0.5 in DEFAULT_PREDICTION_BUCKETS
    assert list(DEFAULT_PREDICTION_BUCKETS) == sorted(DEFAULT_PREDICTION_BUCKETS)


def test_two_gateways_in_one_process_keep_separate_registries() -> None:
    first, second = GatewayMetrics(), GatewayMetrics()
    first.observe("m", "v1", "regression", 0.01, [1.0])
    assert b'monitml_requests_total{model="m",status="ok",version="v1"} 1.0' in first.render()
    assert b'model="m"' not in second.render()


def test_dropped_records_count_up_from_the_writers_total() -> None:
    metrics = GatewayMetrics()
    metrics.set_log_state(queue_depth=7, dropped_total=3)
    metrics.set_log_state(queue_depth=0, dropped_total=5)
    text = metrics.render().decode()
    assert metric_sum(text, "monitml_log_records_dropped_total") == pytest.approx(5)
    assert metric_sum(text, "monitml_log_queue_depth") == 0
