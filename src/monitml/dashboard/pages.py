"""What each page shows, gathered from the store, the routing and the traffic figures.

Plain data for the templates: every number a page prints is computed here, the templates only
lay it out. Charts are sent as data (``monitml.dashboard.charts``); the browser draws them.
"""

from __future__ import annotations

import math
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import sqlalchemy as sa

from monitml.dashboard import charts
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


def model_page(
    store: PredictionStore,
    model: ModelView,
    traffic: Mapping[tuple[str, str], OperationalFigures],
    *,
    now: float,
    range_key: str,
) -> dict[str, Any]:
    """One model: its versions, prediction series, drift heatmap, quality, performance, alerts."""
    # The range ends on a multiple of the heatmap's step, so that the buckets stay the same
    # between two windows (a heatmap's columns do not slide at every refresh).
    span = RANGES[range_key]
    grain = span / HEATMAP_BUCKETS
    end = math.ceil(now / grain) * grain
    start = end - span
    versions = model.versions
    with store.engine.connect() as connection:
        latest = latest_windows(connection, model.name, versions)
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
        payloads = {v: latest_payload(connection, model.name, v) for v in latest}
    events = store.list_alert_events(
        model=model.name, since=now - ALERT_HISTORY_SECONDS, limit=ALERT_EVENTS
    )
    quality = {v: quality_rows(p) for v, p in payloads.items()}
    features = _features_by_drift(drift)
    metrics = sorted({metric for (_, metric) in performance.values})
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
            performance, metrics, versions, shown
        )
    return {
        "model": model,
        "rows": _version_rows(model, latest, traffic),
        "range_key": range_key,
        "ranges": list(RANGES),
        "has_series": any(series.values()),
        "drift_versions": [v for v in versions if features.get(v)],
        "metrics": metrics,
        "quality": quality,
        "alerts": active_alerts(events),
        "history": events[:50],
        "charts": chart_items,
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
