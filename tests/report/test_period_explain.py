"""The period report's "Why" section: the features by impact, each chunk's sentence and the
performance per neighbourhood chunk by chunk, from real monitor payloads on the Ames sales."""

from __future__ import annotations

import re

import pandas as pd
import pytest

from monitml.demo.models import (
    AMES_CATEGORICAL,
    AMES_NUMERICAL,
    AMES_TARGET,
    load_ames,
    split_ames,
    train_house_price_model,
)
from monitml.estimation.features import limited_threads
from monitml.explain import permutation_importance
from monitml.monitor.model_monitor import ModelMonitor
from monitml.monitor.policy import MonitorPolicy
from monitml.report.period import PeriodResults, VersionPeriod
from monitml.report.period_explain import build_explanations
from monitml.report.period_html import render_period_html

FEATURES = AMES_CATEGORICAL + AMES_NUMERICAL
YEARS = (2008, 2009, 2010)


@pytest.fixture(scope="module")
def results() -> PeriodResults:
    """2008–2010 in yearly chunks; in 2009 the model priced Edwards 38% too low."""
    reference, traffic = split_ames(load_ames())
    # OpenMP on two busy cores is many times slower than one thread; scikit-learn must be
    # loaded before the limit is set for the limit to apply.
    from sklearn.ensemble import HistGradientBoostingRegressor  # noqa: F401, PLC0415

    with limited_threads(1):
        model = train_house_price_model(reference)
    reference = reference.assign(prediction=model.predict(reference[FEATURES]))
    importance = permutation_importance(
        lambda f: model.predict(f[FEATURES]), reference, target=AMES_TARGET, features=FEATURES,
        task="regression",
    )  # fmt: skip
    monitor = ModelMonitor(
        "house-price", reference, features=FEATURES, numerical=AMES_NUMERICAL,
        categorical=AMES_CATEGORICAL, target=AMES_TARGET, policy=MonitorPolicy(min_rows=50),
        segments=["neighborhood"], importance={"v1": importance},
    )  # fmt: skip
    logged = traffic.assign(prediction=model.predict(traffic[FEATURES]))
    logged = logged.rename(columns={AMES_TARGET: "label"}).astype({"label": float})
    shifted = (logged["yr_sold"] == 2009) & (logged["neighborhood"] == "Edwards")
    logged.loc[shifted, "prediction"] *= 0.62
    starts = [pd.Timestamp(f"{year}-01-01", tz="UTC").timestamp() for year in (*YEARS, 2011)]
    chunks = []
    for index, year in enumerate(YEARS):
        part = logged[logged["yr_sold"] == year].reset_index(drop=True)
        start, end = starts[index], starts[index + 1]
        result = monitor.evaluate(part, "v1", window_start=start, window_end=end)
        chunks.append({**result.to_dict(), "alerts": []})
    overall = monitor.evaluate(logged, "v1", window_start=starts[0], window_end=starts[-1])
    return PeriodResults(
        model="house-price", task="regression", start=starts[0], end=starts[-1], chunk="1y",
        versions=(VersionPeriod("v1", tuple(chunks), overall.to_dict()),),
    )  # fmt: skip


def test_the_chunk_where_edwards_fell_says_so_and_the_others_do_not(
    results: PeriodResults,
) -> None:
    why = build_explanations(results)["v1"]
    assert [c.chunk for c in why.chunks] == ["2008-01-01", "2009-01-01", "2010-01-01"]
    assert "prediction mean fell" in why.chunks[1].summary
    assert "in neighborhood=Edwards" in why.chunks[1].summary
    assert any(m.startswith("neighborhood=Edwards: prediction mean -") for m in why.chunks[1].moves)
    for other in (why.chunks[0], why.chunks[2]):
        assert "neighborhood=Edwards" not in other.summary


def test_the_period_ranks_features_with_the_models_importance(results: PeriodResults) -> None:
    why = build_explanations(results)["v1"]
    assert why.weighted
    assert len(why.impact) == 10  # the ten largest of the eleven features
    impacts = [float(row.impact) for row in why.impact]
    assert impacts == sorted(impacts, reverse=True)


def test_the_neighbourhood_table_has_a_cell_per_chunk_and_edwards_mae_rose_in_2009(
    results: PeriodResults,
) -> None:
    (table,) = build_explanations(results)["v1"].segments
    assert table.column == "neighborhood"
    assert table.metric == "MAE"
    assert table.chunks == ("2008-01-01", "2009-01-01", "2010-01-01")
    cells = dict(table.rows)["Edwards"]
    assert len(cells) == 3
    payload = results.versions[0].chunks[1]["explanation"]["segment_performance"]
    edwards = next(s for s in payload["neighborhood"]["segments"] if s["segment"] == "Edwards")
    assert float(cells[1].replace(",", "")) == pytest.approx(edwards["value"], rel=1e-2)


def test_the_html_report_shows_the_section_per_version(results: PeriodResults) -> None:
    html = render_period_html(results)
    assert 'id="why-chunks-v-v1"' in html
    assert 'data-column="neighborhood"' in html
    section = re.search(r'<table class="why-table".*?</table>', html, re.S)
    assert section is not None
    assert "in neighborhood=Edwards" in section.group(0)


def test_payloads_without_explanations_leave_the_section_out(results: PeriodResults) -> None:
    entry = results.versions[0]
    bare = VersionPeriod(
        "v1",
        tuple({k: v for k, v in c.items() if k != "explanation"} for c in entry.chunks),
        {k: v for k, v in entry.overall.items() if k != "explanation"},
    )
    old = PeriodResults(
        model="house-price", task="regression", start=results.start, end=results.end,
        chunk="1y", versions=(bare,),
    )  # fmt: skip
    assert build_explanations(old) == {}
    assert "why-chunks" not in render_period_html(old)
