"""Reading a window of a partitioned log written by any tool, opening only what it needs."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pandas as pd
import pyarrow as pa
import pyarrow.parquet as pq
import pytest

from monitml.errors import DataError
from monitml.store.partitions import log_fragments, read_log

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
