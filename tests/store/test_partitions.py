"""Reading a window of a partitioned log written by any tool, opening only what it needs."""

from __future__ import annotations

import json
import os
import subprocess
from pathlib import Path
from typing import Literal

import numpy as np
import pandas as pd
import pyarrow as pa
import pyarrow.parquet as pq
import pytest

from monitml.errors import DataError
from monitml.store.partitions import log_fragments, open_fragment, read_fragment, read_log

START = pd.Timestamp("2026-03-01", tz="UTC")


def _write(root: Path, model: str, version: str, date: str, table: pa.Table) -> None:
    folder = root / f"model={model}" / f"version={version}" / f"date={date}"
    folder.mkdir(parents=True, exist_ok=True)
    pq.write_table(table, folder / f"data-{len(list(folder.iterdir()))}.parquet")


def _day(date: str, n: int, x: pa.Array | None = None) -> pa.Table:
    ts = pd.date_range(date, periods=n, freq="1h", tz="UTC")
    return pa.table(
        {
            "ts": pa.array(ts),
            "record_id": [f"{date}-{i}" for i in range(n)],
            "x": x if x is not None else pa.array(np.arange(n, dtype=np.float64)),
            "prediction": np.ones(n),
            "label": pa.nulls(n, pa.float64()),
        }
    )


def _garbage(root: Path, model: str, version: str, date: str) -> None:
    folder = root / f"model={model}" / f"version={version}" / f"date={date}"
    folder.mkdir(parents=True, exist_ok=True)
    (folder / "broken.parquet").write_bytes(b"not parquet: reading this file fails")


def test_a_window_reads_only_the_partitions_of_its_model_version_and_dates(
    tmp_path: Path,
) -> None:
    _write(tmp_path, "m", "1", "2026-03-01", _day("2026-03-01", 24))
    _write(tmp_path, "m", "1", "2026-03-02", _day("2026-03-02", 24))
    _garbage(tmp_path, "m", "1", "2026-03-03")  # a day after the window
    _garbage(tmp_path, "m", "2", "2026-03-01")  # another version
    _garbage(tmp_path, "other", "1", "2026-03-01")  # another model

    start, end = (START + pd.Timedelta(hours=12)).timestamp(), pd.Timestamp("2026-03-03", tz="UTC")
    frame = read_log(tmp_path, "m", "1", start=start, end=end.timestamp())

    assert len(frame) == 36
    assert frame["timestamp"].min() == start
    assert frame["timestamp"].is_monotonic_increasing
    assert set(frame["version"]) == {"1"}  # a partition value stays text
    assert list(frame.columns) == ["timestamp", "record_id", "x", "prediction", "label", "version"]


def test_files_that_disagree_on_a_column_type_are_read_as_one_window(tmp_path: Path) -> None:
    _write(tmp_path, "m", "v1", "2026-03-01", _day("2026-03-01", 3, pa.array([1, 2, 3])))
    _write(tmp_path, "m", "v1", "2026-03-01", _day("2026-03-01", 2, pa.nulls(2, pa.null())))
    _write(tmp_path, "m", "v2", "2026-03-01", _day("2026-03-01", 2, pa.array([0.5, 1.5])))

    frame = read_log(tmp_path, "m")

    assert frame["x"].dtype == np.float64
    assert sorted(frame["x"].dropna()) == [0.5, 1.0, 1.5, 2.0, 3.0]
    assert list(frame.groupby("version").size()) == [5, 2]


def test_a_window_ending_at_midnight_opens_nothing_of_that_day(tmp_path: Path) -> None:
    _write(tmp_path, "m", "v1", "2026-03-01", _day("2026-03-01", 24))
    _garbage(tmp_path, "m", "v1", "2026-03-02")

    fragments = log_fragments(
        tmp_path, "m", start=START.timestamp(), end=(START + pd.Timedelta(days=1)).timestamp()
    )

    assert [f.date for f in fragments] == ["2026-03-01"]


def test_a_missing_folder_is_a_data_error_naming_it(tmp_path: Path) -> None:
    with pytest.raises(DataError, match=r"no partitioned log at .*absent"):
        read_log(tmp_path / "absent", "m")


