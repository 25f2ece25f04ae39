"""Tables of columns that a comparison reads, and a DataFrame as one of them.

A comparison asks each column four things (``ColumnValues``): its dtype family, its kind, its
statistical sample, and how many values it has and misses. ``FrameTable`` answers them from
a pandas DataFrame, ``monitml.analysis.parquet.ParquetTable`` from Parquet without pandas;
both give the same answers for the same data. pandas is imported here only when a file is
read with it or a Series is looked at, so that a Parquet comparison never loads it.
"""

from __future__ import annotations

from collections.abc import Collection, Hashable, Sequence
from pathlib import Path
from typing import TYPE_CHECKING, Protocol

import numpy as np

from monitml.analysis.charts import chart_data
from monitml.errors import DataError
from monitml.schema import ColumnFacts, ColumnKind, DtypeFamily, SeriesFacts
from monitml.stats.samples import CategoricalSample, NumericSample, Sample

if TYPE_CHECKING:
    import pandas as pd

__all__ = [
    "ColumnTable",
    "ColumnValues",
    "FrameTable",
    "SeriesValues",
    "chart_data",
    "read_table",
    "to_sample",
]


class ColumnValues(Protocol):
    """One column's values, as a comparison sees them."""

    def family(self) -> DtypeFamily:
        """The dtype family, as :func:`monitml.schema.dtype_family` gives it for the column."""
        ...

    def sample(self, kind: ColumnKind) -> Sample:
        """The statistical sample of the column read as ``kind`` (see :func:`to_sample`)."""
        ...

    def counts(self) -> tuple[int, int]:
        """Numbers of present and of missing values."""
        ...


class ColumnTable(Protocol):
    """Named columns of equal length, read one at a time."""

    @property
    def names(self) -> Collection[Hashable]:
        """The column names, in order."""
        ...

    def __len__(self) -> int: ...

    def __contains__(self, name: object) -> bool: ...

    def facts(self, name: Hashable) -> ColumnFacts:
        """What schema inference needs of a column; may read less than ``values``."""
        ...

    def values(self, name: str) -> ColumnValues:
        """A column's values (a column that is present)."""
        ...

    def frame(self, names: Sequence[str]) -> pd.DataFrame:
        """Those of ``names`` the table has, as a DataFrame (for the performance metrics)."""
        ...


class SeriesValues(SeriesFacts):
    """A pandas column as ``ColumnValues``."""

    __slots__ = ()

    def sample(self, kind: ColumnKind) -> Sample:
        return to_sample(self.series, kind)

    def counts(self) -> tuple[int, int]:
        missing = int(self.series.isna().sum())
        return len(self.series) - missing, missing


class FrameTable:
    """A pandas DataFrame as a ``ColumnTable``."""

    def __init__(self, frame: pd.DataFrame) -> None:
        self.frame_ = frame

    @property
    def names(self) -> pd.Index:
        return self.frame_.columns

    def __len__(self) -> int:
        return len(self.frame_)

    def __contains__(self, name: object) -> bool:
        return name in self.frame_.columns

    def facts(self, name: Hashable) -> SeriesFacts:
        return SeriesFacts(self.frame_[name])

    def values(self, name: str) -> SeriesValues:
        return SeriesValues(self.frame_[name])

    def frame(self, names: Sequence[str]) -> pd.DataFrame:
        return self.frame_


def read_table(path: Path) -> pd.DataFrame:
    """Read a CSV or Parquet file; any failure becomes a one-line DataError."""
    import pandas as pd  # noqa: PLC0415

    if not path.exists():
        raise DataError(f"file not found: {path}")
    if path.is_dir():
        raise DataError(f"not a file: {path}")
    suffix = path.suffix.lower()
    try:
        if suffix in PARQUET_SUFFIXES:
            return pd.read_parquet(path)
        if suffix in {".csv", ".txt", ".gz", ".zip", ".bz2"}:
            return pd.read_csv(path)
    except Exception as exc:  # pandas and pyarrow raise many types for a bad file
        first_line = str(exc).strip().splitlines()[0] if str(exc).strip() else type(exc).__name__
        raise DataError(f"cannot read {path}: {first_line}") from exc
    raise DataError(f"unsupported file type '{suffix or path.name}': use .csv or .parquet")


PARQUET_SUFFIXES = frozenset({".parquet", ".pq"})


def to_sample(series: pd.Series, kind: ColumnKind) -> Sample:
    """The statistical summary of one column: sorted numbers or category counts."""
    import pandas as pd  # noqa: PLC0415

    if kind == "numerical":
        values = pd.to_numeric(series, errors="coerce").to_numpy(dtype=np.float64, na_value=np.nan)
        return NumericSample.from_values(values)
    missing = int(series.isna().sum())
    present = series.dropna()
    if pd.api.types.is_float_dtype(present.dtype) and np.all(np.mod(present, 1.0) == 0.0):
        # Integers stored as floats (because of missing values) must match integer labels.
        present = present.astype(np.int64)
    counts = present.astype(str).value_counts(sort=False)
    return CategoricalSample.from_counts(counts.to_dict(), missing)
