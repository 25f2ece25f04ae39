"""Serialise a drift payload as strict, stable JSON (the ``--json`` output of the CLI).

Keys are sorted at every level, except that ``format`` leads the document so a reader sees the
version first. NaN and infinities become ``null``; numpy scalars and arrays become plain numbers
and lists; tuples become lists; dates become ISO 8601 strings.
"""

from __future__ import annotations

import datetime as dt
import json
import math
from collections.abc import Mapping
from typing import Any

from monitml.errors import DataError

__all__ = ["to_json", "to_jsonable"]


def to_jsonable(value: Any, path: str = "$") -> Any:
    """``value`` as plain JSON types with sorted keys; raises ``DataError`` naming a bad path.

    >>> to_jsonable({"b": float("nan"), "a": (1, float("inf"))})
    {'a': [1, None], 'b': None}
    """
    if value is None or isinstance(value, bool | str):
        return value
    if isinstance(value, int):
        return int(value)
    if isinstance(value, float):
        return float(value) if math.isfinite(value) else None
    if isinstance(value, Mapping):
        items = {str(key): item for key, item in value.items()}
        return {key: to_jsonable(items[key], f"{path}.{key}") for key in sorted(items)}
    if isinstance(value, list | tuple):
        return [to_jsonable(item, f"{path}[{i}]") for i, item in enumerate(value)]
    if isinstance(value, dt.datetime | dt.date):
        return value.isoformat()
    tolist = getattr(value, "tolist", None)  # numpy scalars and arrays, without importing numpy
    if callable(tolist):
        return to_jsonable(tolist(), path)
    raise DataError(
        f"The value at {path} must be JSON-serialisable. Got {type(value).__name__} instead."
    )


def to_json(payload: Mapping[str, Any], *, indent: int | None = 2) -> str:
    """``payload`` as a JSON document with ``format`` first and every other key sorted.

    >>> print(to_json({"total_columns": 8, "format": "monitml.drift/1", "drift_share": 0.25}))
    {
      "format": "monitml.drift/1",
      "drift_share": 0.25,
      "total_columns": 8
    }
    """
    data = to_jsonable(payload)
    if isinstance(data, dict) and "format" in data:
        data = {"format": data.pop("format"), **data}
    return json.dumps(data, indent=indent, ensure_ascii=False, allow_nan=False)
