"""The few numbers of a monitor window copied out of its payload when it is saved.

A window's payload (``WindowResult.to_dict``: prediction statistics, the drift payload with
per-column quality, performance) is kilobytes of JSON. Charts over a month of one-minute windows
need a handful of numbers from each, so they are written beside the payload: summary columns on
``monitor_results`` and one ``monitor_signals`` row per feature or metric. Payloads of any other
shape get neither (every key here is optional), and the payload itself is stored unchanged.

>>> columns, signals = summarise({"rows": 120, "prediction": {"count": 120, "mean": 2.5}})
>>> columns["window_rows"], columns["prediction_mean"], columns["dataset_drift"], signals
(120, 2.5, None, [])
"""

from __future__ import annotations

import math
from collections.abc import Mapping
from typing import Any

__all__ = ["SIGNALS", "SUMMARY_COLUMNS", "summarise"]

SUMMARY_COLUMNS = (
    "window_rows",
    "prediction_mean",
    "prediction_min",
    "prediction_max",
    "drift_share",
    "dataset_drift",
)
# signal -> what its subject names
SIGNALS = {
    "feature_drift": "feature (1 when it drifted)",
    "missing_share": "feature",
    "performance": "metric",
    "estimated_performance": "metric (estimated without labels: CBPE, DLE)",
}


def _number(value: Any) -> float | None:
    if isinstance(value, bool) or not isinstance(value, int | float):
        return None
    return float(value) if math.isfinite(value) else None


def _mapping(value: Any) -> Mapping[str, Any]:
    return value if isinstance(value, Mapping) else {}


def summarise(payload: Any) -> tuple[dict[str, Any], list[tuple[str, str, float]]]:
    """The summary columns (``None`` where absent) and the ``(signal, subject, value)`` rows."""
    columns: dict[str, Any] = dict.fromkeys(SUMMARY_COLUMNS)
    signals: list[tuple[str, str, float]] = []
    if not isinstance(payload, Mapping):
        return columns, signals
    rows = _number(payload.get("rows"))
    columns["window_rows"] = None if rows is None else int(rows)
    prediction = _mapping(payload.get("prediction"))
    for stat in ("mean", "min", "max"):
        columns[f"prediction_{stat}"] = _number(prediction.get(stat))
    drift = _mapping(payload.get("drift"))
    if drift:
        columns["drift_share"] = _number(drift.get("drift_share"))
        verdict = drift.get("dataset_drift")
        columns["dataset_drift"] = verdict if isinstance(verdict, bool) else None
    quality = _mapping(_mapping(drift.get("quality")).get("columns"))
    for name, column in _mapping(drift.get("columns")).items():
        if not isinstance(column, Mapping) or column.get("role") != "feature":
            continue
        detected = column.get("drift_detected")
        if isinstance(detected, bool):
            signals.append(("feature_drift", str(name), 1.0 if detected else 0.0))
        current = _mapping(_mapping(quality.get(name)).get("current"))
        missing = _number(current.get("missing_share"))
        if missing is not None:
            signals.append(("missing_share", str(name), missing))
    for signal in ("performance", "estimated_performance"):
        for metric, value in _mapping(payload.get(signal)).items():
            number = _number(value)
            if number is not None:
                signals.append((signal, str(metric), number))
    return columns, signals