@pytest.mark.parametrize("unit", ["s", "ms", "us", "ns"])
def test_a_window_inside_a_file_gets_exactly_its_rows_whatever_the_time_unit(
    tmp_path: Path, unit: Literal["s", "ms", "us", "ns"]
) -> None:
    # 48 rows over two days in row groups of 10, one row without a time: the window starts
    # and ends inside row groups, and whole row groups lie outside it on either side.
    ts = pd.date_range("2026-03-01", periods=48, freq="1h", tz="UTC").as_unit(unit)
    table = pa.table(
        {
            "ts": pa.array(ts, mask=np.arange(48) == 30),
            "record_id": [str(i) for i in range(48)],
            "x": np.arange(48, dtype=np.float64),
        }
    )
    folder = tmp_path / "model=m" / "version=v1" / "date=2026-03-01"
    folder.mkdir(parents=True)
    pq.write_table(table, folder / "data.parquet", row_group_size=10)
    start = (START + pd.Timedelta(hours=13)).timestamp()
    end = (START + pd.Timedelta(hours=35)).timestamp()
    (fragment,) = log_fragments(tmp_path, "m")

    window = read_fragment(fragment, start=start, end=end, columns=["x"])
    whole = read_fragment(fragment, columns=["x"])

    assert window.column_names == ["ts", "x"]
    assert window["x"].to_pylist() == [float(i) for i in range(13, 35) if i != 30]
    assert window.schema.field("ts").type == pa.timestamp("us", tz="UTC")
    assert whole.num_rows == 48  # no window: every row, the one without a time too
    # Read a column at a time, the window has the same rows.
    with open_fragment(fragment, start=start, end=end) as columns:
        assert columns.ts.equals(window["ts"])
        assert columns.read(["x"]).column_names == ["x"]
        assert columns.read(["x", "absent"])["x"].equals(window["x"])
        assert columns.read(["record_id"])["record_id"].to_pylist() == [
            str(i) for i in range(13, 35) if i != 30
        ]
        # None of the columns asked for: ts alone, so the rows are still counted.
        assert columns.read(["absent"]).column_names == ["ts"]
        assert columns.read(["absent"]).num_rows == columns.num_rows == 21


def _on_disk(path: Path) -> None:
    """Write ``path``'s dirty pages back: the kernel drops no page that is not written yet."""
    descriptor = os.open(path, os.O_RDONLY)
    try:
        os.fsync(descriptor)
    finally:
        os.close(descriptor)


def _cached_pages(path: Path) -> int:
    """Pages of ``path`` in the page cache (util-linux's fincore)."""
    done = subprocess.run(
        ["fincore", "--json", "--bytes", "--output", "PAGES", str(path)],
        capture_output=True,
        text=True,
        check=True,
    )
    return int(json.loads(done.stdout)["fincore"][0]["pages"])


def test_a_file_read_once_leaves_the_page_cache_and_one_read_again_stays(tmp_path: Path) -> None:
    _write(tmp_path, "m", "1", "2026-03-01", _day("2026-03-01", 24, pa.array(np.arange(24.0))))
    (fragment,) = log_fragments(
        tmp_path, "m", start=START.timestamp(), end=(START + pd.Timedelta(days=1)).timestamp()
    )
    seconds = pd.date_range("2026-03-01", periods=200_000, freq="s", tz="UTC")
    values = np.random.default_rng(0).standard_normal(200_000)
    path = Path(fragment.path)
    pq.write_table(pa.table({"ts": pa.array(seconds), "x": values}), path)
    _on_disk(path)
    path.read_bytes()  # in the page cache now
    before = _cached_pages(path)
    if before == 0:
        pytest.fail(f"{path} is not page-cached after a read: is {tmp_path} on tmpfs?")
    kept = read_fragment(fragment)
    assert _cached_pages(path) == before
    once = read_fragment(fragment, once=True)
    assert _cached_pages(path) == 0
    assert once.equals(kept)


def test_a_file_read_column_by_column_once_leaves_the_page_cache_at_the_end(
    tmp_path: Path,
) -> None:
    seconds = pd.date_range("2026-03-01", periods=200_000, freq="s", tz="UTC")
    values = np.random.default_rng(1).standard_normal((2, 200_000))
    table = pa.table({"ts": pa.array(seconds), "x": values[0], "y": values[1]})
    _write(tmp_path, "m", "1", "2026-03-01", table)
    (fragment,) = log_fragments(tmp_path, "m")
    path = Path(fragment.path)
    _on_disk(path)
    path.read_bytes()
    before = _cached_pages(path)
    if before == 0:
        pytest.fail(f"{path} is not page-cached after a read: is {tmp_path} on tmpfs?")

    with open_fragment(fragment) as kept:
        assert kept.read(["x"])["x"].equals(table["x"])
    assert _cached_pages(path) == before
    with open_fragment(fragment, once=True) as once:
        assert once.read(["x"])["x"].equals(table["x"])
        assert once.read(["y"])["y"].equals(table["y"])  # still readable until the end
    assert _cached_pages(path) == 0
