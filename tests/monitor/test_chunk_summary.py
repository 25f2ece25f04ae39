"""What a worker computes per file: rows summarised per chunk, straight from Arrow."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pyarrow as pa
import pytest

from monitml.monitor.chunk_summary import SummaryPlan, summarise_table
from monitml.monitor.chunks import parse_chunk
from monitml.monitor.summarised import plan_for
from monitml.stats.summaries import CategoricalSummary, NumericSummary, summarise_numeric

from .conftest import DAY, START, LogFactory


def _plan(make_log: LogFactory, chunk: str = "1d") -> SummaryPlan:
    log = make_log(days=1, per_day={"v1": 10})
    return plan_for(log.monitor, start=START, end=START + DAY, chunk=parse_chunk(chunk))


def _ts(seconds: np.ndarray) -> pa.Array:
    micros = np.round(seconds * 1_000_000).astype(np.int64)
    return pa.array(micros, pa.int64()).cast(pa.timestamp("us", tz="UTC"))


def _numeric(summary: object) -> NumericSummary:
    assert isinstance(summary, NumericSummary)
    return summary


def _same(found: NumericSummary, expected: NumericSummary) -> None:
    assert (found.count, found.missing) == (expected.count, expected.missing)
    assert (found.minimum, found.maximum) == (expected.minimum, expected.maximum)
    assert (found.total, found.m2) == (expected.total, expected.m2)
    assert np.array_equal(found.counts, expected.counts)
    assert found.distinct is not None
    assert expected.distinct is not None
    assert np.array_equal(found.distinct, expected.distinct)


def test_numeric_columns_of_any_type_are_coerced_as_pandas_coerces_them(
    make_log: LogFactory,
) -> None:
    plan = _plan(make_log)
    n = 300
    rng = np.random.default_rng(11)
    integers = rng.integers(-50, 50, n)
    nulls = rng.random(n) < 0.2
    texts = [f"{v:.3f}" if i % 7 else "n/a" for i, v in enumerate(rng.normal(size=n))]
    table = pa.table(
        {
            "ts": _ts(START + np.arange(n) * 60.0),
            "x1": pa.array(integers, pa.int64(), mask=nulls),  # integers with nulls
            "x2": pa.array(rng.normal(size=n).astype(np.float32)),
            "x3": pa.array(texts, pa.string()),  # numbers written as text, some not numbers
            "c": pa.array([("a", "b", None)[k] for k in rng.integers(0, 3, n)]),
        }
    )

    (summary,) = summarise_table(plan, table).values()

    frame = table.to_pandas()
    for name in ("x1", "x2", "x3"):
        values = pd.to_numeric(frame[name], errors="coerce").to_numpy(np.float64, na_value=np.nan)
        _same(_numeric(summary.columns[name]), summarise_numeric(values, plan.binnings[name]))
    assert _numeric(summary.columns["x1"]).missing == int(nulls.sum())
    assert _numeric(summary.columns["x3"]).missing == sum(t == "n/a" for t in texts)
    categorical = summary.columns["c"]
    assert isinstance(categorical, CategoricalSummary)
    assert categorical.missing == int(frame["c"].isna().sum())


def test_rows_out_of_time_order_give_the_summaries_of_the_ordered_rows(
    make_log: LogFactory,
) -> None:
    plan = _plan(make_log, chunk="6h")
    n = 360
    rng = np.random.default_rng(12)
    ordered = pa.table(
        {
            "ts": _ts(START + np.arange(n) * 240.0),  # one day, four chunks of 90 rows
            "x1": rng.normal(size=n),
            "label": pa.array(rng.normal(size=n), mask=rng.random(n) < 0.5),
        }
    )
    shuffled = ordered.take(rng.permutation(n))

    expected = summarise_table(plan, ordered)
    found = summarise_table(plan, shuffled)

    assert list(found) == list(expected) == [START + q * DAY / 4 for q in range(4)]
    for lower, summary in found.items():
        assert (summary.rows, summary.labelled) == (expected[lower].rows, expected[lower].labelled)
        _same(_numeric(summary.columns["x1"]), _numeric(expected[lower].columns["x1"]))
        # A column the file lacks is missing on every one of its rows.
        assert _numeric(summary.columns["x2"]).missing == 90


def test_rows_outside_the_plans_range_are_not_summarised(make_log: LogFactory) -> None:
    plan = _plan(make_log)
    table = pa.table(
        {"ts": _ts(np.array([START - 1.0, START, START + DAY - 1.0, START + DAY])), "x1": [1.0] * 4}
    )

    (summary,) = summarise_table(plan, table).values()

    assert summary.rows == 2
    assert summarise_table(plan, table.slice(0, 0)) == {}


@pytest.mark.parametrize("chunk", ["1d", "6h", "1mo"])
def test_every_row_lands_in_the_chunk_of_its_time(make_log: LogFactory, chunk: str) -> None:
    plan = _plan(make_log, chunk=chunk)
    seconds = np.sort(np.random.default_rng(13).uniform(START, START + DAY, 1_000))
    found = summarise_table(plan, pa.table({"ts": _ts(seconds), "x1": seconds}))

    for lower, summary in found.items():
        upper = lower + (plan.chunk.seconds or DAY)
        x1 = _numeric(summary.columns["x1"])
        inside = (seconds >= lower) & (seconds < upper)
        assert summary.rows == int(inside.sum())
        assert (x1.minimum, x1.maximum) == (seconds[inside].min(), seconds[inside].max())
    assert sum(s.rows for s in found.values()) == seconds.size
