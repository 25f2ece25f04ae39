"""Summaries to compact, versioned JSON and back: ``{"format": "monitml.summary/1", ...}``.

Arrays travel as base64 of zlib-compressed little-endian bytes, the sketch as DataSketches'
own portable binary. A numerical column is at most about 70 KB (about 1,050 edges and
counts, a KLL sketch of about 10 KB, and up to 4,096 distinct values with their counts); a
categorical one is its vocabulary and counts. ``loads`` refuses a format it does not know.
"""

from __future__ import annotations

import base64
import json
import math
import zlib
from typing import Any

import numpy as np
from numpy.typing import NDArray

from monitml.errors import DataError
from monitml.stats.summaries.binning import Binning
from monitml.stats.summaries.categorical import CategoricalSummary, Vocabulary
from monitml.stats.summaries.numerical import NumericSummary
from monitml.stats.summaries.sketch import QuantileSketch

__all__ = ["FORMAT", "dumps", "from_dict", "loads", "to_dict"]

FORMAT = "monitml.summary/1"
Summary = NumericSummary | CategoricalSummary


def _pack(data: bytes) -> str:
    return base64.b64encode(zlib.compress(data, 6)).decode("ascii")


def _unpack(text: str) -> bytes:
    return zlib.decompress(base64.b64decode(text))


def _array(array: NDArray[Any]) -> str:
    return _pack(np.ascontiguousarray(array, dtype=array.dtype.newbyteorder("<")).tobytes())


def _floats(text: str) -> NDArray[np.float64]:
    return np.frombuffer(_unpack(text), dtype="<f8").astype(np.float64)


def _ints(text: str) -> NDArray[np.int64]:
    return np.frombuffer(_unpack(text), dtype="<i8").astype(np.int64)


def _finite_or_none(value: float) -> float | None:
    return None if math.isnan(value) else value  # an empty column has no min or max


def to_dict(summary: Summary) -> dict[str, Any]:
    """A JSON-ready dict of a summary."""
    if isinstance(summary, NumericSummary):
        binning = summary.binning
        return {
            "format": FORMAT,
            "kind": "numerical",
            "edges": _array(binning.edges),
            "anchors": {str(bins): _array(at) for bins, at in binning.anchors.items()},
            "count": summary.count,
            "missing": summary.missing,
            "min": _finite_or_none(summary.minimum),
            "max": _finite_or_none(summary.maximum),
            "sum": summary.total,
            "m2": summary.m2,
            "counts": _array(summary.counts),
            "sketch": _pack(summary.sketch.to_bytes()),
            "distinct": None if summary.distinct is None else _array(summary.distinct),
            "weights": None if summary.weights is None else _array(summary.weights),
        }
    return {
        "format": FORMAT,
        "kind": "categorical",
        "vocabulary": list(summary.vocabulary.categories),
        "counts": _array(summary.counts),
        "other": summary.other,
        "heavy": summary.heavy,
        "error": summary.error,
        "missing": summary.missing,
        "k": summary.k,
    }


def from_dict(data: dict[str, Any]) -> Summary:
    """The summary of a dict made by ``to_dict``."""
    if data.get("format") != FORMAT:
        raise DataError(f"not a summary in format {FORMAT}: format is {data.get('format')!r}")
    try:
        if data["kind"] == "numerical":
            binning = Binning(
                _floats(data["edges"]),
                {int(bins): _ints(at) for bins, at in data["anchors"].items()},
            )
            return NumericSummary(
                binning=binning,
                count=int(data["count"]),
                missing=int(data["missing"]),
                minimum=float("nan") if data["min"] is None else float(data["min"]),
                maximum=float("nan") if data["max"] is None else float(data["max"]),
                total=float(data["sum"]),
                m2=float(data["m2"]),
                counts=_ints(data["counts"]),
                sketch=QuantileSketch.from_bytes(_unpack(data["sketch"])),
                distinct=None if data["distinct"] is None else _floats(data["distinct"]),
                weights=None if data["weights"] is None else _ints(data["weights"]),
            )
        if data["kind"] == "categorical":
            return CategoricalSummary(
                vocabulary=Vocabulary(tuple(data["vocabulary"])),
                counts=_ints(data["counts"]),
                other=int(data["other"]),
                heavy={str(key): int(value) for key, value in data["heavy"].items()},
                error=int(data["error"]),
                missing=int(data["missing"]),
                k=int(data["k"]),
            )
    except (KeyError, TypeError, ValueError, RuntimeError, zlib.error) as exc:
        raise DataError(f"a {FORMAT} summary is malformed: {exc}") from exc
    raise DataError(f"unknown summary kind {data['kind']!r}")


def dumps(summary: Summary) -> bytes:
    """UTF-8 JSON of a summary."""
    return json.dumps(to_dict(summary), separators=(",", ":")).encode("utf-8")


def loads(data: bytes | str) -> Summary:
    try:
        parsed = json.loads(data)
    except ValueError as exc:
        raise DataError(f"a summary is not valid JSON: {exc}") from exc
    if not isinstance(parsed, dict):
        raise DataError("a summary must be a JSON object")
    return from_dict(parsed)
