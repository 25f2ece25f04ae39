"""``collect_period``: each version's chunks, the whole period, residuals, ROC and alerts."""

from __future__ import annotations

import numpy as np
import pytest

from monitml.monitor.chunks import parse_chunk
from monitml.monitor.period import collect_period, residual_spread, roc_curve
from monitml.stats.performance import classification_metrics

from .conftest import DAY, START, LogFactory


def test_each_version_has_its_chunks_and_the_whole_period(make_log: LogFactory) -> None:
    log = make_log(days=3, per_day={"v1": 120, "v2": 40})
    period = collect_period(
        log.store, log.monitor, start=START, end=START + 3 * DAY, chunk=parse_chunk("1d")
    )
    assert [v.version for v in period.versions] == ["v1", "v2"]
    v1, v2 = period.versions
    assert [c["rows"] for c in v1.chunks] == [120, 120, 120]
    assert {c["version"] for c in v2.chunks} == {"v2"}
    assert v1.overall["rows"] == 360
    assert v2.overall["window_start"] == START
    assert v2.overall["drift"]["format"] == "monitml.drift/1"
    assert period.chunk == "86400s"
    assert log.store.list_monitor_results("m") == []  # a report stores nothing


def test_residuals_follow_each_versions_bias(make_log: LogFactory) -> None:
    log = make_log(days=2, bias={"v2": 5.0})
    period = collect_period(
        log.store, log.monitor, start=START, end=START + 2 * DAY, chunk=parse_chunk("1d")
    )
    v1, v2 = period.versions
    assert len(v1.residuals) == len(v1.chunks) == 2
    for spread in v1.residuals:
        assert spread is not None
        assert spread.count == 60
        assert abs(spread.p50) < 0.1
    for spread in v2.residuals:
        assert spread is not None
        assert spread.p50 == pytest.approx(5.0, abs=0.1)
    histogram = v2.residual_histogram
    assert histogram is not None
    assert sum(histogram.counts) == 40
    assert histogram.edges[0] < 5.0 < histogram.edges[-1]
    assert v2.roc is None


def test_chunks_without_labels_have_no_residuals() -> None:
    assert residual_spread(np.empty(0)) is None


def test_alert_events_outside_the_period_are_left_out(make_log: LogFactory) -> None:
    log = make_log(days=1)
    for when, rule in ((START - 10, "Before"), (START + 10, "Inside"), (START + DAY, "After")):
        log.store.save_alert_event(
            {"rule": rule, "state": "firing", "starts_at": when, "model": "m", "version": "v1"}
        )
    period = collect_period(
        log.store, log.monitor, start=START, end=START + DAY, chunk=parse_chunk("1d")
    )
    assert [e["rule"] for e in period.alert_events] == ["Inside"]


def test_the_roc_curve_area_matches_roc_auc_with_ties() -> None:
    rng = np.random.default_rng(3)
    truth = rng.random(5_000) < 0.3
    scores = np.round(np.clip(rng.normal(0.4 + 0.2 * truth, 0.2), 0, 1), 2)  # many ties
    curve = roc_curve(scores, truth, "1")
    assert curve is not None
    expected = classification_metrics(
        truth.astype(int), (scores >= 0.5).astype(int), scores=scores, positive_label=1
    )["roc_auc"]
    assert curve.auc == pytest.approx(expected, abs=1e-12)
    assert (curve.fpr[0], curve.tpr[0]) == (0.0, 0.0)
    assert (curve.fpr[-1], curve.tpr[-1]) == (1.0, 1.0)
    assert all(np.diff(curve.fpr) >= 0)
    assert all(np.diff(curve.tpr) >= 0)


def test_a_long_roc_curve_is_thinned_but_keeps_its_ends() -> None:
    rng = np.random.default_rng(4)
    truth = rng.random(20_000) < 0.5
    curve = roc_curve(rng.random(20_000) + truth, truth, "1", points=50)
    assert curve is not None
    assert len(curve.fpr) == len(curve.tpr) <= 50
    assert (curve.fpr[0], curve.tpr[-1]) == (0.0, 1.0)


def test_no_roc_curve_without_both_classes() -> None:
    assert roc_curve(np.array([0.2, 0.9]), np.array([True, True]), "1") is None


def test_a_given_version_gets_its_own_alert_events_and_the_models(make_log: LogFactory) -> None:
    log = make_log(days=1)
    for version, rule in (("v1", "OfV1"), ("v2", "OfV2"), (None, "OfTheModel")):
        log.store.save_alert_event(
            {"rule": rule, "state": "firing", "starts_at": START + 60, "model": "m",
             "version": version}
        )  # fmt: skip
    period = collect_period(
        log.store, log.monitor, start=START, end=START + DAY, chunk=parse_chunk("1d"), version="v2"
    )
    assert sorted(e["rule"] for e in period.alert_events) == ["OfTheModel", "OfV2"]
