"""Parquet columns read one at a time with pyarrow into numpy: a comparison without pandas.

``monitml drift`` on two Parquet files spent a third of its time importing pandas and held
both files twice over (Arrow, then pandas) before comparing a column. A ``ParquetTable``
reads one column when it is compared, straight from its Arrow buffers into numpy (strings
as dictionary codes, counted with ``np.bincount``), and drops it afterwards.

What is guaranteed: every answer of a column (dtype family, kind, sample, counts) is the one
``monitml.analysis.tables`` gives for that column of ``pd.read_parquet(path)``, so the
comparison is the same to the bit. The buffers are read natively for the types whose pandas
form is plain: integers, float32/64, booleans, strings and dictionaries of strings, columns of
nulls, and (for their family only) timestamps; integers with nulls are seen as float64 and
booleans with nulls as objects, as pandas sees them. A column of any other type, or read as
another kind (a string column read as numbers, fractional floats read as categories), is read
alone with pandas. ``open`` returns ``None`` for a file whose pandas metadata pandas would read
into something else (column labels that are not strings, renamed columns, duplicated names):
the caller then reads the whole file with pandas.

Files are read with ``pyarrow._parquet.ParquetReader``, the reader behind the public
``pyarrow.parquet.ParquetFile``: importing ``pyarrow.parquet`` also imports ``pyarrow.fs`` and
its cloud filesystems (S3, GCS, Azure), 11 MB of RSS and a tenth of a second that a local file
never uses. If that reader ever changes, ``open`` returns ``None`` and pandas reads the files.

What is not guaranteed: a memory figure; memory is bounded by the columns in flight (two at
most, one per core), and pyarrow's buffer pool is the process's.
"""

from __future__ import annotations

from collections.abc import Callable, Hashable, Sequence
from pathlib import Path
from typing import TYPE_CHECKING, Any, Literal

import numpy as np
from numpy.typing import NDArray

from monitml import arrow_buffers as arrow
from monitml.analysis.tables import PARQUET_SUFFIXES, SeriesValues
from monitml.schema import ColumnKind, DtypeFamily, SeriesFacts
from monitml.stats.samples import CategoricalSample, NumericSample, Sample

if TYPE_CHECKING:
    import pandas as pd

__all__ = ["ArrowValues", "ParquetTable"]

# Schema inference reads this many rows first: most numerical columns are proved numerical
# by them (a fractional value, or more distinct values than a category code has).
FIRST_ROWS = 10_000

Native = Literal["numeric", "boolean", "string", "null", "timestamp"]
# pandas metadata (``numpy_type``) under which a column reads back as its plain form.
_PLAIN_HINTS: dict[Native, frozenset[str]] = {
    "boolean": frozenset({"bool", "object"}),
    "string": frozenset({"object", "str"}),
    "null": frozenset({"object"}),
}


class ParquetTable:
    """The columns of one Parquet file, each read when asked for (a ``ColumnTable``)."""

    def __init__(self, path: Path, names: list[str], native: dict[str, Native], rows: int):
        self.path = path
        self._names = names
        self._native = native
        self._rows = rows

    @classmethod
    def open(cls, path: Path) -> ParquetTable | None:
        """The file's table, or ``None`` when it should be read with pandas instead.

        ``None`` too for a file pyarrow cannot open: pandas then says why, as it always has.
        """
        if path.suffix.lower() not in PARQUET_SUFFIXES or not path.is_file():
            return None
        try:
            parquet = _reader(path)
            schema, rows = parquet.schema_arrow, parquet.metadata.num_rows
        except (ImportError, AttributeError, TypeError, OSError, ValueError):
            return None
        names: list[str] = list(schema.names)
        hints: dict[str, str | None] = dict.fromkeys(names)
        metadata = schema.pandas_metadata
        if metadata is not None:
            levels = metadata.get("column_indexes") or []
            if len(levels) > 1 or any(level.get("pandas_type") != "unicode" for level in levels):
                return None
            stored_index = {
                name for name in metadata.get("index_columns", []) if isinstance(name, str)
            }
            entries = {entry.get("field_name"): entry for entry in metadata.get("columns", [])}
            names = [name for name in names if name not in stored_index]
            for name in names:
                entry = entries.get(name)
                if entry is None or entry.get("name") != name:
                    return None
                categorical = entry.get("pandas_type") == "categorical"
                hints[name] = "dictionary" if categorical else entry.get("numpy_type")
        if len(set(names)) != len(names):
            return None
        native = {
            name: kind
            for name in names
            if (kind := _native_kind(schema.field(name).type, hints[name])) is not None
        }
        return cls(path, names, native, rows)

    @property
    def names(self) -> list[str]:
        return self._names

    def __len__(self) -> int:
        return self._rows

    def __contains__(self, name: object) -> bool:
        return name in self._names

    def facts(self, name: Hashable) -> ArrowValues | SeriesFacts | _FirstRowsFacts:
        label = str(name)
        if self._native.get(label) == "numeric":
            return _FirstRowsFacts(self, label)
        return self.values(label)

    def values(self, name: str) -> ArrowValues | SeriesValues:
        native = self._native.get(name)
        if native is None:
            return self._pandas_column(name)
        return ArrowValues(native, self._read(name).chunks, lambda: self._pandas_column(name))

    def first_values(self, name: str, rows: int) -> ArrowValues:
        """The first ``rows`` rows of a natively read column."""
        native = self._native[name]
        reader = _reader(self.path)
        groups = range(reader.metadata.num_row_groups)
        index = [reader.column_name_idx(name)]
        first = next(iter(reader.iter_batches(rows, groups, column_indices=index)), None)
        chunks = [] if first is None else [first.column(0)]
        return ArrowValues(native, chunks, lambda: self._pandas_column(name))

    def frame(self, names: Sequence[str]) -> pd.DataFrame:
        import pandas as pd  # noqa: PLC0415

        return pd.read_parquet(self.path, columns=[name for name in names if name in self])

    def _read(self, name: str) -> Any:
        # Strings come as dictionary codes: counted with numpy, never turned into objects.
        reader = _reader(self.path, [name] if self._native[name] == "string" else None)
        return reader.read_all(column_indices=[reader.column_name_idx(name)]).column(0)

    def _pandas_column(self, name: str) -> SeriesValues:
        return SeriesValues(self.frame([name])[name])


