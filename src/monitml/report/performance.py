"""Model performance on reference against current: metric deltas and confusion matrices."""

from __future__ import annotations

import math
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from monitml.report.charts import as_list
from monitml.report.format import as_float, fmt_count, fmt_number

__all__ = ["Matrix", "Metric", "PerformanceView", "build_performance_view"]

_REGRESSION = (
    ("me", "Mean error", "zero"),
    ("mae", "MAE", "lower"),
    ("rmse", "RMSE", "lower"),
    ("mape", "MAPE", "lower"),
    ("r2", "R²", "higher"),
)
_CLASSIFICATION = (
    ("accuracy", "Accuracy", "higher"),
    ("precision", "Precision", "higher"),
    ("recall", "Recall", "higher"),
    ("f1", "F1", "higher"),
    ("roc_auc", "ROC AUC", "higher"),
    ("log_loss", "Log loss", "lower"),
)


@dataclass(frozen=True, slots=True)
class Metric:
    """A performance metric on both samples; ``trend`` is ``better``, ``worse`` or ``same``."""

    label: str
    reference: str
    current: str
    delta: str
    trend: str


@dataclass(frozen=True, slots=True)
class Matrix:
    """A confusion matrix; each cell is (count text, row share in [0, 1])."""

    title: str
    labels: tuple[str, ...]
    rows: tuple[tuple[tuple[str, float], ...], ...]


@dataclass(frozen=True, slots=True)
class PerformanceView:
    """Model performance on reference against current."""

    task: str
    subtitle: str
    metrics: tuple[Metric, ...]
    matrices: tuple[Matrix, ...]


def _signed(value: float) -> str:
    text = fmt_number(abs(value))
    return "0" if text == "0" else ("+" if value > 0 else "−") + text


def _metric(label: str, better: str, ref: Any, cur: Any) -> Metric:
    r, c = as_float(ref), as_float(cur)
    if r is None or c is None:
        return Metric(label, fmt_number(ref, 4), fmt_number(cur, 4), "—", "")
    delta = c - r
    gains = {"zero": abs(r) - abs(c), "higher": delta, "lower": -delta}
    gain = gains[better]
    trend = (
        "same"
        if math.isclose(c, r, rel_tol=1e-9, abs_tol=1e-12)
        else ("better" if gain > 0 else "worse")
    )
    return Metric(label, fmt_number(r, 4), fmt_number(c, 4), _signed(delta), trend)


def _matrix(title: str, labels: tuple[str, ...], raw: Any) -> Matrix | None:
    rows = [as_list(row) for row in as_list(raw)]
    if not rows:
        return None
    cells = []
    for row in rows:
        values = [as_float(v) or 0.0 for v in row]
        total = sum(values)
        cells.append(tuple((fmt_count(v), v / total if total else 0.0) for v in values))
    names = labels if len(labels) == len(rows) else tuple(str(i) for i in range(len(rows)))
    return Matrix(title, names, tuple(cells))


def build_performance_view(raw: Any) -> PerformanceView | None:
    """The performance view of a payload's ``performance`` entry, or ``None`` when absent."""
    if not isinstance(raw, Mapping):
        return None
    ref, cur = _mapping(raw.get("reference")), _mapping(raw.get("current"))
    task = _text(raw.get("task"))
    metrics = [
        Metric("Rows with labels", fmt_count(ref.get("count")), fmt_count(cur.get("count")), "", "")
    ]
    spec = _CLASSIFICATION if task == "classification" else _REGRESSION
    metrics += [_metric(label, better, ref.get(key), cur.get(key)) for key, label, better in spec]
    labels = tuple(str(label) for label in as_list(raw.get("labels")))
    matrices = tuple(
        m
        for m in (
            _matrix("Reference", labels, ref.get("confusion_matrix")),
            _matrix("Current", labels, cur.get("confusion_matrix")),
        )
        if m is not None
    )
    parts = [
        f"target {raw['target']}" if raw.get("target") else "",
        f"prediction {raw['prediction']}" if raw.get("prediction") else "",
    ]
    return PerformanceView(
        task=task.capitalize() or "Performance",
        subtitle=" · ".join(p for p in parts if p),
        metrics=tuple(metrics),
        matrices=matrices,
    )


def _mapping(value: Any) -> Mapping[str, Any]:
    return value if isinstance(value, Mapping) else {}


def _text(value: Any) -> str:
    return "" if value is None else str(value)
