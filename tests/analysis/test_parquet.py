"""Parquet read a column at a time without pandas gives what pandas gives (issue 13, item 7)."""

from __future__ import annotations

import datetime as dt
import decimal
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd
import pyarrow as pa
import pyarrow.parquet as pq
import pytest

from monitml.analysis import compare, compare_tables
from monitml.analysis.parquet import ArrowValues, ParquetTable
from monitml.analysis.tables import FrameTable, SeriesValues
from monitml.schema import ColumnKind, ColumnMapping
from monitml.stats.samples import CategoricalSample, NumericSample, Sample

ROWS = 3_000


def _columns(seed: int, rows: int = ROWS) -> dict[str, pa.Array]:
    """One column of every type the native reader handles, and some it hands to pandas."""
    rng = np.random.default_rng(seed)
    gaps = rng.random(rows) < 0.1
    whole = rng.integers(0, 4, rows).astype(np.float64)
    whole[gaps] = np.nan
    big = rng.integers(2**53, 2**53 + 8, rows)
    return {
        "float": pa.array(rng.normal(0, 1, rows)),
        "float_nan": pa.array(np.where(gaps, np.nan, rng.normal(0, 1, rows))),
        "float_null": pa.array(rng.normal(0, 1, rows), mask=gaps),
        "float32": pa.array(rng.normal(0, 1, rows).astype(np.float32), mask=gaps),
        "whole_float": pa.array(whole),
        "all_nan": pa.array(np.full(rows, np.nan)),
        "int": pa.array(rng.integers(0, 1_000, rows)),
        "code": pa.array(rng.integers(0, 3, rows).astype(np.int8)),
        "code_null": pa.array(rng.integers(0, 3, rows), mask=gaps),
        "uint": pa.array(rng.integers(0, 2**40, rows).astype(np.uint64)),
        "big_int_null": pa.array(big, mask=gaps),
        "bool": pa.array(rng.random(rows) < 0.3),
        "bool_null": pa.array(rng.random(rows) < 0.3, mask=gaps),
        "text": pa.array(rng.choice(["a", "bb", "ccc", "", "é"], rows), mask=gaps),
        "large_text": pa.array(rng.choice(["x", "y"], rows).tolist(), type=pa.large_string()),
        "dictionary": pa.array(rng.choice(["p", "q", "r"], rows)).dictionary_encode(),
        "many_texts": pa.array([f"id-{i}" for i in rng.integers(0, 2_000, rows)]),
        "nulls": pa.nulls(rows),
        "text_nulls": pa.nulls(rows, type=pa.string()),
        "timestamp": pa.array(rng.integers(0, 10**9, rows).astype("datetime64[s]"), mask=gaps),
        "date": pa.array([dt.date(2024, 1, 1 + int(d)) for d in rng.integers(0, 28, rows)]),
        "decimal": pa.array(
            [decimal.Decimal(int(v)) / 100 for v in rng.integers(0, 500, rows)],
            type=pa.decimal128(10, 2),
        ),
        "float16": pa.array(rng.normal(0, 1, rows).astype(np.float16)),
    }


def _write(path: Path, columns: dict[str, pa.Array], row_group_size: int = 700) -> Path:
    # Small row groups: each column comes back in several chunks, dictionaries too.
    pq.write_table(pa.table(columns), path, row_group_size=row_group_size)
    return path


def _same_sample(native: Sample, pandas: Sample) -> None:
    assert type(native) is type(pandas)
    assert native.missing == pandas.missing
    if isinstance(native, NumericSample) and isinstance(pandas, NumericSample):
        np.testing.assert_array_equal(native.values, pandas.values)
    elif isinstance(native, CategoricalSample) and isinstance(pandas, CategoricalSample):
        assert native.categories == pandas.categories
        np.testing.assert_array_equal(native.counts, pandas.counts)


def _outcome(values: ArrowValues | SeriesValues, kind: ColumnKind) -> tuple[str, Any]:
    try:
        return "value", values.sample(kind)
    except Exception as error:  # the pandas side may refuse a kind: so must the native one
        return "error", type(error)


