"""Turn window rows into a DataFrame with one column per feature, fast.

The cost of reading a window is JSON parsing and building Python objects, not SQL. So feature
and probability objects go through Arrow's JSON reader straight into columns, and scalar columns
are parsed by one ``json.loads`` of a joined array (about 3x faster than one call per row).
"""

from __future__ import annotations

import io
import json
from collections.abc import Sequence
from itertools import chain
from typing import Any

import pandas as pd
import pyarrow as pa
from pyarrow import json as pa_json

__all__ = ["META_COLUMNS", "WINDOW_SELECT_ORDER", "frame_from_rows"]

# The order of the columns in the rows given to frame_from_rows (see database.read_window).
WINDOW_SELECT_ORDER = (
    "record_id",
    "request_id",
    "version",
    "shadow",
    "timestamp",
    "latency_seconds",
    "features",
    "prediction",
    "probabilities",
    "label",
    "fallback",
    "replaced_version",
)
# Columns of every window frame, besides the features and the proba_<class> columns.
META_COLUMNS = (
    "record_id",
    "request_id",
    "timestamp",
    "version",
    "shadow",
    "latency_seconds",
    "prediction",
    "label",
    "fallback",
    "replaced_version",
)
FEATURE_PREFIX = "feature_"
PROBA_PREFIX = "proba_"


def _parse_all(texts: Sequence[str | None]) -> list[Any]:
    """Parse many JSON texts at once; ``None`` (SQL NULL) parses as ``None``."""
    joined = ",".join(t if t is not None else "null" for t in texts)
    return json.loads("[" + joined + "]")  # type: ignore[no-any-return]


def _objects_frame(texts: Sequence[str | None]) -> pd.DataFrame:
    """One column per key of many JSON objects (``None`` for a missing object or key).

    Arrow's JSON reader parses straight into columns, about twice as fast as ``json.loads``
    plus building the columns in Python; it refuses a key whose type changes between rows
    (a number, later a string), and then the Python path below keeps every value as it is.
    """
    lines = "\n".join(t if t is not None else "{}" for t in texts)
    try:
        table = pa_json.read_json(io.BytesIO(lines.encode()))
    except pa.ArrowInvalid:
        objects = _parse_all(texts)
        keys = dict.fromkeys(chain.from_iterable(d for d in objects if d))
        return pd.DataFrame({k: [d.get(k) if d else None for d in objects] for k in keys})
    frame: pd.DataFrame = table.to_pandas()
    return frame


def frame_from_rows(rows: Sequence[Sequence[Any]]) -> pd.DataFrame:
    """A window frame from rows in :data:`WINDOW_SELECT_ORDER`.

    A feature whose name is already a window column (``prediction``, ``label``, ...) is renamed
    ``feature_<name>`` rather than silently overwritten.
    """
    if not rows:
        return pd.DataFrame({name: [] for name in META_COLUMNS})
    by_name = dict(zip(WINDOW_SELECT_ORDER, zip(*rows, strict=True), strict=True))
    features = _objects_frame(by_name["features"])
    features.columns = [FEATURE_PREFIX + c if c in META_COLUMNS else c for c in features.columns]
    if any(t is not None for t in by_name["probabilities"]):
        probabilities = _objects_frame(by_name["probabilities"]).add_prefix(PROBA_PREFIX)
    else:
        probabilities = pd.DataFrame(index=features.index)
    meta = pd.DataFrame(
        {
            "record_id": by_name["record_id"],
            "request_id": by_name["request_id"],
            "timestamp": by_name["timestamp"],
            "version": by_name["version"],
            "shadow": [bool(v) for v in by_name["shadow"]],
            "latency_seconds": by_name["latency_seconds"],
            # Why the model's fallback answered, and for which routed version (else None).
            "fallback": by_name["fallback"],
            "replaced_version": by_name["replaced_version"],
        }
    )
    outputs = pd.DataFrame({"prediction": _parse_all(by_name["prediction"])})
    labels = pd.DataFrame({"label": _parse_all(by_name["label"])})
    return pd.concat([meta, features, outputs, probabilities, labels], axis=1)
