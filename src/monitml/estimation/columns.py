"""Numeric columns read from Parquet without pandas: a classifier's estimate at CLI speed.

CBPE reads four numeric columns (target, prediction, score, maybe a timestamp). Importing
pandas to hold them costs about 0.2 s of a 0.8 s ``monitml estimate`` process, so the command
reads them with pyarrow into numpy arrays when it can. ``Columns`` offers the little of a
DataFrame that CBPE and row chunking use: ``columns``, ``len()`` and ``[name]`` (a numpy array).

>>> table = Columns({"y": np.array([0.0, 1.0, np.nan]), "p": np.array([0.2, 0.9, 0.4])})
>>> len(table), table.columns, table["y"][:2].tolist()
(3, ['y', 'p'], [0.0, 1.0])
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from pathlib import Path
from typing import Any

import numpy as np
from numpy.typing import NDArray

__all__ = ["Columns", "read_numeric_parquet"]


class Columns:
    """Equal-length 1-D numpy arrays by name: float (NaN for missing), integer or bool."""

    def __init__(self, arrays: Mapping[str, NDArray[np.generic]]) -> None:
        lengths = {len(values) for values in arrays.values()}
        if len(lengths) > 1:
            raise ValueError("every column of a Columns table needs the same length")
        self._arrays = dict(arrays)
        self._rows = lengths.pop() if lengths else 0

    @property
    def columns(self) -> list[str]:
        return list(self._arrays)

    def __len__(self) -> int:
        return self._rows

    def __getitem__(self, name: str) -> NDArray[np.generic]:
        return self._arrays[name]

    def __contains__(self, name: object) -> bool:
        return name in self._arrays


def read_numeric_parquet(path: Path, columns: Iterable[str]) -> Columns | None:
    """Those of ``columns`` the file has, when each is numeric or bool; ``None`` otherwise.

    ``None`` also for an integer or bool column with missing values, which pandas would turn
    into floats or objects: the caller then reads the file with pandas, so both paths see
    the same values.
    """
    import pyarrow as pa  # noqa: PLC0415
    import pyarrow.parquet as pq  # noqa: PLC0415

    schema = pq.read_schema(path)
    present = [name for name in schema.names if name in set(columns)]
    for name in present:
        kind = schema.field(name).type
        if not (
            pa.types.is_integer(kind) or pa.types.is_floating(kind) or pa.types.is_boolean(kind)
        ):
            return None
    table = pq.ParquetFile(path).read(columns=present)  # read_table would import pandas
    arrays: dict[str, NDArray[np.generic]] = {}
    for name in present:
        column = table.column(name)
        kind = column.type
        if column.null_count and not pa.types.is_floating(kind):
            return None
        parts = [_to_numpy(chunk, kind) for chunk in column.chunks]
        values = np.concatenate(parts) if parts else np.empty(0, dtype=_dtype(kind))
        if pa.types.is_floating(kind):
            values = values.astype(np.float64, copy=False)
        arrays[name] = values
    return Columns(arrays)


def _dtype(kind: Any) -> np.dtype[Any]:
    import pyarrow as pa  # noqa: PLC0415

    if pa.types.is_boolean(kind):
        return np.dtype(bool)
    letter = "f" if pa.types.is_floating(kind) else "i" if pa.types.is_signed_integer(kind) else "u"
    return np.dtype(f"{letter}{kind.bit_width // 8}")


def _bits(buffer: Any, offset: int, rows: int) -> NDArray[np.bool_]:
    packed = np.frombuffer(buffer, dtype=np.uint8)
    return np.unpackbits(packed, bitorder="little")[offset : offset + rows].astype(bool)


def _to_numpy(chunk: Any, kind: Any) -> NDArray[Any]:
    """One Arrow array's values from its buffers: ``Array.to_numpy`` would import pandas."""
    import pyarrow as pa  # noqa: PLC0415

    validity, data = chunk.buffers()[:2]
    rows, offset = len(chunk), chunk.offset
    if pa.types.is_boolean(kind):
        return _bits(data, offset, rows)
    values = np.frombuffer(data, dtype=_dtype(kind))[offset : offset + rows]
    if chunk.null_count:  # floating only (the caller falls back to pandas otherwise)
        values = values.astype(np.float64)
        values[~_bits(validity, offset, rows)] = np.nan
    return values