def _reader(path: Path, read_dictionary: list[str] | None = None) -> Any:
    """An open ``ParquetReader`` (one per read: readers are not shared between threads)."""
    from pyarrow._parquet import ParquetReader  # noqa: PLC0415  # see the module's docstring

    reader = ParquetReader()
    reader.open(str(path), read_dictionary=read_dictionary, pre_buffer=False)
    return reader


def _native_kind(kind: Any, hint: str | None) -> Native | None:
    """How a column of Arrow type ``kind`` is read natively, if it is."""
    import pyarrow as pa  # noqa: PLC0415

    native: Native | None = None
    if pa.types.is_integer(kind) or pa.types.is_float32(kind) or pa.types.is_float64(kind):
        return "numeric" if hint is None or hint == arrow.numpy_dtype(kind).name else None
    if pa.types.is_boolean(kind):
        native = "boolean"
    elif pa.types.is_string(kind) or pa.types.is_large_string(kind):
        native = "string"
    elif pa.types.is_dictionary(kind) and (
        pa.types.is_string(kind.value_type) or pa.types.is_large_string(kind.value_type)
    ):
        return "string" if hint in (None, "dictionary") else None
    elif pa.types.is_null(kind):
        native = "null"
    elif pa.types.is_timestamp(kind):
        return "timestamp" if hint is None or hint.startswith("datetime64") else None
    if native is None or not (hint is None or hint in _PLAIN_HINTS[native]):
        return None
    return native


