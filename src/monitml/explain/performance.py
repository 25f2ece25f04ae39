"""Performance per segment of the columns a model's config names (``segments: [neighborhood]``).

Each window (or chunk) gets, per segment: its rows, its labelled rows, its prediction mean, the
metric realised on its labelled rows, the metric estimated without labels (when the monitor has
an estimator) and the same metric on the reference's rows of that segment. Over the windows of
a period this is the performance of each segment over time (the report draws it).

The metric is the mean absolute error for a regressor and the accuracy for a classifier, the
two a per-row error averages into (see :mod:`monitml.explain.row_errors`). In a window of more
than ``MAX_ESTIMATED_ROWS`` (2,000) rows the estimated figure comes from a seeded sample of that
many rows (``monitml.explain.explainer``). A figure is None
where its segment has no row to compute it from.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from typing import Any

from monitml.explain.segments import SegmentColumn, SegmentSums

__all__ = ["SegmentPerformance", "segment_metric", "segment_performance"]


def segment_metric(task: str) -> str:
    return "mae" if task == "regression" else "accuracy"


def _value(sums: SegmentSums | None, index: int, task: str, *, as_metric: bool) -> float | None:
    if sums is None or sums.count[index] <= 0:
        return None
    mean = float(sums.mean[index])
    if not math.isfinite(mean):
        return None
    return 1.0 - mean if as_metric and task != "regression" else mean


@dataclass(frozen=True, slots=True)
class SegmentPerformance:
    """One segment of one column in one window."""

    segment: str
    rows: int
    labelled_rows: int
    prediction_mean: float | None
    value: float | None  # the metric on the labelled rows
    estimated: float | None  # the metric estimated without labels
    reference: float | None  # the metric on the reference's rows of the segment

    def to_dict(self) -> dict[str, Any]:
        return {
            "segment": self.segment,
            "rows": self.rows,
            "labelled_rows": self.labelled_rows,
            "prediction_mean": self.prediction_mean,
            "value": self.value,
            "estimated": self.estimated,
            "reference": self.reference,
        }


def segment_performance(
    column: SegmentColumn,
    task: str,
    *,
    rows: SegmentSums,
    prediction: SegmentSums | None,
    error: SegmentSums | None,
    estimated: SegmentSums | None,
    reference_error: SegmentSums | None,
) -> tuple[SegmentPerformance, ...]:
    """Every segment of ``column`` with at least one current row."""
    found = []
    for index, label in enumerate(column.labels()):
        count = int(rows.count[index])
        if count == 0:
            continue
        found.append(
            SegmentPerformance(
                segment=label,
                rows=count,
                labelled_rows=int(error.count[index]) if error is not None else 0,
                prediction_mean=_value(prediction, index, task, as_metric=False),
                value=_value(error, index, task, as_metric=True),
                estimated=_value(estimated, index, task, as_metric=True),
                reference=_value(reference_error, index, task, as_metric=True),
            )
        )
    return tuple(found)
