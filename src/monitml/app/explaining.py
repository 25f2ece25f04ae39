"""Composition of the explanations: each served version's feature importance, measured once.

The monitor weighs each window's drifted features by the model's permutation importance
(``monitml.explain``). Measuring it needs the model and the labelled reference, so it is done
here, where both are at hand: once per model version, stored as a ``feature_importance``
monitor result and reused by every later monitor, check or report on the same store.

Guaranteed: a version whose model fails on the reference, or a reference without labels,
gives no importance (a warning is logged): the explanation then ranks drift alone. The monitor
service measures a version registered after start-up (``monitml retrain``) once, when it starts
watching it (after the pass that found it registered), from its registered file, so every
window of that version is weighed by it; a file that cannot be loaded counts as a model that
fails on the reference. Not guaranteed: a registered version is tried once per service run
(one that failed is tried again after a restart), and importance is stored by version name, so
a version registered again under its name with another file keeps the first file's importance
(``monitml.explain.stored``); a one-off ``monitml check`` or report measures only the
configured versions.
"""

from __future__ import annotations

import logging
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

from monitml.errors import DataError, ModelError
from monitml.explain import FeatureImportance, PredictFunction, importance_for
from monitml.explain.importance import permutation_importance
from monitml.serving.features import FeatureSchema
from monitml.serving.loaders import Predictor, SklearnPredictor, load_file, make_predictor
from monitml.serving.model import ServedModel, Task
from monitml.store import PredictionStore

__all__ = ["ImportanceMeter", "frame_predict", "version_importances"]

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


@dataclass(frozen=True, slots=True, eq=False)  # it holds a frame: compared by identity
class ImportanceMeter:
    """What measuring one model's version importances takes: the store, the model's features
    and task, and its labelled reference. The monitor service keeps one per model, so that a
    version registered later is measured exactly as the configured ones were."""

    store: PredictionStore
    model: str
    features: FeatureSchema
    task: Task
    reference: pd.DataFrame
    target: str

    @classmethod
    def of(
        cls, store: PredictionStore, served: ServedModel, reference: pd.DataFrame, *, target: str
    ) -> ImportanceMeter:
        # Only the schema is kept, not ``served``: its loaded versions are not needed later.
        return cls(store, served.name, served.features, served.task, reference, target)

    def measure(self, version: str, predictor: Predictor) -> FeatureImportance | None:
        """The version's importance, stored or measured and stored; None without labels, or
        (a warning logged) when the model fails on the reference."""
        if not self._labelled():
            return None
        reference, target = self.reference, self.target
        features = list(self.features.names)
        predict = frame_predict(predictor)

        def measure() -> FeatureImportance:
            return permutation_importance(
                predict, reference, target=target, features=features, task=self.task
            )

        try:
            return importance_for(
                self.store,
                self.model,
                version,
                measure,
                features=features,
                reference_rows=len(reference),
            )
        except (ModelError, DataError) as error:
            self._warn(version, error)
            return None

    def measure_each(self, predictors: Mapping[str, Predictor]) -> dict[str, FeatureImportance]:
        """``measure`` for each version of ``predictors``; those that gave none are left out."""
        found: dict[str, FeatureImportance] = {}
        for version, predictor in predictors.items():
            measured = self.measure(version, predictor)
            if measured is not None:
                found[version] = measured
        return found

    def registered(self, entry: Mapping[str, Any]) -> FeatureImportance | None:
        """The importance of a registered version (a row of ``store.list_versions()``), its file
        loaded as the gateway loads it (``monitml.serving.registered``); None, a warning
        logged, when it cannot be loaded or fails on the reference."""
        if not self._labelled():  # nothing to measure on: not worth loading the file
            return None
        version, path = str(entry["version"]), entry["source"].get("path")
        try:
            if not isinstance(path, str):
                raise ModelError("its source has no 'path'")
            predictor = make_predictor(load_file(Path(path)), self.features, self.task)
        except ModelError as error:
            self._warn(version, error)
            return None
        return self.measure(version, predictor)

    def _labelled(self) -> bool:
        return self.target in self.reference.columns and bool(
            self.reference[self.target].notna().any()
        )

    def _warn(self, version: str, error: Exception) -> None:
        logger.warning(
            "%s/%s: no feature importance, drift is ranked alone: %s", self.model, version, error
        )


def version_importances(
    store: PredictionStore,
    served: ServedModel,
    reference: pd.DataFrame,
    *,
    target: str,
) -> Mapping[str, FeatureImportance]:
    """Each version's importance on the labelled ``reference``: stored, or measured and stored."""
    return ImportanceMeter.of(store, served, reference, target=target).measure_each(served.versions)
