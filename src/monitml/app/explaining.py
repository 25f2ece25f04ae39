"""Composition of the explanations: each served version's feature importance, measured once.

The monitor weighs each window's drifted features by the model's permutation importance
(``monitml.explain``). Measuring it needs the model and the labelled reference, so it is done
here, where both are at hand: once per model version, stored as a ``feature_importance``
monitor result and reused by every later monitor, check or report on the same store.

Guaranteed: a version whose model fails on the reference, or a reference without labels,
gives no importance (a warning is logged): the explanation then ranks drift alone. Not
guaranteed: versions registered after start-up (``monitml retrain``) get an importance only
when a monitor is built again.
"""

from __future__ import annotations

import logging
from collections.abc import Mapping
from typing import Any

import numpy as np
import pandas as pd

from monitml.errors import DataError, ModelError
from monitml.explain import FeatureImportance, PredictFunction, importance_for
from monitml.explain.importance import permutation_importance
from monitml.serving.loaders import Predictor, SklearnPredictor
from monitml.serving.model import ServedModel
from monitml.store import PredictionStore

__all__ = ["frame_predict", "version_importances"]

logger = logging.getLogger(__name__)


def frame_predict(predictor: Predictor) -> PredictFunction:
    """A version's predictions for a frame: straight from the model object when it has
    ``predict`` (no row dictionaries: permutation importance predicts thousands of rows per
    feature), through the gateway's own path otherwise (ONNX)."""
    if isinstance(predictor, SklearnPredictor):
        model, columns = predictor.model, predictor.columns

        def direct(frame: pd.DataFrame) -> Any:
            try:
                return np.asarray(model.predict(frame[columns]))
            except Exception as error:  # the user's model: any failure is a model error
                raise ModelError(f"{type(error).__name__}: {error}") from error

        return direct

    def rows(frame: pd.DataFrame) -> Any:
        cleaned = frame.astype(object).where(frame.notna(), None)
        records = [
            {str(k): (v.item() if isinstance(v, np.generic) else v) for k, v in row.items()}
            for row in cleaned.to_dict(orient="records")
        ]
        values: list[Any] = predictor.predict(records).values
        return np.asarray(values)

    return rows


def version_importances(
    store: PredictionStore,
    served: ServedModel,
    reference: pd.DataFrame,
    *,
    target: str,
) -> Mapping[str, FeatureImportance]:
    """Each version's importance on the labelled ``reference``: stored, or measured and stored."""
    if target not in reference.columns or not reference[target].notna().any():
        return {}
    features = list(served.features.names)
    found: dict[str, FeatureImportance] = {}
    for version, predictor in served.versions.items():
        predict = frame_predict(predictor)

        def measure(predict: PredictFunction = predict) -> FeatureImportance:
            return permutation_importance(
                predict, reference, target=target, features=features, task=served.task
            )

        try:
            found[version] = importance_for(
                store,
                served.name,
                version,
                measure,
                features=features,
                reference_rows=len(reference),
            )
        except (ModelError, DataError) as error:
            logger.warning(
                "%s/%s: no feature importance, drift is ranked alone: %s",
                served.name,
                version,
                error,
            )
    return found
