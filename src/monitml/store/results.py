"""Reference data, monitor results and alert events: plain dicts in and out.

Functions take an open connection; ``PredictionStore`` opens it and maps connection failures.

A monitor result is ``{"model", "kind", "payload", "version"?, "run_at"?, "window_start"?,
"window_end"?}``; an alert event is ``{"rule", "state", "starts_at", "model"?, "version"?,
"ends_at"?, "value"?, "payload"?}``. ``payload`` is any JSON-able value; times are epoch seconds;
``run_at`` defaults to now. Listed dicts carry every column, ``id`` included.
"""

from __future__ import annotations

import io
import json
import math
import time
from collections.abc import Mapping
from typing import Any

import pandas as pd
import sqlalchemy as sa
from sqlalchemy.dialects import postgresql, sqlite

from monitml.errors import DataError
from monitml.store.encoding import dumps
from monitml.store.summaries import SUMMARY_COLUMNS, summarise
from monitml.store.tables import (
    alerts,
    json_text,
    monitor_results,
    monitor_signal_hours,
    monitor_signals,
    references,
)

__all__ = [
    "insert_signals",
    "list_alert_events",
    "list_monitor_results",
    "load_reference",
    "save_alert_event",
    "save_monitor_result",
    "save_reference",
    "save_signals",
]

HOUR = 3_600.0
_RESULT_REQUIRED = ("model", "kind", "payload")
_RESULT_OPTIONAL = ("version", "run_at", "window_start", "window_end")
_ALERT_REQUIRED = ("rule", "state", "starts_at")
_ALERT_OPTIONAL = ("model", "version", "ends_at", "value", "payload")


def save_reference(
    connection: sa.Connection, model: str, frame: pd.DataFrame, created_at: float | None
) -> int:
    """Store ``frame`` as Parquet bytes (dtypes and index survive the round trip)."""
    buffer = io.BytesIO()
    frame.to_parquet(buffer)
    row = {
        "model": model,
        "created_at": time.time() if created_at is None else created_at,
        "format": "parquet",
        "data": buffer.getvalue(),
    }
    return int(connection.execute(references.insert().returning(references.c.id), row).scalar_one())


def load_reference(connection: sa.Connection, model: str) -> pd.DataFrame | None:
    query = (
        sa.select(references.c.data)
        .where(references.c.model == model)
        .order_by(references.c.created_at.desc(), references.c.id.desc())
        .limit(1)
    )
    data = connection.execute(query).scalar_one_or_none()
    return None if data is None else pd.read_parquet(io.BytesIO(data))


def _checked(
    what: str, given: Mapping[str, Any], required: tuple[str, ...], optional: tuple[str, ...]
) -> dict[str, Any]:
    missing = [key for key in required if key not in given]
    unknown = sorted(set(given) - set(required) - set(optional) - {"id"})
    if missing or unknown:
        raise DataError(
            f"A {what} needs the keys {', '.join(required)} and may have {', '.join(optional)}. "
            f"Missing: {missing or 'none'}; unknown: {unknown or 'none'}."
        )
    return {key: given.get(key) for key in required + optional}


def save_monitor_result(connection: sa.Connection, result: Mapping[str, Any]) -> int:
    """Insert the result with its summary columns and signals (``monitml.store.summaries``)."""
    row = _checked("monitor result", result, _RESULT_REQUIRED, _RESULT_OPTIONAL)
    row["run_at"] = time.time() if row["run_at"] is None else row["run_at"]
    columns, signals = summarise(row["payload"])
    row["payload"] = dumps(row["payload"])
    insert = monitor_results.insert().returning(monitor_results.c.id)
    result_id = int(connection.execute(insert, {**row, **columns}).scalar_one())
    save_signals(connection, result_id, row, signals)
    return result_id


