"""What each page shows, gathered from the store, the routing and the traffic figures.

Plain data for the templates: every number a page prints is computed here, the templates only
lay it out. Charts are sent as data (``monitml.dashboard.charts``); the browser draws them.
"""

from __future__ import annotations

import math
import threading
from collections import OrderedDict
from collections.abc import Callable, Hashable, Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import sqlalchemy as sa

from monitml.dashboard import charts
from monitml.dashboard.explain import explanation_panel, recent_segment_tables
from monitml.dashboard.operational import OperationalFigures
from monitml.dashboard.queries import (
    Bucketed,
    LatestWindow,
    active_alerts,
    latest_payload,
    latest_windows,
    prediction_series,
    signal_grid,
)
from monitml.errors import StoreError
from monitml.store import PredictionStore

__all__ = [
    "DEFAULT_RANGE",
    "RANGES",
    "STORE_ERRORS",
    "ModelView",
    "QualityRow",
    "RangeCache",
    "age",
    "list_reports",
    "model_page",
    "overview_page",
    "primary_metric",
    "quality_rows",
]

RANGES = {"1h": 3_600.0, "6h": 21_600.0, "24h": 86_400.0, "7d": 604_800.0, "30d": 2_592_000.0}
DEFAULT_RANGE = "24h"
SERIES_BUCKETS = 120
HEATMAP_BUCKETS = 48
ALERT_HISTORY_SECONDS = 30 * 86_400.0
ALERT_EVENTS = 500
MAX_REPORTS = 50
# Data-quality flags: how far the current window may move before a feature is flagged.
MISSING_SHARE_RISE = 0.05  # missing share above the reference's by more than 5 points
OUT_OF_RANGE_SHARE = 0.05  # more than 5% of values outside the reference's min..max
UNSEEN_SHARE = 0.01  # more than 1% of rows in categories the reference never had


@dataclass(frozen=True, slots=True)
class ModelView:
    """A served model as the dashboard shows it: its versions and current routing."""

    name: str
    task: str
    versions: tuple[str, ...]
    weights: Mapping[str, float]
    shadow: tuple[str, ...] = ()


@dataclass(frozen=True, slots=True)
class VersionRow:
    version: str
    weight: float
    shadow: bool
    latest: LatestWindow | None
    traffic: OperationalFigures | None


@dataclass(frozen=True, slots=True)
class QualityRow:
    feature: str
    kind: str
    missing_share: float | None
    reference_missing_share: float | None
    flags: list[str] = field(default_factory=list)


def _age(now: float, then: float | None) -> str:
    if then is None:
        return "never"
    seconds = max(now - then, 0.0)
    for unit, size in (("d", 86_400), ("h", 3_600), ("min", 60)):
        if seconds >= size:
            return f"{seconds / size:.0f} {unit} ago"
    return f"{seconds:.0f} s ago"


def _version_rows(
    model: ModelView,
    latest: Mapping[str, LatestWindow],
    traffic: Mapping[tuple[str, str], OperationalFigures],
) -> list[VersionRow]:
    return [
        VersionRow(
            version,
            float(model.weights.get(version, 0.0)),
            version in model.shadow,
            latest.get(version),
            traffic.get((model.name, version)),
        )
        for version in model.versions
    ]


def overview_page(
    store: PredictionStore,
    models: Sequence[ModelView],
    traffic: Mapping[tuple[str, str], OperationalFigures],
    now: float,
) -> dict[str, Any]:
    """Every model's versions, routing, traffic and last verdict, and the firing alerts."""
    rows: dict[str, list[VersionRow]] = {}
    with store.engine.connect() as connection:
        for model in models:
            latest = latest_windows(connection, model.name, model.versions)
            rows[model.name] = _version_rows(model, latest, traffic)
    events = store.list_alert_events(since=now - ALERT_HISTORY_SECONDS, limit=ALERT_EVENTS)
    return {"models": models, "rows": rows, "alerts": active_alerts(events), "now": now}


