"""``write_period_report``: settings and a period in, one self-contained HTML file out."""

from __future__ import annotations

import re
from pathlib import Path
from typing import TYPE_CHECKING

import pytest

from monitml.app.reporting import period_results, write_period_report
from monitml.config import load_settings
from monitml.errors import ConfigError, DataError

if TYPE_CHECKING:
    from conftest import PeriodConfig

DAY = 86_400.0


def test_the_report_shows_each_version_its_drift_and_the_periods_alerts(
    period_config: PeriodConfig, tmp_path: Path
) -> None:
    settings = load_settings(period_config.path)
    start = period_config.start
    out = write_period_report(
        settings, "m", start=start, end=start + 4 * DAY, chunk="1d", out=tmp_path / "r.html"
    )
    html = out.read_text(encoding="utf-8")
    verdict = re.search(r'data-testid="verdict">([^<]*)<', html)
    assert verdict is not None
    assert verdict.group(1) == (
        "v1: no dataset drift, drift in 0 of 4 chunks · "
        "v2: dataset drift over the period, drift in 1 of 4 chunks · 2 alerts"
    )
    assert 'id="v-v1"' in html
    assert 'id="v-v2"' in html
    assert "HighMeanError" in html  # the stored alert event
    assert "DatasetDrift" in html  # the drifted chunk of v2
    assert "<script src=" not in html
    assert "<link" not in html


def test_a_given_version_is_reported_alone(period_config: PeriodConfig) -> None:
    settings = load_settings(period_config.path)
    start = period_config.start
    results = period_results(
        settings, "m", start=start, end=start + 2 * DAY, chunk="12h", version="v2"
    )
    assert [v.version for v in results.versions] == ["v2"]
    assert [c["rows"] for c in results.versions[0].chunks] == [30, 30, 30, 30]
    residuals = [r.p50 for r in results.versions[0].residuals if r is not None]
    assert residuals == pytest.approx([5.0] * 4, abs=0.01)


def test_an_unknown_model_or_an_empty_period_is_refused(
    period_config: PeriodConfig, tmp_path: Path
) -> None:
    settings = load_settings(period_config.path)
    with pytest.raises(ConfigError, match=r"models\.nope: no such model; configured: m"):
        write_period_report(settings, "nope", start=0, end=1, chunk="1d", out=tmp_path / "r")
    with pytest.raises(DataError, match="end of the period must be after its start"):
        write_period_report(settings, "m", start=1, end=1, chunk="1d", out=tmp_path / "r")


def test_an_unwritable_path_is_a_data_error(period_config: PeriodConfig, tmp_path: Path) -> None:
    settings = load_settings(period_config.path)
    start = period_config.start
    with pytest.raises(DataError, match="cannot write"):
        write_period_report(
            settings, "m", start=start, end=start + DAY, chunk="1d", out=tmp_path / "no" / "r.html"
        )


def test_a_version_without_predictions_says_so(period_config: PeriodConfig, tmp_path: Path) -> None:
    settings = load_settings(period_config.path)
    start = period_config.start
    out = write_period_report(
        settings, "m", start=start, end=start + DAY, chunk="1d", version="v9", out=tmp_path / "r"
    )
    assert 'data-testid="verdict">v9: no predictions · 0 alerts<' in out.read_text()