class ArrowValues:
    """One column's Arrow chunks as ``ColumnValues``, decoded from their buffers.

    ``pyarrow``'s own ``to_numpy`` and ``to_pylist`` import pandas, hence the buffers. What
    is not read natively comes from ``fallback``, the column read with pandas.
    """

    def __init__(
        self, native: Native, chunks: Sequence[Any], fallback: Callable[[], SeriesValues]
    ) -> None:
        self._native = native
        self._chunks = chunks
        self._fallback = fallback
        self._length = sum(len(chunk) for chunk in chunks)
        self._nulls = sum(chunk.null_count for chunk in chunks)
        self._numbers: NDArray[Any] | None = None

    def family(self) -> DtypeFamily:
        present, _ = self.counts()
        if present == 0:
            return "empty"
        if self._native == "numeric":
            return "numeric"
        if self._native == "boolean":
            # With a missing value pandas holds booleans as objects, which are strings to it.
            return "string" if self._nulls else "boolean"
        return "datetime" if self._native == "timestamp" else "string"

    def kind(self, max_categorical_integers: int) -> ColumnKind:
        if self.family() != "numeric":
            return "categorical"
        present = self._present_numbers()
        if present.dtype.kind == "f" and not _all_whole(present):
            return "numerical"
        if _distinct(present[:FIRST_ROWS]) > max_categorical_integers:
            return "numerical"
        return "categorical" if _distinct(present) <= max_categorical_integers else "numerical"

    def proves_numerical(self, max_categorical_integers: int) -> bool:
        """True when these rows alone make a numeric column numerical, whatever the rest holds.

        A fractional value does; so do more distinct values than a category code has, counted
        as float64 (pandas holds integers with missing values as float64, which can only merge
        values, never split them).
        """
        present = self._present_numbers()
        if present.dtype.kind == "f" and not _all_whole(present):
            return True
        return _distinct(present.astype(np.float64, copy=False)) > max_categorical_integers

    def sample(self, kind: ColumnKind) -> Sample:
        if self._native == "null":
            if kind == "numerical":
                return NumericSample.from_values(np.full(self._length, np.nan))
            return CategoricalSample.from_counts({}, self._length)
        if self._native == "numeric":
            if kind == "numerical":
                return NumericSample.from_values(self._pandas_numbers())
            return self._numbers_as_categories()
        if kind == "categorical" and self._native == "boolean":
            return self._booleans_as_categories()
        if kind == "categorical" and self._native == "string":
            return self._strings_as_categories()
        return self._fallback().sample(kind)

    def counts(self) -> tuple[int, int]:
        if self._native == "numeric":
            numbers = self._pandas_numbers()
            missing = int(np.count_nonzero(np.isnan(numbers))) if numbers.dtype.kind == "f" else 0
            return self._length - missing, missing
        if self._native == "null":
            return 0, self._length
        return self._length - self._nulls, self._nulls

    def _pandas_numbers(self) -> NDArray[Any]:
        """The values as pandas holds them: integers with missing values become float64."""
        if self._numbers is None:
            parts = [arrow.numbers(chunk) for chunk in self._chunks]
            if not parts:
                numbers: NDArray[Any] = np.empty(0, dtype=np.float64)
            else:
                numbers = parts[0] if len(parts) == 1 else np.concatenate(parts)
            if self._nulls:
                floats = numbers.dtype if numbers.dtype.kind == "f" else np.dtype(np.float64)
                numbers = numbers.astype(floats)
                masks = [arrow.validity(chunk) for chunk in self._chunks]
                held = [
                    np.ones(len(chunk), bool) if mask is None else mask
                    for chunk, mask in zip(self._chunks, masks, strict=True)
                ]
                numbers[~np.concatenate(held)] = np.nan
            self._numbers = numbers
        return self._numbers

    def _present_numbers(self) -> NDArray[Any]:
        numbers = self._pandas_numbers()
        if numbers.dtype.kind != "f":
            return numbers
        present = ~np.isnan(numbers)
        return numbers if present.all() else numbers[present]

    def _numbers_as_categories(self) -> Sample:
        present = self._present_numbers()
        missing = self._length - int(present.size)
        if present.dtype.kind == "f":
            if not _all_whole(present):
                # Fractional floats as categories: their text is pandas' to give.
                return self._fallback().sample("categorical")
            # Integers stored as floats (because of missing values) match integer labels.
            present = present.astype(np.int64)
        labels, counts = np.unique(present, return_counts=True)
        pairs = zip((str(label) for label in labels.tolist()), counts.tolist(), strict=True)
        return CategoricalSample.from_counts(dict(pairs), missing)

    def _booleans_as_categories(self) -> Sample:
        true = false = 0
        for chunk in self._chunks:
            if not len(chunk):
                continue
            values = arrow.bits(chunk.buffers()[1], chunk.offset, len(chunk))
            valid = arrow.validity(chunk)
            if valid is not None:
                values = values[valid]
            true += int(np.count_nonzero(values))
            false += int(values.size) - int(np.count_nonzero(values))
        return CategoricalSample.from_counts({"True": true, "False": false}, self._nulls)

    def _strings_as_categories(self) -> Sample:
        import pyarrow as pa  # noqa: PLC0415

        totals: dict[str, int] = {}
        for chunk in self._chunks:
            if not pa.types.is_dictionary(chunk.type) or chunk.dictionary.null_count:
                return self._fallback().sample("categorical")
            labels = arrow.strings(chunk.dictionary)
            codes = arrow.numbers(chunk.indices)
            valid = arrow.validity(chunk.indices)
            if valid is not None:
                codes = codes[valid]
            counts = np.bincount(codes, minlength=len(labels)).tolist()
            for label, count in zip(labels, counts, strict=True):
                if count:
                    totals[label] = totals.get(label, 0) + count
        return CategoricalSample.from_counts(totals, self._nulls)


class _FirstRowsFacts:
    """A numeric column's facts from its first rows when they suffice, else from all of it."""

    def __init__(self, table: ParquetTable, name: str) -> None:
        self._table, self._name = table, name
        self._first: ArrowValues | None = None
        self._all: ArrowValues | SeriesValues | None = None

    def family(self) -> DtypeFamily:
        if self._head().counts()[0]:
            return "numeric"
        return self._whole().family()

    def kind(self, max_categorical_integers: int) -> ColumnKind:
        head = self._head()
        if head.counts()[0] and head.proves_numerical(max_categorical_integers):
            return "numerical"
        return self._whole().kind(max_categorical_integers)

    def _head(self) -> ArrowValues:
        if self._first is None:
            self._first = self._table.first_values(self._name, FIRST_ROWS)
        return self._first

    def _whole(self) -> ArrowValues | SeriesValues:
        if self._all is None:
            self._all = self._table.values(self._name)
        return self._all


def _all_whole(values: NDArray[Any]) -> bool:
    as_floats = values.astype(np.float64, copy=False)
    return bool(np.all(np.mod(as_floats[:1_000], 1.0) == 0.0)) and bool(
        np.all(np.mod(as_floats, 1.0) == 0.0)
    )


def _distinct(values: NDArray[Any]) -> int:
    """Distinct values as pandas' ``nunique`` counts them (0.0 and -0.0 are one value).

    By sorting: ``np.unique`` would import ``numpy.ma`` for it.
    """
    if values.size == 0:
        return 0
    ordered = np.sort(values)
    return 1 + int(np.count_nonzero(ordered[1:] != ordered[:-1]))
