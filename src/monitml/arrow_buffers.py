"""The values of Arrow arrays read from their buffers into numpy, without pandas.

Shared by the commands that read Parquet at CLI speed: ``monitml drift``
(``monitml.analysis.parquet``) and ``monitml estimate`` (``monitml.estimation.columns``).

``pyarrow``'s own converters (``to_numpy``, ``to_pylist``, ``cast``) import pandas and
``pyarrow.compute``; these functions read the validity bitmap, the data buffer and the string
offsets directly. They take plain integer, float, boolean and string arrays (and a dictionary
array's codes, which are integers); the caller checks the type.
"""

from __future__ import annotations

from itertools import pairwise
from typing import Any

import numpy as np
from numpy.typing import NDArray

__all__ = ["bits", "numbers", "numpy_dtype", "strings", "validity"]


def numpy_dtype(kind: Any) -> np.dtype[Any]:
    """The numpy dtype of an Arrow integer or float type."""
    import pyarrow as pa  # noqa: PLC0415

    if pa.types.is_floating(kind):
        return np.dtype(f"f{kind.bit_width // 8}")
    letter = "i" if pa.types.is_signed_integer(kind) else "u"
    return np.dtype(f"{letter}{kind.bit_width // 8}")


def validity(chunk: Any) -> NDArray[np.bool_] | None:
    """Which rows of an Arrow array hold a value; ``None`` when all do."""
    if not chunk.null_count:
        return None
    return bits(chunk.buffers()[0], chunk.offset, len(chunk))


def bits(buffer: Any, offset: int, rows: int) -> NDArray[np.bool_]:
    """``rows`` bits of an Arrow bitmap (least significant first) from bit ``offset``."""
    first, last = offset // 8, (offset + rows + 7) // 8
    packed = np.frombuffer(buffer, dtype=np.uint8)[first:last]
    start = offset - 8 * first
    return np.unpackbits(packed, bitorder="little")[start : start + rows].astype(bool)


def numbers(chunk: Any) -> NDArray[Any]:
    """An integer or float Arrow array's values (whatever sits under a missing one)."""
    dtype = numpy_dtype(chunk.type)
    data = chunk.buffers()[1]
    if data is None or len(chunk) == 0:
        return np.empty(0, dtype=dtype)
    return np.frombuffer(data, dtype=dtype)[chunk.offset : chunk.offset + len(chunk)]


def strings(dictionary: Any) -> list[str]:
    """A string Arrow array's values, decoded from its offsets and bytes."""
    import pyarrow as pa  # noqa: PLC0415

    _, offsets_buffer, data = dictionary.buffers()
    width = np.int64 if pa.types.is_large_string(dictionary.type) else np.int32
    start, count = dictionary.offset, len(dictionary)
    offsets = np.frombuffer(offsets_buffer, dtype=width)[start : start + count + 1].tolist()
    raw = b"" if data is None else data.to_pybytes()
    return [raw[a:b].decode("utf-8") for a, b in pairwise(offsets)]
