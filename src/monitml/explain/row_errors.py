"""Each row's error, realised from its label or estimated without it.

Realised: the absolute error ``|label - prediction|`` of a regressor, ``1`` for a wrong class
and ``0`` for a right one of a classifier (NaN where the label has not arrived).
Estimated, from the monitor's fitted label-free estimator: DLE's expected absolute error of the
row; for CBPE the chance that the predicted class is wrong, ``1 - P(predicted class)`` from the
calibrated scores. A segment's mean of either is its MAE or its error rate (1 - accuracy).

Guaranteed: the estimate of a row is the one the estimator's own chunk estimate averages (the
same fitted models, the same prepared arrays). Not guaranteed: an estimate covers covariate
shift only, not a change of the relation between features and target (a label shift in one
segment is invisible to it).
"""

from __future__ import annotations

import math
from collections.abc import Callable
from typing import Any

import numpy as np
import pandas as pd
from numpy.typing import NDArray

from monitml.errors import MonitmlError
from monitml.estimation import CBPE, DLE, Estimator

__all__ = ["RowErrors", "estimated_row_errors", "realised_row_errors"]

RowErrors = Callable[[pd.DataFrame], NDArray[np.float64]]
"""The estimated error of each row of a frame (NaN where it cannot be estimated)."""

Floats = NDArray[np.float64]


def _floats(series: pd.Series) -> Floats:
    return pd.to_numeric(series, errors="coerce").to_numpy(np.float64, na_value=np.nan)


def _key(value: Any) -> str:
    if isinstance(value, float) and math.isfinite(value) and value.is_integer():
        return str(int(value))
    return str(value)


def realised_row_errors(
    frame: pd.DataFrame, task: str, *, label: str = "label", prediction: str = "prediction"
) -> Floats:
    """Each row's realised error (NaN without a label)."""
    if label not in frame.columns or prediction not in frame.columns:
        return np.full(len(frame), np.nan)
    truth = frame[label]
    if task == "regression":
        return np.asarray(np.abs(_floats(truth) - _floats(frame[prediction])), dtype=np.float64)
    known = truth.notna().to_numpy()
    errors = np.full(len(frame), np.nan)
    if known.any():
        wrong = truth[known].map(_key).to_numpy() != frame[prediction][known].map(_key).to_numpy()
        errors[known] = wrong.astype(np.float64)
    return errors


# DLE: the error model of the absolute error on the estimator's own encoded inputs (the squared
# one is not needed: a segment's error is its MAE). CBPE: the calibrated arrays the estimator
# prepares for its chunk estimates (``_prepare``). So a row's estimate is the one those
# estimates average; tests/explain/test_row_errors.py checks it against the estimates.


def _dle_errors(estimator: DLE) -> RowErrors:
    def rows(frame: pd.DataFrame) -> Floats:
        inputs = estimator.encoder_.matrix(frame, side="analysis")
        predicted = np.asarray(estimator.absolute_model_.predict(inputs), dtype=np.float64)
        return np.clip(predicted, 0.0, None)

    return rows


def _cbpe_errors(estimator: CBPE) -> RowErrors:
    def rows(frame: pd.DataFrame) -> Floats:
        data = estimator._prepare(frame)
        probabilities = np.asarray(data.probabilities, dtype=np.float64)
        predicted = np.asarray(data.predicted, dtype=np.intp)
        if probabilities.shape[1] == 1:  # binary: the positive class's chance
            right = np.where(predicted == 1, probabilities[:, 0], 1.0 - probabilities[:, 0])
        else:
            right = probabilities[np.arange(len(frame)), predicted]
        return np.asarray(1.0 - right, dtype=np.float64)

    return rows


def estimated_row_errors(estimator: Estimator | None) -> RowErrors | None:
    """The per-row error estimate of a fitted DLE or CBPE; None for anything else."""
    if isinstance(estimator, DLE) and hasattr(estimator, "encoder_"):
        return _guarded(_dle_errors(estimator))
    if isinstance(estimator, CBPE) and hasattr(estimator, "calibrators_"):
        return _guarded(_cbpe_errors(estimator))
    return None


def _guarded(rows: RowErrors) -> RowErrors:
    """A frame it cannot score (a missing score column, a bad type) gives NaN, not an error:
    the explanation then goes without estimated errors, as the monitor's estimate does."""

    def safe(frame: pd.DataFrame) -> Floats:
        if frame.empty:
            return np.empty(0)
        try:
            return rows(frame)
        except (MonitmlError, KeyError, ValueError, TypeError):
            return np.full(len(frame), np.nan)

    return safe
