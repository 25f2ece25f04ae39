"""The dashboard's reads of the store: narrow, indexed, downsampled in SQL.

Nothing here parses more than one window payload per version (the newest one, for its quality
flags). Series over a time range come from the summary columns and ``monitor_signals`` that the
store fills at save time (``monitml.store.summaries``), grouped into at most ``buckets`` time
buckets by the database, so a month of one-minute windows costs one indexed range scan.
"""

from __future__ import annotations

import json
import math
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from typing import Any

import sqlalchemy as sa

from monitml.store.results import HOUR
from monitml.store.tables import (
    json_text,
    monitor_results,
    monitor_signal_hours,
    monitor_signals,
)

__all__ = [
    "Bucketed",
    "LatestWindow",
    "SeriesPoint",
    "active_alerts",
    "latest_payload",
    "latest_windows",
    "prediction_series",
    "signal_grid",
]

WINDOW = "window"


@dataclass(frozen=True, slots=True)
class LatestWindow:
    """The newest stored window of one version, from its summary columns."""

    version: str
    run_at: float
    window_end: float | None
    rows: int | None
    dataset_drift: bool | None
    drift_share: float | None
    prediction_mean: float | None
    result_id: int | None = None  # the window's row: a newer window of the version has another

    @property
    def verdict(self) -> str:
        if self.dataset_drift is None:
            return f"insufficient data ({self.rows or 0} rows)"
        share = f"{(self.drift_share or 0.0):.0%} of features drifted"
        return f"dataset drift: {share}" if self.dataset_drift else f"no dataset drift: {share}"


@dataclass(frozen=True, slots=True)
class SeriesPoint:
    """One time bucket of a version's windows: rows-weighted mean, extremes, window count."""

    at: float
    mean: float
    low: float
    high: float
    windows: int


@dataclass(frozen=True, slots=True)
class Bucketed:
    """``values[(version, subject)][bucket]``: the mean signal value in each time bucket."""

    start: float
    step: float
    buckets: int
    values: dict[tuple[str, str], dict[int, float]] = field(default_factory=dict)

    def bucket_start(self, index: int) -> float:
        return self.start + index * self.step


def _bucket(
    column: sa.ColumnElement[float], start: float, end: float, buckets: int, dialect: str
) -> Any:
    """The bucket index of ``column`` in ``[start, end]``: ``end`` itself is in the last one,
    anything before ``start`` in the first."""
    # Inlined numbers (floats render exactly): PostgreSQL only groups by an expression equal to
    # the selected one, and two bound parameters are never equal.
    step = _step(start, end, buckets)
    scaled = (column - sa.literal_column(repr(float(start)))) / sa.literal_column(repr(step))
    if dialect == "postgresql":
        index = sa.cast(sa.func.floor(scaled), sa.Integer)
    else:
        index = sa.cast(scaled, sa.Integer)  # SQLite truncates: the floor of a value >= 0
    last: sa.ColumnElement[int] = sa.literal_column(str(int(buckets) - 1))
    first: sa.ColumnElement[int] = sa.literal_column("0")
    return sa.case(
        (column >= sa.literal_column(repr(float(end))), last),
        (column < sa.literal_column(repr(float(start))), first),  # an hour begun before start
        else_=index,
    )


def _step(start: float, end: float, buckets: int) -> float:
    return max((end - start) / max(buckets, 1), 1e-9)


def latest_windows(
    connection: sa.Connection, model: str, versions: Iterable[str]
) -> dict[str, LatestWindow]:
    """The newest window of each version that has one (one index probe per version)."""
    t = monitor_results
    found: dict[str, LatestWindow] = {}
    for version in versions:
        row = connection.execute(
            sa.select(
                t.c.id,
                t.c.run_at,
                t.c.window_end,
                t.c.window_rows,
                t.c.dataset_drift,
                t.c.drift_share,
                t.c.prediction_mean,
            )
            .where(t.c.model == model, t.c.version == version, t.c.kind == WINDOW)
            .order_by(t.c.window_end.desc(), t.c.id.desc())
            .limit(1)
        ).first()
        if row is not None:
            found[version] = LatestWindow(
                version,
                row.run_at,
                row.window_end,
                row.window_rows,
                None if row.dataset_drift is None else bool(row.dataset_drift),
                row.drift_share,
                row.prediction_mean,
                int(row.id),
            )
    return found


