"""What a worker computes per file: rows summarised per chunk, straight from Arrow."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import numpy as np
import pandas as pd
import pyarrow as pa
import pyarrow.parquet as pq
import pytest

from monitml.monitor.chunk_summary import (
    COLUMNS_A_READ,
    ChunkSummary,
    SummaryPlan,
    summarise_fragment,
    summarise_table,
)
from monitml.monitor.chunks import parse_chunk
from monitml.monitor.summarised import plan_for
from monitml.stats.summaries import CategoricalSummary, NumericSummary, summarise_numeric
from monitml.store.partitions import LogFragment, read_fragment

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


def _file_of_a_day(folder: Path, rng: np.random.Generator, n: int) -> LogFragment:
    """A day's file of ``n`` rows out of time order, in row groups of 64, some rows outside
    the day, the label half missing, and no column ``x3``."""
    seconds = rng.uniform(START - DAY / 8, START + DAY + DAY / 8, n)
    prediction = rng.normal(size=n)
    table = pa.table(
        {
            "ts": _ts(seconds),
            "record_id": [str(i) for i in range(n)],
            "x1": rng.normal(size=n),
            "x2": pa.array(rng.integers(0, 9, n), pa.int64(), mask=rng.random(n) < 0.1),
            "c": pa.array([("a", "b", "zz", None)[k] for k in rng.integers(0, 4, n)]),
            "prediction": prediction,
            "label": pa.array(prediction + rng.normal(0, 0.1, n), mask=rng.random(n) < 0.5),
        }
    )
    path = folder / "part-0.parquet"
    pq.write_table(table, path, row_group_size=64)
    return LogFragment(str(path), "m", "v1", "2026-01-01")


def test_a_file_summarised_a_few_columns_at_a_time_gives_the_summaries_of_its_whole_table(
    make_log: LogFactory, tmp_path: Path
) -> None:
    plan = _plan(make_log, chunk="6h")
    assert len([*plan.binnings, *plan.vocabularies]) > COLUMNS_A_READ  # several reads a file
    fragment = _file_of_a_day(tmp_path, np.random.default_rng(14), 1_000)

    parts = summarise_fragment(plan, fragment)
    whole = read_fragment(fragment, start=plan.start, end=plan.end, columns=plan.columns)
    expected = summarise_table(plan, whole)

    assert (
        [lower for _, lower, _ in parts]
        == list(expected)
        == [START + q * DAY / 4 for q in range(4)]
    )
    for version, lower, payload in parts:
        found, wanted = ChunkSummary.from_bytes(payload), expected[lower]
        assert version == "v1"
        assert (found.rows, found.labelled) == (wanted.rows, wanted.labelled)
        assert found.rows > 0
        assert 0 < found.labelled < found.rows
        assert list(found.columns) == list(wanted.columns)
        assert {"x1", "x2", "x3", "c"} <= set(found.columns)
        for name in ("x1", "x2"):
            _same(_numeric(found.columns[name]), _numeric(wanted.columns[name]))
        absent = _numeric(found.columns["x3"])  # the file lacks it: missing on every row
        assert (absent.count, absent.missing) == (0, found.rows)
        found_c, wanted_c = found.columns["c"], wanted.columns["c"]
        assert isinstance(found_c, CategoricalSummary)
        assert isinstance(wanted_c, CategoricalSummary)
        assert np.array_equal(found_c.counts, wanted_c.counts)
        assert (found_c.other, found_c.missing) == (wanted_c.other, wanted_c.missing)
        assert found.performance == wanted.performance
        assert found.performance is not None


_ARROW_PEAK = """
import pickle, sys
import pyarrow as pa
from monitml.monitor.chunk_summary import summarise_fragment
from monitml.store.partitions import read_fragment
plan, fragment = pickle.loads(sys.stdin.buffer.read())
if sys.argv[1] == "whole":
    read_fragment(fragment, start=plan.start, end=plan.end, columns=plan.columns)
else:
    summarise_fragment(plan, fragment)
print(pa.default_memory_pool().max_memory())
"""


def test_summarising_a_file_holds_a_few_of_its_columns_in_arrow_memory_not_the_file(
    make_log: LogFactory, tmp_path: Path
) -> None:
    """What a worker's memory holds: Arrow's peak (in a process of its own, as a worker is)
    while it summarises a file of 24 compared columns, against reading that file whole."""
    import pickle  # noqa: PLC0415

    plan = _plan(make_log)
    n = 100_000
    rng = np.random.default_rng(15)
    names = [f"f{i:02d}" for i in range(24)]
    table = pa.table(
        {"ts": _ts(np.sort(rng.uniform(START, START + DAY, n)))}
        | {name: rng.normal(size=n) for name in names}
    )
    path = tmp_path / "part-0.parquet"
    pq.write_table(table, path)
    binning = plan.binnings["x1"]
    wide = SummaryPlan(
        model="m", task="regression", start=plan.start, end=plan.end, chunk=plan.chunk,
        binnings=dict.fromkeys(names, binning), vocabularies={},
    )  # fmt: skip
    sent = pickle.dumps((wide, LogFragment(str(path), "m", "v1", "2026-01-01")))

    def arrow_peak(how: str) -> int:
        done = subprocess.run(
            [sys.executable, "-c", _ARROW_PEAK, how],
            input=sent,
            capture_output=True,
            check=True,
        )
        return int(done.stdout)

    whole, summarised = arrow_peak("whole"), arrow_peak("summarise")
    column = n * 8  # one column's values as Arrow holds them
    assert whole >= (len(names) + 1) * column
    # A read of COLUMNS_A_READ columns with ts: each column's values, its pages read and
    # decompressed; whatever the file's width.
    assert summarised < 4 * (COLUMNS_A_READ + 1) * column < whole
    assert summarised < whole / 3
