"""Model performance on both data sets when a target and a prediction column are given."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any, Literal

import numpy as np
import pandas as pd

from monitml.errors import DataError
from monitml.schema import ColumnMapping, Schema, class_labels_as_text
from monitml.stats.performance import classification_metrics, regression_metrics

__all__ = ["PerformanceSpec"]

Task = Literal["regression", "classification"]


@dataclass(frozen=True, slots=True)
class PerformanceSpec:
    """Which columns hold the label and the prediction, and the reference's metrics."""

    task: Task
    target: str
    prediction: str
    labels: tuple[str, ...] = ()
    reference: dict[str, Any] = field(default_factory=dict)

    @classmethod
    def from_reference(
        cls, reference: pd.DataFrame, schema: Schema, mapping: ColumnMapping
    ) -> PerformanceSpec | None:
        """None unless the mapping names both a target and a prediction column."""
        target, prediction = mapping.target, mapping.prediction
        if target is None or prediction is None:
            return None
        spec = schema.get(target)
        task: Task = (
            "classification" if spec is not None and spec.kind == "categorical" else "regression"
        )
        labels = tuple(sorted(set(class_labels_as_text(reference[target].dropna()))))
        unfitted = cls(task, target, prediction, labels)
        return cls(task, target, prediction, labels, unfitted.metrics(reference, labels))

    def section(self, current: pd.DataFrame) -> dict[str, Any]:
        """The performance section of a report: reference and current metrics."""
        for name in (self.target, self.prediction):
            if name not in current.columns:
                raise DataError(f"column '{name}' is missing from current")
        section: dict[str, Any] = {
            "task": self.task,
            "target": self.target,
            "prediction": self.prediction,
        }
        labels = self.labels
        if self.task == "classification":
            # A label first seen in current widens its confusion matrix, not the reference's.
            seen = set(class_labels_as_text(current[self.target].dropna()))
            labels = tuple(sorted(set(labels) | seen))
            section["labels"] = list(labels)
        section["reference"] = self.reference
        section["current"] = self.metrics(current, labels)
        return section

    def metrics(self, frame: pd.DataFrame, labels: tuple[str, ...]) -> dict[str, Any]:
        truth, predicted = frame[self.target], frame[self.prediction]
        if self.task == "regression":
            return regression_metrics(_floats(truth), _floats(predicted))
        return _classification(truth, predicted, list(labels))


def _floats(series: pd.Series) -> np.ndarray:
    return pd.to_numeric(series, errors="coerce").to_numpy(np.float64, na_value=np.nan)


def _classification(truth: pd.Series, prediction: pd.Series, labels: list[str]) -> dict[str, Any]:
    keep = truth.notna() & prediction.notna()
    y_true = class_labels_as_text(truth[keep])
    predicted = prediction[keep]
    is_score = (
        len(labels) == 2
        and pd.api.types.is_float_dtype(predicted.dtype)
        and bool(predicted.between(0.0, 1.0).all())
        and not bool(np.all(np.mod(predicted, 1.0) == 0.0))
    )
    if is_score:
        # A probability of the positive (last) label: threshold at 0.5 for the class.
        scores = predicted.to_numpy(np.float64)
        y_pred = np.where(scores >= 0.5, labels[1], labels[0])
        return classification_metrics(
            y_true, y_pred, labels=labels, scores=scores, positive_label=labels[1]
        )
    return classification_metrics(y_true, class_labels_as_text(predicted), labels=labels)