def _flags(quality: Mapping[str, Any]) -> tuple[float | None, float | None, list[str]]:
    current = quality.get("current") or {}
    reference = quality.get("reference") or {}
    missing, missing_before = current.get("missing_share"), reference.get("missing_share")
    flags = []
    if isinstance(missing, int | float) and missing - (missing_before or 0.0) > MISSING_SHARE_RISE:
        flags.append("missing values")
    out_of_range = quality.get("out_of_range_share")
    if isinstance(out_of_range, int | float) and out_of_range > OUT_OF_RANGE_SHARE:
        flags.append(f"{out_of_range:.0%} out of the reference range")
    unseen = quality.get("unseen_share")
    if isinstance(unseen, int | float) and unseen > UNSEEN_SHARE:
        names = ", ".join(str(c) for c in quality.get("unseen_categories") or [])
        flags.append(f"{unseen:.0%} in unseen categories ({names})")
    if quality.get("constant"):
        flags.append("constant")
    if quality.get("type_mismatch"):
        flags.append("type mismatch")
    return missing, missing_before, flags


def quality_rows(payload: Mapping[str, Any] | None) -> tuple[list[QualityRow], list[str]]:
    """The features of a window payload with their data-quality flags, and its issues."""
    drift = (payload or {}).get("drift") or {}
    quality = drift.get("quality") or {}
    by_column = quality.get("columns") or {}
    rows = []
    for name, column in (drift.get("columns") or {}).items():
        if column.get("role") != "feature":
            continue
        missing, before, flags = _flags(by_column.get(name) or {})
        rows.append(QualityRow(name, str(column.get("kind", "")), missing, before, flags))
    rows.sort(key=lambda row: (not row.flags, row.feature))
    return rows, [str(issue) for issue in quality.get("issues") or []]


def primary_metric(task: str, metrics: Sequence[str]) -> str:
    """The metric a performance chart shows first: RMSE, or ROC AUC then accuracy."""
    preferred = ("rmse", "mae", "r2") if task == "regression" else ("roc_auc", "accuracy", "f1")
    return next((m for m in preferred if m in metrics), metrics[0])


def _features_by_drift(grid: Bucketed) -> dict[str, list[str]]:
    """Each version's features, those that drifted in most buckets first."""
    totals: dict[str, list[tuple[float, str]]] = {}
    for (version, feature), cells in grid.values.items():
        totals.setdefault(version, []).append((-sum(cells.values()), feature))
    return {version: [f for _, f in sorted(pairs)] for version, pairs in totals.items()}


class RangeCache:
    """A model page's reads over its time range (charts, newest payloads' quality) by what they
    depend on: the model, its versions, the range and the newest window of each version.

    Windows are only ever added, so a refresh or a second viewer with no new window since gets
    the same reads without touching the store; a new window of any shown version changes the
    key. An entry is reused for ``max_age`` seconds at most, so that what the key cannot see
    (retention pruning the range's oldest windows, a window saved out of order) shows within
    that time. Thread-safe; keeps the ``size`` most recently used.
    """

    def __init__(self, size: int = 32, max_age: float = 60.0) -> None:
        self.size = size
        self.max_age = max_age
        self._items: OrderedDict[Hashable, tuple[float, dict[str, Any]]] = OrderedDict()
        self._lock = threading.Lock()

    def get(self, key: Hashable, now: float, read: Callable[[], dict[str, Any]]) -> dict[str, Any]:
        with self._lock:
            found = self._items.get(key)
            if found is not None and 0.0 <= now - found[0] <= self.max_age:
                self._items.move_to_end(key)
                return found[1]
        value = read()
        with self._lock:
            self._items[key] = (now, value)
            self._items.move_to_end(key)
            while len(self._items) > self.size:
                self._items.popitem(last=False)
        return value

    def clear(self) -> None:
        with self._lock:
            self._items.clear()


