"""Label-free performance of two versions on the same requests: DLE, CBPE for classifiers.

Each version gets its own estimator, fitted once (per driver process) on the labelled reference
with that version's own predictions of it, the way the monitor fits the champion's. Not
guaranteed: an estimate assumes the reference's relation between inputs and error still holds
(no concept shift); that is why realised performance, where labels have arrived, comes first.
"""

from __future__ import annotations

import logging
from collections.abc import Sequence
from typing import Any

import numpy as np
import pandas as pd

from monitml.errors import MonitmlError
from monitml.estimation import Estimator, label_free_estimator
from monitml.serving.loaders import Predictions, Predictor

__all__ = ["LabelFreeEstimates", "frame_of"]

logger = logging.getLogger(__name__)

LABEL, PREDICTION, PROBA_PREFIX = "label", "prediction", "proba_"
_REFERENCE_ROWS = 20_000  # DLE's error models learn from at most this many reference rows


def records(frame: pd.DataFrame) -> list[dict[str, Any]]:
    """Rows as the gateway gives them to a model: plain Python values, None for missing."""
    cleaned = frame.astype(object).where(frame.notna(), None)
    return [
        {str(k): (v.item() if isinstance(v, np.generic) else v) for k, v in row.items()}
        for row in cleaned.to_dict(orient="records")
    ]


def frame_of(features: pd.DataFrame, answer: Predictions) -> pd.DataFrame:
    """``features`` with the ``prediction`` and ``proba_<class>`` columns of one answer."""
    frame = features.reset_index(drop=True).assign(**{PREDICTION: answer.values})
    if answer.probabilities is not None:
        scores = pd.DataFrame(answer.probabilities).add_prefix(PROBA_PREFIX)
        frame = pd.concat([frame, scores], axis=1)
    return frame


class LabelFreeEstimates:
    """``estimate(version, predictor, frame)``: the version's estimated metric on ``frame``."""

    def __init__(
        self, reference: pd.DataFrame | None, *, features: Sequence[str], target: str | None,
        task: str,
    ) -> None:  # fmt: skip
        self.features = list(features)
        self.task = task
        self.reference: pd.DataFrame | None = None
        if reference is not None and target is not None and target in reference.columns:
            labelled = reference[reference[target].notna()]
            if len(labelled) > _REFERENCE_ROWS:
                labelled = labelled.sample(_REFERENCE_ROWS, random_state=0)
            self.reference = labelled.reset_index(drop=True).rename(columns={target: LABEL})
        self._fitted: dict[str, Estimator | None] = {}

    @property
    def metric(self) -> str:
        return "mae" if self.task == "regression" else "accuracy"

    def _fit(self, predictor: Predictor) -> Estimator | None:
        if self.reference is None:
            return None
        features = self.reference[self.features]
        try:
            frame = frame_of(features, predictor.predict(records(features)))
            frame[LABEL] = self.reference[LABEL].to_numpy()
            estimator = label_free_estimator(
                frame,
                regression=self.task == "regression",
                target=LABEL,
                prediction=PREDICTION,
                features=self.features,
                scores_prefix=PROBA_PREFIX,
            )
            if estimator is None:
                return None
            return estimator.fit(frame)
        except MonitmlError as error:
            logger.warning("promotion: cannot fit a label-free estimator: %s", error)
            return None

    def estimate(self, version: str, predictor: Predictor, frame: pd.DataFrame) -> float | None:
        """``version``'s metric estimated on ``frame`` (holding its predictions); None: unknown."""
        if version not in self._fitted:
            self._fitted[version] = self._fit(predictor)
        estimator = self._fitted[version]
        if estimator is None or frame.empty:
            return None
        try:
            chunk = estimator.estimate(frame, chunk=f"{len(frame)}rows").chunks[0]
        except MonitmlError as error:
            logger.warning("promotion: cannot estimate %s: %s", version, error)
            return None
        metric = chunk.metrics.get(self.metric)
        if metric is None or not np.isfinite(metric.estimated):
            return None
        return float(metric.estimated)
