"""Estimate a model's performance on data without labels: the Python API of ``monitml estimate``.

    result = estimate(reference_df, analysis_df, task="binary", target="employed",
                      prediction="y_pred", scores="y_pred_proba", chunk="10000rows")
    result.to_frame(), result.to_json(), result.save_html("estimate.html")

Classifiers go through CBPE, regressors through DLE; both fit on the labelled reference.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

from monitml.errors import DataError
from monitml.estimation.base import Estimator, Frame
from monitml.estimation.cbpe import CBPE
from monitml.estimation.dle import DLE
from monitml.estimation.result import EstimationResult, Task

__all__ = ["TASKS", "estimate", "label_free_estimator", "make_estimator"]

TASKS: tuple[Task, ...] = ("binary", "multiclass", "regression")


def make_estimator(
    *,
    task: str,
    target: str,
    prediction: str,
    scores: str | Sequence[str] | Mapping[Any, str] | None = None,
    features: Sequence[str] | None = None,
    sigmas: float = 3.0,
) -> Estimator:
    """The estimator for ``task``: CBPE for classifiers (scores needed), DLE for regressors."""
    if task not in TASKS:
        raise DataError(f"--task must be one of {', '.join(TASKS)}, got '{task}'")
    if task == "regression":
        return DLE(target=target, prediction=prediction, features=features, sigmas=sigmas)
    if not scores:
        raise DataError("CBPE needs the classifier's scores: give --score (binary) or --scores")
    chosen: Task = "binary" if task == "binary" else "multiclass"
    return CBPE(target=target, prediction=prediction, scores=scores, task=chosen, sigmas=sigmas)


def label_free_estimator(
    frame: Frame,
    *,
    regression: bool,
    target: str,
    prediction: str,
    features: Sequence[str],
    scores_prefix: str = "proba_",
) -> Estimator | None:
    """A monitored model's estimator, not yet fitted: DLE over ``features`` for a regressor,
    CBPE over ``frame``'s ``<scores_prefix><class>`` columns for a classifier (binary or
    multiclass inferred from the classes); ``None`` for a classifier that logs no scores."""
    if regression:
        return DLE(target=target, prediction=prediction, features=list(features))
    scores = {
        str(c).removeprefix(scores_prefix): str(c)
        for c in frame.columns
        if str(c).startswith(scores_prefix)
    }
    if not scores:
        return None
    return CBPE(target=target, prediction=prediction, scores=scores)


def estimate(
    reference: Frame,
    analysis: Frame,
    *,
    task: str,
    target: str,
    prediction: str,
    scores: str | Sequence[str] | Mapping[Any, str] | None = None,
    features: Sequence[str] | None = None,
    chunk: str = "5000rows",
    timestamp: str | None = None,
    sigmas: float = 3.0,
) -> EstimationResult:
    """Fit on ``reference`` (labelled) and estimate ``analysis`` chunk by chunk.

    ``features`` (DLE only) defaults to every column but the target, the prediction and the
    timestamp.
    """
    if features is None and task == "regression":
        features = [
            str(c) for c in reference.columns if str(c) not in {target, prediction, timestamp}
        ]
    estimator = make_estimator(
        task=task,
        target=target,
        prediction=prediction,
        scores=scores,
        features=features,
        sigmas=sigmas,
    )
    return estimator.fit(reference).estimate(analysis, chunk=chunk, timestamp=timestamp)