@pytest.fixture(scope="module")
def typed_file(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return _write(tmp_path_factory.mktemp("parquet") / "typed.parquet", _columns(seed=1))


@pytest.mark.parametrize("name", list(_columns(seed=0, rows=2)))
def test_each_column_type_reads_as_pandas_reads_it(typed_file: Path, name: str) -> None:
    table = ParquetTable.open(typed_file)
    assert table is not None
    native, pandas = table.values(name), SeriesValues(pd.read_parquet(typed_file)[name])
    assert native.family() == pandas.family()
    assert native.counts() == pandas.counts()
    for limit in (2, 5, 3_000):
        assert table.facts(name).kind(limit) == pandas.kind(limit)
        assert native.kind(limit) == pandas.kind(limit)
    assert table.facts(name).family() == pandas.family()
    kinds: tuple[ColumnKind, ...] = ("numerical", "categorical")
    for kind in kinds:
        got, expected = _outcome(native, kind), _outcome(pandas, kind)
        assert got[0] == expected[0]
        if got[0] == "value":
            _same_sample(got[1], expected[1])
        else:
            assert got[1] is expected[1]


def test_only_the_types_pandas_holds_plainly_are_read_natively(typed_file: Path) -> None:
    table = ParquetTable.open(typed_file)
    assert table is not None
    handed_to_pandas = {
        name for name in table.names if not isinstance(table.values(name), ArrowValues)
    }
    assert handed_to_pandas == {"date", "decimal", "float16"}


def test_fractional_floats_read_as_categories_take_their_labels_from_pandas(
    tmp_path: Path,
) -> None:
    values = np.array([0.1, 1 / 3, 2.5, 1e22, 0.1], dtype=np.float32)
    path = _write(tmp_path / "f.parquet", {"f": pa.array(values)})
    table = ParquetTable.open(path)
    assert table is not None
    expected = SeriesValues(pd.read_parquet(path)["f"]).sample("categorical")
    _same_sample(table.values("f").sample("categorical"), expected)
    assert isinstance(expected, CategoricalSample)
    assert "0.1" in expected.categories


def test_a_frame_written_by_pandas_reads_back_as_pandas_reads_it(tmp_path: Path) -> None:
    frame = pd.DataFrame(
        {
            "s": pd.array(["a", None, "b"], dtype="str"),
            "o": pd.Series(["a", None, "b"], dtype=object),
            "nullable_int": pd.array([1, None, 3], dtype="Int64"),
            "object_bool": pd.Series([True, None, False], dtype=object),
            "nullable_bool": pd.array([True, None, False], dtype="boolean"),
            "category": pd.Categorical(["x", None, "x"]),
            "string": pd.array(["a", None, "b"], dtype="string"),
            "f": [0.5, np.nan, 1.5],
        },
        index=pd.RangeIndex(3, name="row"),
    )
    path = tmp_path / "pandas.parquet"
    frame.to_parquet(path)
    table = ParquetTable.open(path)
    assert table is not None
    assert table.names == list(frame.columns)
    back = pd.read_parquet(path)
    for name in frame.columns:
        native, pandas = table.values(name), SeriesValues(back[name])
        assert native.family() == pandas.family(), name
        _same_sample(native.sample("categorical"), pandas.sample("categorical"))
    # Extension dtypes are pandas' own: those columns are read by pandas.
    natively = {name for name in table.names if isinstance(table.values(name), ArrowValues)}
    assert natively == {"s", "o", "object_bool", "category", "f"}


@pytest.mark.parametrize(
    "frame",
    [
        pd.DataFrame({0: [1.0, 2.0], 1: [3.0, 4.0]}),
        pd.DataFrame([[1.0, 2.0]], columns=pd.MultiIndex.from_tuples([("a", "x"), ("a", "y")])),
    ],
    ids=["integer-labels", "multi-index-labels"],
)
def test_a_file_whose_column_labels_are_not_strings_is_left_to_pandas(
    tmp_path: Path, frame: pd.DataFrame
) -> None:
    path = tmp_path / "labels.parquet"
    frame.to_parquet(path)
    assert ParquetTable.open(path) is None


def test_a_stored_index_is_not_a_column(tmp_path: Path) -> None:
    path = tmp_path / "indexed.parquet"
    pd.DataFrame({"a": [1.0, 2.0]}, index=pd.Index(["x", "y"], name="id")).to_parquet(path)
    table = ParquetTable.open(path)
    assert table is not None
    assert table.names == ["a"]
    assert "id" not in table


def test_an_unreadable_file_is_left_to_pandas_to_explain(tmp_path: Path) -> None:
    path = tmp_path / "bad.parquet"
    path.write_bytes(b"not parquet")
    assert ParquetTable.open(path) is None
    assert ParquetTable.open(tmp_path / "missing.parquet") is None


def _pair(tmp_path: Path, rows: int = ROWS) -> tuple[Path, Path]:
    reference, current = _columns(seed=2, rows=rows), _columns(seed=3, rows=rows)
    current["float"] = pa.array(np.random.default_rng(4).normal(0.5, 1, rows))
    current["int"] = pa.array(np.random.default_rng(5).normal(0, 1, rows))  # type kept
    current["bool"] = pa.array(np.random.default_rng(6).choice(["yes", "no"], rows))  # changed
    current["text_nulls"] = pa.array(np.random.default_rng(7).choice(["a", "b"], rows))
    del current["code"]  # missing from current
    current["extra"] = pa.array(np.zeros(rows))  # only in current
    for name in ("date", "decimal", "float16"):  # pandas cannot compare these either way
        del reference[name], current[name]
    for seed, columns in enumerate((reference, current)):
        rng = np.random.default_rng(10 + seed)
        score = rng.random(rows)
        columns["score"] = pa.array(score)
        columns["label"] = pa.array((rng.random(rows) < score).astype(np.int64))
    return _write(tmp_path / "ref.parquet", reference), _write(tmp_path / "cur.parquet", current)


def _without_clock(report: Any) -> dict[str, Any]:
    payload: dict[str, Any] = report.to_dict()
    payload.pop("generated_at")
    return payload


@pytest.mark.parametrize(
    "options",
    [
        {},
        {"method": "psi"},
        {"column_methods": {"float": "wasserstein", "text": "chisquare"}, "threshold": 0.2},
        {"mapping": ColumnMapping(numerical=["code"], categorical=["int"], ignore=["uint"])},
        {"mapping": ColumnMapping(target="label", prediction="score")},
    ],
    ids=["default", "one-method", "per-column-methods", "kinds-given", "performance"],
)
def test_a_report_from_parquet_files_equals_the_report_from_their_frames(
    tmp_path: Path, options: dict[str, Any]
) -> None:
    ref_path, cur_path = _pair(tmp_path)
    reference, current = ParquetTable.open(ref_path), ParquetTable.open(cur_path)
    assert reference is not None
    assert current is not None
    from_files = compare_tables(reference, current, **options)
    from_frames = compare(pd.read_parquet(ref_path), pd.read_parquet(cur_path), **options)
    assert _without_clock(from_files) == _without_clock(from_frames)
    reasons = {name: column.result.reason for name, column in from_files.columns.items()}
    assert reasons["bool"] == "type changed: boolean in reference, string in current"
    assert reasons["text_nulls"] == "column is empty in reference"


def test_a_large_comparison_runs_columns_side_by_side_with_the_same_report(
    tmp_path: Path,
) -> None:
    rng = np.random.default_rng(8)
    rows = 600_000  # 2 columns x 1.2M rows: past the threshold of the thread pool
    ref_path = _write(
        tmp_path / "r.parquet",
        {"a": pa.array(rng.normal(0, 1, rows)), "b": pa.array(rng.integers(0, 9, rows))},
        row_group_size=250_000,
    )
    cur_path = _write(
        tmp_path / "c.parquet",
        {"a": pa.array(rng.normal(0.1, 1, rows)), "b": pa.array(rng.integers(0, 9, rows))},
        row_group_size=250_000,
    )
    reference, current = ParquetTable.open(ref_path), ParquetTable.open(cur_path)
    assert reference is not None
    assert current is not None
    from_files = compare_tables(reference, current)
    from_frames = compare_tables(
        FrameTable(pd.read_parquet(ref_path)), FrameTable(pd.read_parquet(cur_path))
    )
    assert _without_clock(from_files) == _without_clock(from_frames)
    assert from_files.columns["a"].result.drift_detected
