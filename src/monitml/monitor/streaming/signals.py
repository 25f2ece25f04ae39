"""Per-event signals the streaming detectors watch, learned from the reference.

* ``error`` — 1 when a labelled prediction was wrong, else 0. A classifier is wrong when the
  predicted class differs from the label; a regressor when its absolute error exceeds the
  reference's 90th percentile absolute error (so the reference's error rate is 10%). It
  needs a reference with both predictions and labels.
* ``prediction`` — the prediction standardised against the reference's predictions,
  ``(prediction − mean) / std``. It needs numerical predictions that are not all equal.

>>> import pandas as pd
>>> reference = pd.DataFrame({"prediction": [1.0, 2.0, 3.0, 4.0], "label": [1.0, 2.0, 3.0, 8.0]})
>>> signals = SignalMaker("regression").fit(reference)
>>> signals.available
('error', 'prediction')
>>> signals.error(pd.DataFrame({"prediction": [1.0, 1.0], "label": [1.5, 9.0]})).tolist()
[0.0, 1.0]
"""

from __future__ import annotations

import numpy as np
import pandas as pd

__all__ = ["ERROR", "LABEL", "MISS_QUANTILE", "PREDICTION", "SIGNALS", "SignalMaker"]

ERROR = "error"
PREDICTION = "prediction"
SIGNALS = (ERROR, PREDICTION)
LABEL = "label"
# A regressor's miss: an absolute error beyond this quantile of the reference's.
MISS_QUANTILE = 0.9


def _numbers(values: pd.Series) -> np.ndarray:
    return pd.to_numeric(values, errors="coerce").to_numpy(np.float64)


class SignalMaker:
    """Turns rows (``prediction``, ``label``) into signal values; NaN where there is none."""

    def __init__(self, task: str) -> None:
        self.task = task

    def fit(self, reference: pd.DataFrame) -> SignalMaker:
        """Learn the prediction's mean and std, and a regressor's miss threshold."""
        available: list[str] = []
        self.miss_threshold_: float | None = None
        self.mean_: float | None = None
        self.std_: float | None = None
        if PREDICTION in reference.columns:
            predictions = reference[PREDICTION].dropna()
            numbers = _numbers(predictions)
            if numbers.size and not np.isnan(numbers).any() and numbers.std() > 0:
                self.mean_, self.std_ = float(numbers.mean()), float(numbers.std())
            if LABEL in reference.columns and self.task == "regression":
                errors = np.abs(_numbers(reference[LABEL]) - _numbers(reference[PREDICTION]))
                errors = errors[~np.isnan(errors)]
                if errors.size:
                    self.miss_threshold_ = float(np.quantile(errors, MISS_QUANTILE))
            if LABEL in reference.columns and (
                self.task != "regression" or self.miss_threshold_ is not None
            ):
                available.append(ERROR)
            if self.mean_ is not None:
                available.append(PREDICTION)
        self.available = tuple(available)
        return self

    def error(self, rows: pd.DataFrame) -> np.ndarray:
        """1.0 for a wrong labelled prediction, 0.0 for a right one, NaN without a label."""
        if LABEL not in rows.columns or PREDICTION not in rows.columns:
            return np.full(len(rows), np.nan)
        labelled = rows[LABEL].notna().to_numpy() & rows[PREDICTION].notna().to_numpy()
        if self.task == "regression":
            threshold = self.miss_threshold_ if self.miss_threshold_ is not None else np.inf
            gap = np.abs(_numbers(rows[LABEL]) - _numbers(rows[PREDICTION]))
            wrong = gap > threshold
            labelled &= ~np.isnan(gap)
        else:
            wrong = (rows[LABEL].map(_class) != rows[PREDICTION].map(_class)).to_numpy()
        return np.where(labelled, wrong.astype(np.float64), np.nan)

    def prediction(self, rows: pd.DataFrame) -> np.ndarray:
        """The standardised prediction; NaN where it is missing or not a number."""
        if self.mean_ is None or self.std_ is None or PREDICTION not in rows.columns:
            return np.full(len(rows), np.nan)
        return (_numbers(rows[PREDICTION]) - self.mean_) / self.std_

    def values(self, signal: str, rows: pd.DataFrame) -> np.ndarray:
        return self.error(rows) if signal == ERROR else self.prediction(rows)


def _class(value: object) -> str:
    """A class as text: the label 1 and the prediction 1.0 (JSON round trips) are one class."""
    if isinstance(value, float) and value.is_integer():
        return str(int(value))
    return str(value)