def save_signals(
    connection: sa.Connection,
    result_id: int,
    row: Mapping[str, Any],
    signals: list[tuple[str, str, float]],
) -> None:
    """The ``monitor_signals`` rows of one saved result, and its share of the hourly sums."""
    insert_signals(connection, result_id, row, signals)
    if not signals:
        return
    hour = math.floor(_signal_time(row) / HOUR) * HOUR
    h = monitor_signal_hours
    insert = (postgresql.insert if connection.dialect.name == "postgresql" else sqlite.insert)(h)
    upsert = insert.on_conflict_do_update(
        index_elements=[h.c.model, h.c.signal, h.c.hour, h.c.version, h.c.subject],
        set_={
            "total": h.c.total + insert.excluded.total,
            "windows": h.c.windows + insert.excluded.windows,
        },
    )
    keys = {"model": row["model"], "version": row.get("version") or "", "hour": hour}
    connection.execute(
        upsert,
        [
            {**keys, "signal": signal, "subject": subject, "total": value, "windows": 1}
            for signal, subject, value in signals
        ],
    )


def _signal_time(row: Mapping[str, Any]) -> float:
    """Signals are placed at their window's end, else at the run."""
    return float(row["window_end"] if row.get("window_end") is not None else row["run_at"])


def insert_signals(
    connection: sa.Connection,
    result_id: int,
    row: Mapping[str, Any],
    signals: list[tuple[str, str, float]],
) -> None:
    """Only the ``monitor_signals`` rows (the migration that adds them backfills with this)."""
    if not signals:
        return
    base = {"result_id": result_id, "model": row["model"], "version": row.get("version")}
    connection.execute(
        monitor_signals.insert(),
        [
            {
                **base,
                "window_end": _signal_time(row),
                "signal": signal,
                "subject": subject,
                "value": value,
            }
            for signal, subject, value in signals
        ],
    )


def save_alert_event(connection: sa.Connection, event: Mapping[str, Any]) -> int:
    row = _checked("alert event", event, _ALERT_REQUIRED, _ALERT_OPTIONAL)
    row["payload"] = dumps(row["payload"])
    return int(connection.execute(alerts.insert().returning(alerts.c.id), row).scalar_one())


def _as_dicts(connection: sa.Connection, query: sa.Select[Any]) -> list[dict[str, Any]]:
    found = [dict(row) for row in connection.execute(query).mappings()]
    for row in found:
        row["payload"] = json.loads(row["payload"])
    return found


def _columns(table: sa.Table) -> list[sa.ColumnElement[Any]]:
    """The columns a listed dict carries: the ones a caller saves, not the derived summaries."""
    return [
        json_text(c).label(c.name) if c.name == "payload" else c
        for c in table.columns
        if c.name not in SUMMARY_COLUMNS
    ]


def list_monitor_results(
    connection: sa.Connection,
    model: str,
    *,
    version: str | None,
    kind: str | None,
    since: float | None,
    limit: int | None,
) -> list[dict[str, Any]]:
    t = monitor_results
    query = sa.select(*_columns(t)).where(t.c.model == model)
    if version is not None:
        query = query.where(t.c.version == version)
    if kind is not None:
        query = query.where(t.c.kind == kind)
    if since is not None:
        query = query.where(t.c.run_at >= since)
    query = query.order_by(t.c.run_at.desc(), t.c.id.desc()).limit(limit)
    return _as_dicts(connection, query)


def list_alert_events(
    connection: sa.Connection,
    *,
    model: str | None,
    rule: str | None,
    since: float | None,
    limit: int | None,
) -> list[dict[str, Any]]:
    t = alerts
    query = sa.select(*_columns(t))
    if model is not None:
        query = query.where(t.c.model == model)
    if rule is not None:
        query = query.where(t.c.rule == rule)
    if since is not None:
        query = query.where(t.c.starts_at >= since)
    query = query.order_by(t.c.starts_at.desc(), t.c.id.desc()).limit(limit)
    return _as_dicts(connection, query)
