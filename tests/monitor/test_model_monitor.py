"""Windows scored against a reference (issue 5, items 1 and 4)."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from monitml.errors import ConfigError
from monitml.monitor.model_monitor import ModelMonitor
from monitml.monitor.policy import MonitorPolicy
from monitml.stats.summaries import NumericSummary, dumps

FEATURES = [f"x{i}" for i in range(20)]


def _frame(
    rng: np.random.Generator, rows: int, shift: dict[str, float] | None = None
) -> pd.DataFrame:
    data = {name: rng.normal(0.0, 1.0, rows) for name in FEATURES}
    for name, delta in (shift or {}).items():
        data[name] = data[name] + delta
    frame = pd.DataFrame(data)
    frame["prediction"] = frame[FEATURES[:3]].sum(axis=1) * 10 + 100
    return frame


@pytest.fixture(scope="module")
def reference() -> pd.DataFrame:
    return _frame(np.random.default_rng(0), 20_000)


@pytest.mark.parametrize("method", ["auto", "wasserstein", "jensenshannon"])
def test_one_hundred_undrifted_windows_raise_no_alert(reference: pd.DataFrame, method: str) -> None:
    monitor = ModelMonitor("m", reference, features=FEATURES, policy=MonitorPolicy(method=method))
    rng = np.random.default_rng(1)
    flagged = []
    for _ in range(100):
        result = monitor.evaluate(_frame(rng, 1_000), "v1")
        assert result.report is not None
        flagged.append(result.report.drifted_columns)
    assert sum(flagged) == 0


@pytest.mark.parametrize("method", ["auto", "wasserstein", "jensenshannon"])
def test_a_half_sigma_shift_in_one_feature_is_caught_in_the_first_window_that_has_it(
    reference: pd.DataFrame, method: str
) -> None:
    monitor = ModelMonitor("m", reference, features=FEATURES, policy=MonitorPolicy(method=method))
    rng = np.random.default_rng(2)
    for _ in range(10):
        assert monitor.evaluate(_frame(rng, 1_000), "v1").report.drifted_columns == 0  # type: ignore[union-attr]
    result = monitor.evaluate(_frame(rng, 1_000, shift={"x7": 0.5}), "v1")
    assert result.report is not None
    drifted = [name for name, c in result.feature_results().items() if c.result.drift_detected]
    assert drifted == ["x7"]


def test_a_window_with_too_few_rows_is_reported_as_such_not_as_no_drift(
    reference: pd.DataFrame,
) -> None:
    monitor = ModelMonitor("m", reference, features=FEATURES, policy=MonitorPolicy(min_rows=100))
    result = monitor.evaluate(_frame(np.random.default_rng(3), 50), "v1")
    assert not result.sufficient
    assert result.status == "insufficient_data"
    names = {name for name, _, _ in result.metrics()}
    assert "dataset_drift" not in names
    assert "feature_drift_detected" not in names
    assert ("window_sufficient", {"model": "m", "version": "v1"}, 0.0) in result.metrics()
    assert result.prediction["count"] == 50


def test_prediction_statistics_and_prediction_drift_are_reported(reference: pd.DataFrame) -> None:
    monitor = ModelMonitor("m", reference, features=FEATURES)
    window = _frame(np.random.default_rng(4), 1_000)
    window["prediction"] = 100.0  # the seed's bad model: a constant
    result = monitor.evaluate(window, "v2")
    metrics = {name: value for name, labels, value in result.metrics() if "feature" not in labels}
    assert metrics["prediction_mean"] == 100.0
    assert metrics["prediction_min"] == metrics["prediction_max"] == 100.0
    assert result.report is not None
    assert result.report.columns["prediction"].result.drift_detected


def test_performance_is_computed_on_the_rows_whose_labels_arrived() -> None:
    rng = np.random.default_rng(5)
    reference = _frame(rng, 5_000)
    reference["price"] = reference["prediction"] + rng.normal(0, 1, len(reference))
    monitor = ModelMonitor("m", reference, features=FEATURES, target="price")
    window = _frame(rng, 1_000)
    window["label"] = np.where(np.arange(1_000) < 400, window["prediction"] + 2.0, np.nan)
    result = monitor.evaluate(window, "v1")
    assert result.labelled_rows == 400
    performance = result.performance()
    assert performance["mae"] == pytest.approx(2.0)
    assert performance["me"] == pytest.approx(-2.0)


def test_a_reference_missing_a_feature_is_a_config_error(reference: pd.DataFrame) -> None:
    with pytest.raises(ConfigError, match="missing feature column"):
        ModelMonitor("m", reference, features=[*FEATURES, "nope"])


def test_the_logs_bookkeeping_columns_are_not_reported_as_data_quality_issues(
    reference: pd.DataFrame,
) -> None:
    monitor = ModelMonitor("m", reference, features=FEATURES)
    window = _frame(np.random.default_rng(3), 1_000).assign(
        record_id="r", request_id="q", timestamp=0.0, version="v1", shadow=False, proba_1=0.5
    )
    result = monitor.evaluate(window, "v1")
    assert result.report is not None
    assert not [i for i in result.report.quality["issues"] if "only in current" in i]


def test_a_reference_past_100k_rows_is_kept_as_summaries_with_the_same_verdicts() -> None:
    rng = np.random.default_rng(8)
    reference = _frame(rng, 120_000)
    monitor = ModelMonitor("m", reference, features=FEATURES)
    kept = [column.sample for column in monitor.comparator.references_.values()]
    assert all(isinstance(sample, NumericSummary) for sample in kept)
    assert (
        max(len(dumps(sample)) for sample in kept if isinstance(sample, NumericSummary)) < 100_000
    )
    for shift in [None, None, {"x7": 0.5}]:
        result = monitor.evaluate(_frame(rng, 1_000, shift=shift), "v1")
        assert result.report is not None
        drifted = [name for name, c in result.feature_results().items() if c.result.drift_detected]
        assert drifted == ([] if shift is None else ["x7"])
        assert result.report.columns["x7"].reference_count == 120_000