def _range_reads(
    connection: sa.Connection,
    model: ModelView,
    latest: Mapping[str, LatestWindow],
    start: float,
    end: float,
) -> dict[str, Any]:
    """The charts' data over ``[start, end]`` and the newest windows' quality flags."""
    versions = model.versions
    series = {
        v: prediction_series(
            connection, model.name, v, start=start, end=end, buckets=SERIES_BUCKETS
        )
        for v in versions
    }
    drift = signal_grid(
        connection, model.name, "feature_drift", start=start, end=end, buckets=HEATMAP_BUCKETS
    )
    performance = signal_grid(
        connection, model.name, "performance", start=start, end=end, buckets=SERIES_BUCKETS
    )
    estimated = signal_grid(
        connection,
        model.name,
        "estimated_performance",
        start=start,
        end=end,
        buckets=SERIES_BUCKETS,
    )
    newest = {v: latest_payload(connection, model.name, v) for v in latest}
    quality = {v: quality_rows(payload) for v, payload in newest.items()}
    explanations = {}
    for version, payload in newest.items():
        has_segments = bool(((payload or {}).get("explanation") or {}).get("segment_performance"))
        recent = recent_segment_tables(connection, model.name, version) if has_segments else []
        panel = explanation_panel(payload, recent)
        if panel is not None:
            explanations[version] = panel
    features = _features_by_drift(drift)
    metrics = sorted({metric for (_, metric) in [*performance.values, *estimated.values]})
    chart_items: dict[str, dict[str, Any]] = {}
    drawn = {v: points for v, points in series.items() if points}
    if drawn:
        chart_items["chart-predictions"] = charts.prediction_chart(drawn)
    for version in versions:
        names = features.get(version)
        if names:
            chart_items[f"chart-drift-{version}"] = charts.drift_heatmap(drift, version, names)
    if metrics:
        shown = primary_metric(model.task, metrics)
        chart_items["chart-performance"] = charts.performance_chart(
            performance, metrics, versions, shown, estimated
        )
    return {
        "has_series": bool(drawn),
        "drift_versions": [v for v in versions if features.get(v)],
        "metrics": metrics,
        "quality": quality,
        "explanations": explanations,
        "charts": chart_items,
    }


def model_page(
    store: PredictionStore,
    model: ModelView,
    traffic: Mapping[tuple[str, str], OperationalFigures],
    *,
    now: float,
    range_key: str,
    cache: RangeCache | None = None,
) -> dict[str, Any]:
    """One model: its versions, prediction series, drift heatmap, quality, performance, alerts.

    With a ``cache``, the range's reads are reused until a version has a newer window.
    """
    # The range ends on a multiple of the heatmap's step, so that the buckets stay the same
    # between two windows (a heatmap's columns do not slide at every refresh, and the cached
    # reads stay valid until the range moves on by a step).
    span = RANGES[range_key]
    grain = span / HEATMAP_BUCKETS
    end = math.ceil(now / grain) * grain
    start = end - span
    with store.engine.connect() as connection:
        latest = latest_windows(connection, model.name, model.versions)

        def read() -> dict[str, Any]:
            return _range_reads(connection, model, latest, start, end)

        if cache is None:
            ranged = read()
        else:
            newest = tuple(sorted((v, w.result_id) for v, w in latest.items()))
            key = (model.name, model.task, model.versions, range_key, end, newest)
            ranged = cache.get(key, now, read)
    events = store.list_alert_events(
        model=model.name, since=now - ALERT_HISTORY_SECONDS, limit=ALERT_EVENTS
    )
    return {
        "model": model,
        "rows": _version_rows(model, latest, traffic),
        "range_key": range_key,
        "ranges": list(RANGES),
        **ranged,
        "alerts": active_alerts(events),
        "history": events[:50],
        "now": now,
    }


def list_reports(folder: Path | None, model: str | None = None) -> list[dict[str, Any]]:
    """The newest HTML reports in ``folder`` (those naming ``model`` when given)."""
    if folder is None or not folder.is_dir():
        return []
    found: list[tuple[float, str]] = []
    for path in folder.rglob("*.html"):
        relative = path.relative_to(folder).as_posix()
        if model is not None and model not in relative:
            continue
        try:
            modified = path.stat().st_mtime
        except OSError:
            continue
        found.append((modified, relative))
    found.sort(reverse=True)
    return [{"path": path, "modified": modified} for modified, path in found[:MAX_REPORTS]]


def age(now: float, then: float | None) -> str:
    """``"3 min ago"``, for the templates."""
    return _age(now, then)


# What a page answers 503 for: the store is unreachable or locked.
STORE_ERRORS = (StoreError, sa.exc.OperationalError, sa.exc.InterfaceError)
