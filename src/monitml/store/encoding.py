"""JSON encoding of records, shared by the database rows and the writer's spill file.

Two things a plain ``json.dumps`` gets wrong for logged predictions:

- NaN and infinities are not JSON (PostgreSQL rejects them). A missing feature value is usually a
  NaN, so non-finite floats are stored as ``null`` and come back as missing.
- Model outputs are often numpy scalars or arrays; they are stored as their Python value. Anything
  else unknown is stored as its ``str`` rather than failing the whole batch on the request path.
"""

from __future__ import annotations

import json
import math
from typing import Any

from monitml.store.records import PredictionRecord

__all__ = ["ROW_COLUMNS", "dumps", "record_from_json", "record_to_json", "row_values"]


def _plain(value: Any) -> Any:
    """The JSON-able form of an object ``json`` does not know (numpy scalar, array, other)."""
    if hasattr(value, "tolist"):  # numpy scalars and arrays, without importing numpy
        return value.tolist()
    return str(value)


_encoder = json.JSONEncoder(allow_nan=False, separators=(",", ":"), default=_plain)


def _without_non_finite(value: Any) -> Any:
    if isinstance(value, float):
        return value if math.isfinite(value) else None
    if isinstance(value, dict):
        return {str(k): _without_non_finite(v) for k, v in value.items()}
    if isinstance(value, list | tuple):
        return [_without_non_finite(v) for v in value]
    if hasattr(value, "tolist"):
        return _without_non_finite(value.tolist())
    return value


def dumps(value: Any) -> str:
    """Compact JSON text for ``value``; non-finite floats become ``null``."""
    try:
        return _encoder.encode(value)
    except ValueError:  # a NaN or infinity somewhere: rare, so only then walk the value
        return _encoder.encode(_without_non_finite(value))


# The order of the values row_values gives.
ROW_COLUMNS = (
    "request_id",
    "record_id",
    "model",
    "version",
    "shadow",
    "ts",
    "features",
    "prediction",
    "probabilities",
    "latency_seconds",
    "fallback",
    "replaced_version",
)


def row_values(record: PredictionRecord) -> tuple[Any, ...]:
    """The ``predictions`` row for a record in :data:`ROW_COLUMNS` order, JSON already encoded."""
    probabilities = record.probabilities
    return (
        record.request_id,
        record.record_id,
        record.model,
        record.version,
        record.shadow,
        record.timestamp,
        dumps(record.features),
        dumps(record.prediction),
        None if probabilities is None else dumps(probabilities),
        record.latency_seconds,
        record.fallback,
        record.replaced_version,
    )


def record_to_json(record: PredictionRecord) -> dict[str, Any]:
    """A JSON-able dict holding every field of the record (the spill file's line body)."""
    return {
        "request_id": record.request_id,
        "record_id": record.record_id,
        "model": record.model,
        "version": record.version,
        "timestamp": record.timestamp,
        "features": record.features,
        "prediction": record.prediction,
        "latency_seconds": record.latency_seconds,
        "shadow": record.shadow,
        "probabilities": record.probabilities,
        "fallback": record.fallback,
        "replaced_version": record.replaced_version,
    }


def record_from_json(data: dict[str, Any]) -> PredictionRecord:
    """The record that :func:`record_to_json` wrote (before MonitML had fallbacks, too)."""
    return PredictionRecord(
        request_id=data["request_id"],
        record_id=data["record_id"],
        model=data["model"],
        version=data["version"],
        timestamp=data["timestamp"],
        features=data["features"],
        prediction=data["prediction"],
        latency_seconds=data["latency_seconds"],
        shadow=data["shadow"],
        probabilities=data["probabilities"],
        fallback=data.get("fallback"),
        replaced_version=data.get("replaced_version"),
    )