def latest_payload(connection: sa.Connection, model: str, version: str) -> dict[str, Any] | None:
    """The whole payload of a version's newest window (the only payload a page parses)."""
    t = monitor_results
    text = connection.execute(
        sa.select(json_text(t.c.payload))
        .where(t.c.model == model, t.c.version == version, t.c.kind == WINDOW)
        .order_by(t.c.window_end.desc(), t.c.id.desc())
        .limit(1)
    ).scalar_one_or_none()
    if text is None:
        return None
    payload = json.loads(text)
    return payload if isinstance(payload, dict) else None


def prediction_series(
    connection: sa.Connection,
    model: str,
    version: str,
    *,
    start: float,
    end: float,
    buckets: int,
) -> list[SeriesPoint]:
    """Prediction mean (weighted by window rows), min and max per time bucket, oldest first."""
    t = monitor_results
    step = _step(start, end, buckets)
    bucket = _bucket(t.c.window_end, start, end, buckets, connection.dialect.name)
    weight = sa.func.coalesce(t.c.window_rows, 1)
    query = (
        sa.select(
            bucket.label("bucket"),
            sa.func.sum(t.c.prediction_mean * weight),
            sa.func.sum(weight),
            sa.func.min(t.c.prediction_min),
            sa.func.max(t.c.prediction_max),
            sa.func.count(),
        )
        .where(t.c.model == model, t.c.version == version, t.c.kind == WINDOW)
        .where(t.c.window_end >= start, t.c.window_end <= end)
        .where(t.c.prediction_mean.is_not(None))
        .group_by(sa.literal_column("bucket"))
        .order_by(sa.literal_column("bucket"))
    )
    points = []
    for index, total, weights, lowest, highest, count in connection.execute(query):
        mean = float(total) / float(weights) if weights else math.nan
        low = mean if lowest is None else float(lowest)
        high = mean if highest is None else float(highest)
        at = start + (int(index) + 0.5) * step
        points.append(SeriesPoint(at, mean, low, high, int(count)))
    return points


def signal_grid(
    connection: sa.Connection,
    model: str,
    signal: str,
    *,
    start: float,
    end: float,
    buckets: int,
) -> Bucketed:
    """The mean of one signal per (version, subject) and time bucket, read from an index.

    Buckets of an hour or more are summed from ``monitor_signal_hours`` (each hour falls in the
    bucket of its start), shorter ones from every window's signal.
    """
    step = _step(start, end, buckets)
    dialect = connection.dialect.name
    if step >= HOUR:
        h = monitor_signal_hours
        first_hour = math.floor(start / HOUR) * HOUR
        bucket = _bucket(h.c.hour, start, end, buckets, dialect)
        query: sa.Select[Any] = (
            sa.select(
                h.c.version,
                h.c.subject,
                bucket.label("bucket"),
                sa.func.sum(h.c.total) / sa.func.sum(h.c.windows),
            )
            .where(h.c.model == model, h.c.signal == signal)
            .where(h.c.hour >= first_hour, h.c.hour <= end)
            .group_by(h.c.version, h.c.subject, sa.literal_column("bucket"))
        )
    else:
        s = monitor_signals
        bucket = _bucket(s.c.window_end, start, end, buckets, dialect)
        query = (
            sa.select(s.c.version, s.c.subject, bucket.label("bucket"), sa.func.avg(s.c.value))
            .where(s.c.model == model, s.c.signal == signal)
            .where(s.c.window_end >= start, s.c.window_end <= end)
            .group_by(s.c.version, s.c.subject, sa.literal_column("bucket"))
        )
    grid = Bucketed(start, step, buckets)
    for version, subject, index, value in connection.execute(query):
        cells = grid.values.setdefault((version or "", subject), {})
        cells[int(index)] = float(value)
    return grid


def active_alerts(events: Sequence[dict[str, Any]]) -> list[dict[str, Any]]:
    """The alerts whose newest event (``events`` newest first) is pending or firing.

    An alert is one rule on one label set: the engine's fingerprint, else rule, model, version.
    """
    seen: set[Any] = set()
    active = []
    for event in events:
        payload = event.get("payload")
        key = (payload.get("fingerprint") if isinstance(payload, dict) else None) or (
            event["rule"],
            event["model"],
            event["version"],
        )
        if key in seen:
            continue
        seen.add(key)
        if event["state"] in ("pending", "firing"):
            active.append(event)
    return active
