"""Model performance on both data sets when a target and a prediction column are given."""

from __future__ import annotations

from typing import Any

import numpy as np
import pandas as pd

from monitml.errors import DataError
from monitml.schema import ColumnMapping, Schema
from monitml.stats.performance import classification_metrics, regression_metrics

__all__ = ["performance_section"]


def performance_section(
    reference: pd.DataFrame, current: pd.DataFrame, schema: Schema, mapping: ColumnMapping
) -> dict[str, Any] | None:
    """Regression or classification metrics on reference and current; None without labels."""
    target, prediction = mapping.target, mapping.prediction
    if target is None or prediction is None:
        return None
    for name in (target, prediction):
        if name not in current.columns:
            raise DataError(f"column '{name}' is missing from current")
    spec = schema.get(target)
    task = "classification" if spec is not None and spec.kind == "categorical" else "regression"
    section: dict[str, Any] = {"task": task, "target": target, "prediction": prediction}
    if task == "regression":
        for side, frame in (("reference", reference), ("current", current)):
            section[side] = regression_metrics(
                pd.to_numeric(frame[target], errors="coerce").to_numpy(np.float64, na_value=np.nan),
                pd.to_numeric(frame[prediction], errors="coerce").to_numpy(
                    np.float64, na_value=np.nan
                ),
            )
        return section
    labels = sorted(
        {str(v) for v in pd.concat([reference[target], current[target]]).dropna().unique()}
    )
    section["labels"] = labels
    for side, frame in (("reference", reference), ("current", current)):
        section[side] = _classification(frame[target], frame[prediction], labels)
    return section


def _classification(truth: pd.Series, prediction: pd.Series, labels: list[str]) -> dict[str, Any]:
    keep = truth.notna() & prediction.notna()
    y_true = truth[keep].astype(str).to_numpy()
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
    if pd.api.types.is_float_dtype(predicted.dtype):
        predicted = predicted.astype(np.int64)
    return classification_metrics(y_true, predicted.astype(str).to_numpy(), labels=labels)
