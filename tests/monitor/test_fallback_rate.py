"""``fallback_rate`` per version and pass, from the logged rows, and a rule that fires on it."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from monitml.alerts import AlertEngine, AlertRule
from monitml.monitor.fallback_rate import FallbackCounts, count_fallbacks, fallback_samples
from monitml.monitor.model_monitor import ModelMonitor
from monitml.monitor.policy import MonitorPolicy
from monitml.monitor.runner import MonitorRunner
from monitml.store import PredictionRecord, PredictionStore

NOW = 1_800_000_000.0


def test_the_rate_is_replaced_over_routed_records_for_each_version() -> None:
    windows = {
        "v1": FallbackCounts(18),
        "v2": FallbackCounts(10),
        "rules": FallbackCounts(5, {"v1": 2, "v3": 3}),
        "v3": FallbackCounts(0),
    }
    rates = {labels["version"]: value for _, labels, value in fallback_samples("m", windows)}
    assert rates == {"v1": 0.1, "v2": 0.0, "rules": 0.0, "v3": 1.0}


def test_a_version_with_no_row_and_nothing_replaced_has_no_rate() -> None:
    assert fallback_samples("m", {"v1": FallbackCounts(0)}) == []


def test_a_window_counts_the_versions_its_rows_replaced() -> None:
    window = pd.DataFrame({"replaced_version": ["v1", None, "v2", "v1", None]})
    assert count_fallbacks(window) == FallbackCounts(5, {"v1": 2, "v2": 1})
    assert count_fallbacks(pd.DataFrame({"x": [1, 2]})) == FallbackCounts(2)


def _record(index: int, version: str, replaced: str | None, x: float) -> PredictionRecord:
    return PredictionRecord(
        request_id=f"q{index}",
        record_id=f"r{index}",
        model="m",
        version=version,
        timestamp=NOW - 500 + index * 0.1,
        features={"x": x},
        prediction=x * 2,
        latency_seconds=0.001,
        fallback=None if replaced is None else "out_of_range",
        replaced_version=replaced,
    )


@pytest.fixture
def store(tmp_path: Path) -> Iterator[PredictionStore]:
    opened = PredictionStore.from_url(f"sqlite:///{tmp_path / 'store.db'}")
    yield opened
    opened.dispose()


def test_the_monitor_emits_each_routed_versions_fallback_rate_and_a_rule_fires_on_it(
    store: PredictionStore,
) -> None:
    random = np.random.default_rng(12)
    reference = pd.DataFrame({"x": random.normal(0, 1, 2_000)})
    reference["prediction"] = reference["x"] * 2
    monitor = ModelMonitor(
        "m",
        reference,
        features=["x"],
        numerical=["x"],
        policy=MonitorPolicy(window_rows=None, window_seconds=3_600, min_rows=50),
    )
    # 900 routed to v1 (72 of them replaced: 8 %), 300 to v2 (3 replaced: 1 %).
    records = []
    routed_so_far = {"v1": 0, "v2": 0}
    for index in range(1_200):
        routed = "v1" if index % 4 else "v2"
        nth = routed_so_far[routed]
        routed_so_far[routed] += 1
        replaced = nth % 25 in (0, 1) if routed == "v1" else nth % 100 == 0
        x = float(random.normal(0, 1))
        if replaced:
            records.append(_record(index, "rules", routed, x + 10))
        else:
            records.append(_record(index, routed, None, x))
    store.insert_predictions(records)
    expected = {
        "v1": sum(r.replaced_version == "v1" for r in records) / 900,
        "v2": sum(r.replaced_version == "v2" for r in records) / 300,
    }
    assert expected["v1"] == pytest.approx(0.08)
    assert expected["v2"] == pytest.approx(0.01)

    passes: list[list[tuple[str, dict[str, str], float]]] = []
    runner = MonitorRunner(
        store,
        {"m": monitor},
        versions={"m": ["v1", "v2", "rules"]},
        sink=lambda samples, _now: passes.append(list(samples)),
        save_results=False,
        clock=lambda: NOW,
    )
    runner.run_once()
    rates = {
        labels["version"]: value for name, labels, value in passes[0] if name == "fallback_rate"
    }
    assert rates == pytest.approx({**expected, "rules": 0.0})

    events: list[dict[str, object]] = []
    engine = AlertEngine(
        [AlertRule(name="FallingBack", model="m", expr="fallback_rate > 0.05")],
        on_event=events.append,
    )
    engine.evaluate(passes[0], NOW)
    firing = [e for e in events if e["state"] == "firing"]
    assert [e["version"] for e in firing] == ["v1"]
    assert firing[0]["value"] == pytest.approx(0.08)
