"""Parquet columns read with pyarrow into numpy, without pandas: estimates at CLI speed.

CBPE reads four numeric columns (target, prediction, score, maybe a timestamp); DLE reads its
features, some of them text. Importing pandas to hold them costs about 0.35 s of CPU, a quarter
of a DLE run and more of a CBPE one, so the command reads them with pyarrow when it can.
``Columns`` offers the little of a DataFrame that the estimators and row chunking use:
``columns``, ``len()``, ``[name]`` (a numpy array) and, for a text column, ``text(name)``
(``Labels``: codes into its distinct values, from Parquet's own dictionary encoding).

>>> table = Columns({"y": np.array([0.0, 1.0, np.nan]), "p": np.array([0.2, 0.9, 0.4])})
>>> len(table), table.columns, table["y"][:2].tolist()
(3, ['y', 'p'], [0.0, 1.0])
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np
from numpy.typing import NDArray

from monitml import arrow_buffers

__all__ = ["Columns", "Labels", "read_numeric_parquet", "read_parquet_columns"]


@dataclass(frozen=True, slots=True)
class Labels:
    """A text column as codes into its distinct values: row ``i`` is ``values[codes[i]]``.

    A code of -1 is a missing value. ``values`` may hold a value no row uses.
    """

    codes: NDArray[np.int64]
    values: tuple[str, ...]

    def __len__(self) -> int:
        return len(self.codes)

    def counts(self) -> NDArray[np.int64]:
        """How many rows hold each of ``values``."""
        return np.bincount(self.codes[self.codes >= 0], minlength=len(self.values))


class Columns:
    """Equal-length columns by name: 1-D numpy arrays (float with NaN for missing, integer or
    bool) and text ``Labels``."""

    def __init__(
        self,
        arrays: Mapping[str, NDArray[np.generic]],
        text: Mapping[str, Labels] | None = None,
        *,
        order: Iterable[str] | None = None,
    ) -> None:
        self._arrays = dict(arrays)
        self._text = dict(text or {})
        lengths = {len(values) for values in self._arrays.values()}
        lengths |= {len(labels) for labels in self._text.values()}
        if len(lengths) > 1:
            raise ValueError("every column of a Columns table needs the same length")
        self._order = list(order) if order is not None else [*self._arrays, *self._text]
        if sorted(self._order) != sorted([*self._arrays, *self._text]):
            raise ValueError("the order of a Columns table must name each column once")
        self._rows = lengths.pop() if lengths else 0

    @property
    def columns(self) -> list[str]:
        return list(self._order)

    def __len__(self) -> int:
        return self._rows

    def __getitem__(self, name: str) -> NDArray[np.generic]:
        if name in self._text:
            raise TypeError(f"column '{name}' holds text: read it with text('{name}')")
        return self._arrays[name]

    def __contains__(self, name: object) -> bool:
        return name in self._arrays or name in self._text

    def text(self, name: str) -> Labels | None:
        """The text column ``name``; ``None`` when it is numeric."""
        if name not in self:
            raise KeyError(name)
        return self._text.get(name)


def read_numeric_parquet(path: Path, columns: Iterable[str]) -> Columns | None:
    """Those of ``columns`` the file has, when each is numeric or bool; ``None`` otherwise.

    ``None`` also for an integer or bool column with missing values, which pandas would turn
    into floats or objects: the caller then reads the file with pandas, so both paths see
    the same values.
    """
    return read_parquet_columns(path, columns)


def read_parquet_columns(
    path: Path, columns: Iterable[str] | None = None, *, text: bool = False
) -> Columns | None:
    """``read_numeric_parquet``, with text columns too when ``text`` (as ``Labels``).

    ``columns=None`` reads every column. ``None`` when a column has another type (times,
    decimals, binary, nested) or is an integer or bool column with missing values.
    """
    import pyarrow as pa  # noqa: PLC0415
    import pyarrow.parquet as pq  # noqa: PLC0415

    schema = pq.read_schema(path)
    wanted = set(schema.names if columns is None else columns)
    present = [name for name in schema.names if name in wanted]
    words: list[str] = []
    for name in present:
        kind = schema.field(name).type
        if text and _is_text(kind):
            words.append(name)
        elif not (
            pa.types.is_integer(kind) or pa.types.is_floating(kind) or pa.types.is_boolean(kind)
        ):
            return None
    # read_table would import pandas; read_dictionary decodes text to codes at Parquet speed.
    table = pq.ParquetFile(path, read_dictionary=words).read(columns=present)
    arrays: dict[str, NDArray[np.generic]] = {}
    labels: dict[str, Labels] = {}
    for name in present:
        column = table.column(name)
        kind = column.type
        if name in words:
            labels[name] = _labels(column.chunks)
            continue
        if column.null_count and not pa.types.is_floating(kind):
            return None
        parts = [_to_numpy(chunk, kind) for chunk in column.chunks]
        values = np.concatenate(parts) if parts else np.empty(0, dtype=_dtype(kind))
        if pa.types.is_floating(kind):
            values = values.astype(np.float64, copy=False)
        arrays[name] = values
    return Columns(arrays, labels, order=present)


def _labels(chunks: Iterable[Any]) -> Labels:
    """One ``Labels`` from dictionary arrays, each chunk with a dictionary of its own."""
    values: dict[str, int] = {}
    parts: list[NDArray[np.int64]] = []
    for chunk in chunks:
        words = chunk.dictionary.to_pylist()
        lookup = np.array(
            [-1 if word is None else values.setdefault(word, len(values)) for word in words],
            dtype=np.int64,
        )
        indices = chunk.indices
        rows = len(indices)
        codes = arrow_buffers.numbers(indices)
        valid = arrow_buffers.validity(indices)
        missing = None if valid is None else ~valid
        if missing is not None:  # a null's index is undefined: point it anywhere valid
            codes = np.where(missing, 0, codes)
        mapped = lookup[codes] if lookup.size else np.full(rows, -1, dtype=np.int64)
        if missing is not None:
            mapped[missing] = -1
        parts.append(mapped)
    codes = np.concatenate(parts) if parts else np.empty(0, dtype=np.int64)
    return Labels(codes, tuple(values))


def _is_text(kind: Any) -> bool:
    import pyarrow as pa  # noqa: PLC0415

    if pa.types.is_dictionary(kind):
        kind = kind.value_type
    return bool(pa.types.is_string(kind) or pa.types.is_large_string(kind))


def _dtype(kind: Any) -> np.dtype[Any]:
    import pyarrow as pa  # noqa: PLC0415

    return np.dtype(bool) if pa.types.is_boolean(kind) else arrow_buffers.numpy_dtype(kind)


def _to_numpy(chunk: Any, kind: Any) -> NDArray[Any]:
    """One Arrow array's values from its buffers: ``Array.to_numpy`` would import pandas."""
    import pyarrow as pa  # noqa: PLC0415

    if pa.types.is_boolean(kind):
        return arrow_buffers.bits(chunk.buffers()[1], chunk.offset, len(chunk))
    values = arrow_buffers.numbers(chunk)
    valid = arrow_buffers.validity(chunk)
    if valid is not None:  # floating only (the caller falls back to pandas otherwise)
        values = values.astype(np.float64)
        values[~valid] = np.nan
    return values
