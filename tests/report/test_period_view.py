"""The period report's text: ratios to thresholds, the verdict, the drift table, the alerts."""

from __future__ import annotations

import math

import numpy as np
import pandas as pd
import pytest

from monitml.analysis import Comparator
from monitml.report.period import PeriodResults, VersionPeriod
from monitml.report.period_view import build_period_view, chunk_label, chunk_text, drift_ratio

from .period_builder import year_of_flights


@pytest.fixture(scope="module")
def year() -> PeriodResults:
    return year_of_flights()


@pytest.mark.parametrize("method", ["auto", "wasserstein", "jensenshannon", "psi", "ks"])
def test_a_ratio_of_one_or_more_is_exactly_a_drift_verdict(method: str) -> None:
    rng = np.random.default_rng(1)
    reference = pd.DataFrame(
        {"x": rng.normal(0, 1, 4_000), "c": rng.choice(["a", "b", "c"], 4_000)}
    )
    comparator = Comparator(reference, method=method)
    checked = 0
    for shift in (0.0, 0.02, 0.05, 0.1, 0.2, 0.5, 1.0):
        shares = [1 / 3 + shift / 3, 1 / 3, 1 / 3 - shift / 3]
        current = pd.DataFrame(
            {"x": rng.normal(shift, 1, 2_000), "c": rng.choice(["a", "b", "c"], 2_000, p=shares)}
        )
        for column in comparator.compare(current).to_dict()["columns"].values():
            ratio = drift_ratio(column)
            assert ratio is not None
            assert (ratio >= 1) == column["drift_detected"], (shift, column)
            checked += 1
    assert checked == 14


def test_a_p_value_of_zero_is_an_infinite_ratio_and_a_missing_threshold_none() -> None:
    assert drift_ratio({"statistic": 9.0, "p_value": 0.0, "threshold": 0.01}) == math.inf
    assert drift_ratio({"statistic": 0.3, "p_value": None, "threshold": None}) is None


def test_chunks_are_named_as_people_write_them() -> None:
    assert [chunk_text(c) for c in ("86400s", "3600s", "900s", "1mo", "10000rows")] == [
        "1d", "1h", "15m", "1mo", "10000 rows",
    ]  # fmt: skip
    noon = {"window_start": pd.Timestamp("2026-03-01T12:00", tz="UTC").timestamp()}
    assert chunk_label(noon, "86400s") == "2026-03-01"
    assert chunk_label(noon, "3600s") == "2026-03-01 12:00"
    assert chunk_label(noon, "1mo") == "2026-03-01"
    assert chunk_label(noon, "500rows") == "2026-03-01 12:00"


def test_the_verdict_names_each_version_and_counts_every_alert(year: PeriodResults) -> None:
    view = build_period_view(year)
    chunk_alerts = sum(len(c["alerts"]) for v in year.versions for c in v.chunks)
    assert chunk_alerts > 0
    drifted = sum(bool(c["drift"]["dataset_drift"]) for c in year.versions[1].chunks)
    assert view.verdict == (
        "v1: no dataset drift, drift in 0 of 12 chunks · "
        f"v2: dataset drift over the period, drift in {drifted} of 12 chunks · "
        f"{chunk_alerts + 1} alerts"
    )
    assert view.alarming
    assert len(view.alerts) == chunk_alerts + 1
    assert view.alerts[0].source == "monitor"
    assert {a.source for a in view.alerts[1:]} == {"check"}


def test_the_drift_table_leads_with_drifted_features_then_the_largest_ratio(
    year: PeriodResults,
) -> None:
    v2 = build_period_view(year).versions[1]
    assert len(v2.drift_rows) == 15
    flags = [row.drifted for row in v2.drift_rows]
    assert flags == sorted(flags, reverse=True)
    assert any(flags)
    for group in (True, False):
        ratios = [r.sort_ratio or 0.0 for r in v2.drift_rows if r.drifted is group]
        assert ratios == sorted(ratios, reverse=True)
    assert all(row.chunks_drifted.endswith("/12") for row in v2.drift_rows)


def test_multivariate_drift_is_in_the_table_and_the_verdict_of_the_version_it_hit() -> None:
    results = year_of_flights(multivariate=("pca",))
    view = build_period_view(results)
    calm, drifted = view.versions
    assert [(r.method, r.drifted) for r in calm.multivariate] == [("PCA reconstruction", False)]
    assert [(r.method, r.drifted) for r in drifted.multivariate] == [("PCA reconstruction", True)]
    hits = sum(
        c["drift"]["multivariate"]["pca"]["drift_detected"] for c in results.versions[1].chunks
    )
    assert hits > 0
    assert drifted.multivariate[0].chunks_drifted == f"{hits}/12"
    assert "v1: no dataset drift, drift in 0 of 12 chunks · " in view.verdict
    assert ", multivariate drift (PCA reconstruction) · " in view.verdict


def test_a_period_without_predictions_says_so() -> None:
    empty = PeriodResults("m", "regression", 0.0, 86_400.0, "3600s", versions=())
    view = build_period_view(empty)
    assert view.verdict == "No predictions of m in this period."
    assert not view.alarming


def test_a_version_too_small_to_judge_has_no_drift_table() -> None:
    chunk = {"window_start": 0.0, "window_end": 3600.0, "rows": 3, "drift": None, "alerts": []}
    overall = {"rows": 3, "labelled_rows": 0, "drift": None}
    results = PeriodResults(
        "m", "regression", 0.0, 3600.0, "3600s", (VersionPeriod("v1", (chunk,), overall),)
    )
    (version,) = build_period_view(results).versions
    assert version.drift_rows == ()
    assert version.chunks_insufficient == 1
    assert version.performance is None
