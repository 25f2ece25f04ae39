"""A model's signals over a period, version by version: what ``monitml report`` draws.

One read of the stored window, then for each version its chunks (as ``run_check`` scores them,
not stored again), the whole period scored at once (the period's drift table and
distributions), and where labels arrived: residual quantiles per chunk and a residual
histogram (regression; residual = prediction − label, as ``me``), or the ROC curve of the
positive label's score (binary classification with a logged probability).
"""

from __future__ import annotations

import time
from typing import Any

import numpy as np
import pandas as pd

from monitml.monitor.batch import AlertJudge, run_check, split_versions
from monitml.monitor.chunks import ChunkSpec, split_chunks
from monitml.monitor.model_monitor import LABEL, PREDICTION, ModelMonitor
from monitml.report.period import Histogram, PeriodResults, RocCurve, Spread, VersionPeriod
from monitml.store import PredictionStore

__all__ = ["RESIDUAL_BINS", "ROC_POINTS", "collect_period", "residual_spread", "roc_curve"]

RESIDUAL_BINS = 40
# Enough points for a smooth curve; a curve of 100k rows would otherwise weigh megabytes.
ROC_POINTS = 200


def collect_period(
    store: PredictionStore,
    monitor: ModelMonitor,
    *,
    start: float,
    end: float,
    chunk: ChunkSpec,
    version: str | None = None,
    judge: AlertJudge | None = None,
) -> PeriodResults:
    """Everything the period report shows of ``monitor.model`` in ``[start, end)``."""
    frame = store.read_window(monitor.model, version, start=start, end=end)
    check = run_check(
        store,
        monitor,
        start=start,
        end=end,
        chunk=chunk,
        version=version,
        judge=judge,
        save=False,
        frame=frame,
    )
    payload = check.to_dict()
    versions = []
    for name, rows in split_versions(frame, version).items():
        chunks = tuple(c for c in payload["chunks"] if c["version"] == name)
        overall = monitor.evaluate(rows, name, window_start=start, window_end=end).to_dict()
        parts = [part for _, _, part in split_chunks(rows, chunk, start=start, end=end)]
        if monitor.task == "regression":
            entry = VersionPeriod(
                name,
                chunks,
                overall,
                residuals=tuple(residual_spread(_residuals(part)) for part in parts),
                residual_histogram=_histogram(_residuals(rows)),
            )
        else:
            entry = VersionPeriod(name, chunks, overall, roc=_roc_of(rows, overall))
        versions.append(entry)
    events = [
        event
        for event in store.list_alert_events(model=monitor.model, since=start)
        if event["starts_at"] < end and (version is None or event["version"] in (None, version))
    ]
    return PeriodResults(
        model=monitor.model,
        task=monitor.task,
        start=start,
        end=end,
        chunk=chunk.describe(),
        versions=tuple(versions),
        alert_events=tuple(reversed(events)),  # oldest first
        generated_at=time.time(),
    )


def _floats(series: pd.Series) -> np.ndarray[Any, np.dtype[np.float64]]:
    return pd.to_numeric(series, errors="coerce").to_numpy(np.float64, na_value=np.nan)


def _residuals(rows: pd.DataFrame) -> np.ndarray[Any, np.dtype[np.float64]]:
    if LABEL not in rows.columns or PREDICTION not in rows.columns or rows.empty:
        return np.empty(0)
    error = _floats(rows[PREDICTION]) - _floats(rows[LABEL])
    return error[np.isfinite(error)]


def residual_spread(residuals: np.ndarray[Any, np.dtype[np.float64]]) -> Spread | None:
    """Mean and quantiles of residuals; None when there are none.

    >>> residual_spread(np.array([-2.0, 0.0, 2.0])).p50
    0.0
    """
    if residuals.size == 0:
        return None
    p05, p25, p50, p75, p95 = (
        float(q) for q in np.quantile(residuals, [0.05, 0.25, 0.5, 0.75, 0.95])
    )
    return Spread(int(residuals.size), float(residuals.mean()), p05, p25, p50, p75, p95)


def _histogram(residuals: np.ndarray[Any, np.dtype[np.float64]]) -> Histogram | None:
    if residuals.size == 0:
        return None
    # The 0.5%–99.5% range: one wild label must not squeeze every other residual into a bin.
    low, high = (float(q) for q in np.quantile(residuals, [0.005, 0.995]))
    if not high - low > 1e-9 * max(abs(low), abs(high), 1.0):  # (near-)constant residuals
        low, high = low - 0.5, high + 0.5
    counts, edges = np.histogram(
        np.clip(residuals, low, high), bins=RESIDUAL_BINS, range=(low, high)
    )
    return Histogram(tuple(float(e) for e in edges), tuple(int(c) for c in counts))


def _roc_of(rows: pd.DataFrame, overall: dict[str, Any]) -> RocCurve | None:
    performance = (overall.get("drift") or {}).get("performance") or {}
    labels = [str(label) for label in performance.get("labels") or []]
    if len(labels) != 2 or LABEL not in rows.columns:
        return None
    positive = str((performance.get("current") or {}).get("positive_label") or labels[-1])
    column = f"proba_{positive}"
    if column in rows.columns:
        scores = _floats(rows[column])
    elif PREDICTION in rows.columns and pd.api.types.is_float_dtype(rows[PREDICTION].dtype):
        scores = _floats(rows[PREDICTION])  # the prediction is the positive label's score
    else:
        return None
    known = rows[LABEL].notna().to_numpy() & np.isfinite(scores)
    truth = rows[LABEL][known].map(_label_text).to_numpy() == positive
    return roc_curve(scores[known], truth, positive)


def _label_text(value: Any) -> str:
    if isinstance(value, float) and value.is_integer():
        return str(int(value))
    return str(value)


def roc_curve(
    scores: np.ndarray[Any, np.dtype[np.float64]],
    positive: np.ndarray[Any, np.dtype[np.bool_]],
    label: str,
    points: int = ROC_POINTS,
) -> RocCurve | None:
    """False and true positive rates at every distinct score, thinned to ``points`` points.

    None without both positives and negatives. The AUC is the trapezoid area under the whole
    curve, which equals ROC AUC with ties at mean rank.

    >>> roc_curve(np.array([0.1, 0.4, 0.4, 0.8]), np.array([False, False, True, True]), "1").auc
    0.875
    """
    n_positive = int(np.count_nonzero(positive))
    n_negative = int(positive.size - n_positive)
    if n_positive == 0 or n_negative == 0:
        return None
    order = np.argsort(-scores, kind="stable")
    ordered, hits = scores[order], positive[order]
    last_of_each = np.r_[np.flatnonzero(np.diff(ordered)), ordered.size - 1]
    tpr = np.r_[0.0, np.cumsum(hits)[last_of_each] / n_positive]
    fpr = np.r_[0.0, np.cumsum(~hits)[last_of_each] / n_negative]
    auc = float(np.sum(np.diff(fpr) * (tpr[1:] + tpr[:-1]) / 2))
    if fpr.size > points:
        keep = np.unique(np.linspace(0, fpr.size - 1, points).round().astype(int))
        fpr, tpr = fpr[keep], tpr[keep]
    return RocCurve(
        label,
        int(positive.size),
        auc,
        tuple(round(float(v), 5) for v in fpr),
        tuple(round(float(v), 5) for v in tpr),
    )
