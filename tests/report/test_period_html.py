"""The period report file: self-contained, every chart placed, small enough to mail."""

from __future__ import annotations

import re
import subprocess
import sys
from dataclasses import replace
from pathlib import Path

import pytest

from monitml.report.format import fmt_number
from monitml.report.period import PeriodResults
from monitml.report.period_html import render_period_html, write_period_html

from .period_builder import year_of_flights

MAX_BYTES = 5_000_000


@pytest.fixture(scope="module")
def regression() -> PeriodResults:
    return year_of_flights(task="regression")


@pytest.fixture(scope="module")
def classification() -> PeriodResults:
    return year_of_flights(task="classification")


def _roots(html: str) -> list[str]:
    return re.findall(r'<div id="[^"]+" data-root-id="[^"]+"', html)


def test_a_year_of_monthly_chunks_of_fifteen_features_stays_under_five_megabytes(
    regression: PeriodResults, tmp_path: Path
) -> None:
    path = write_period_html(regression, tmp_path / "year.html")
    size = path.stat().st_size
    assert size < MAX_BYTES, f"{size / 1e6:.2f} MB"


def test_the_report_is_self_contained_with_bokehjs_inlined_once(
    regression: PeriodResults,
) -> None:
    html = render_period_html(regression)
    assert "<script src=" not in html
    assert "<link" not in html
    assert "@import" not in html
    assert html.count("Copyright (c) Anaconda, Inc., and Bokeh Contributors") == 1  # core only
    assert len(re.findall(r"<script[^>]*>", html)) >= 2  # BokehJS, then the documents


def test_every_chart_has_its_place_on_the_page(regression: PeriodResults) -> None:
    html = render_period_html(regression)
    # per version: predictions + their distribution, heatmap, 3 quality maps, 3 performance
    # charts, 2 estimated-performance charts (MAE, RMSE); per feature: distribution + score
    assert len(_roots(html)) == 2 * (2 + 1 + 3 + 3 + 2) + 15 * 2
    for anchor in ('id="v-v1"', 'id="v-v2"', 'id="features"', 'id="alerts"'):
        assert anchor in html
    assert 'id="feature-dep-delay"' in html


def test_a_classifier_gets_a_roc_curve_and_a_confusion_matrix(
    classification: PeriodResults,
) -> None:
    html = render_period_html(classification)
    assert "ROC of label 1 (AUC " in html
    assert "Period confusion matrix" in html
    assert "residuals" not in html


def test_each_chunks_estimate_is_drawn_with_its_band_beside_the_realised_performance(
    regression: PeriodResults,
) -> None:
    html = render_period_html(regression)
    assert html.count('<h3 class="sub">Estimated performance</h3>') == 2
    for version in ("v1", "v2"):
        assert f"{version}: MAE estimated without labels, and realised" in html
        assert f"{version}: RMSE estimated without labels, and realised" in html
    assert "estimate&#x27;s band" in html or "estimate's band" in html
    assert "realised (labelled rows)" in html
    for chunk in regression.versions[1].chunks:
        band = chunk["estimated_bands"]["mae"]
        assert band["lower"] < chunk["estimated_performance"]["mae"] < band["upper"]
        for value in (chunk["estimated_performance"]["mae"], chunk["performance"]["mae"]):
            assert f'"{fmt_number(value, 4)}"' in html  # the hover's estimate and realised value


def test_a_classifiers_estimates_are_its_roc_auc_f1_and_accuracy(
    classification: PeriodResults,
) -> None:
    html = render_period_html(classification)
    for name in ("ROC AUC", "F1", "accuracy"):
        assert f"v1: {name} estimated without labels, and realised" in html


def test_a_report_without_estimates_or_multivariate_drift_has_neither_section(
    regression: PeriodResults,
) -> None:
    versions = tuple(
        replace(v, chunks=tuple({**c, "estimated_performance": {}} for c in v.chunks))
        for v in regression.versions
    )
    html = render_period_html(replace(regression, versions=versions))
    assert len(_roots(html)) == 2 * (2 + 1 + 3 + 3) + 15 * 2
    assert "Estimated performance</h3>" not in html
    assert "Multivariate drift</h3>" not in html


def test_multivariate_drift_gets_a_table_and_a_chart_per_version() -> None:
    results = year_of_flights(multivariate=("pca",))
    html = render_period_html(results)
    assert 'id="multivariate-v-v1"' in html
    assert 'id="multivariate-v-v2"' in html
    assert "v2: multivariate drift, statistic / threshold per chunk (&gt; 1: drift)" in html
    assert len(_roots(html)) == 2 * (2 + 1 + 3 + 3 + 2 + 1) + 15 * 2


def test_names_from_the_data_are_escaped(regression: PeriodResults) -> None:
    hostile = "<img src=x onerror=alert(1)>"
    version = replace(regression.versions[0], version=hostile)
    html = render_period_html(replace(regression, versions=(version,), alert_events=()))
    assert hostile not in html
    assert "&lt;img src=x onerror=alert(1)&gt;" in html


def test_a_period_without_predictions_renders_without_charts() -> None:
    empty = PeriodResults("m", "regression", 0.0, 86_400.0, "3600s", versions=())
    html = render_period_html(empty)
    assert "No predictions of m in this period." in html
    assert _roots(html) == []
    assert "No alert in this period." in html


def test_importing_the_report_package_and_the_cli_leaves_bokeh_unloaded() -> None:
    code = "import sys, monitml.report, monitml.cli.main; print('bokeh' in sys.modules)"
    result = subprocess.run(
        [sys.executable, "-c", code], capture_output=True, text=True, check=True, timeout=60
    )
    assert result.stdout.strip() == "False"
