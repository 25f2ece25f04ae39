"""Score windows of logged predictions against a model's reference.

One ``ModelMonitor`` per model: the reference is summarised and the thresholds learned once;
each window is then a cheap comparison (sorting a window and merging it with the sorted
reference per feature). A reference of more than ``BOUNDED_REFERENCE_ROWS`` rows is kept as
a mergeable summary per numerical column (tens of KB whatever its length), not as its values.
"""

from __future__ import annotations

import logging
import time
from collections.abc import Mapping, Sequence
from typing import Any

import numpy as np
import pandas as pd

from monitml.analysis import Comparator, DriftReport
from monitml.errors import ConfigError, MonitmlError
from monitml.estimation import Estimator, label_free_estimator
from monitml.estimation.multivariate import (
    DomainClassifier,
    MultivariateResult,
    PCAReconstruction,
)
from monitml.explain import Explainer, Explanation, FeatureImportance, drift_columns
from monitml.explain.row_errors import estimated_row_errors
from monitml.monitor.policy import MonitorPolicy
from monitml.monitor.result import WindowResult
from monitml.monitor.streaming.feeder import StreamingPolicy, StreamMonitor
from monitml.schema import ColumnMapping, infer_schema
from monitml.stats.catalog import get_method
from monitml.stats.thresholds import spread_threshold

__all__ = ["BOUNDED_REFERENCE_ROWS", "LABEL", "PREDICTION", "ModelMonitor"]

logger = logging.getLogger(__name__)

PREDICTION = "prediction"
# Enough reference chunks to estimate the spread; more only costs start-up time.
MAX_THRESHOLD_CHUNKS = 30
LABEL = "label"
# Past this many rows the monitor keeps a summary of the reference, not the reference itself.
BOUNDED_REFERENCE_ROWS = 100_000
# The label-free estimator (DLE's error models) learns from at most this many reference rows.
ESTIMATOR_ROWS = 50_000
PROBA_PREFIX = "proba_"  # the log's class-probability columns (monitml.store.frames)


class ModelMonitor:
    """Drift, quality, prediction statistics and performance of one model's windows.

    ``reference`` holds the feature columns, the prediction (column ``prediction``) and the
    label under its configured ``target`` name; extra columns are ignored but for ``segments``
    (the columns whose performance per segment each window reports). ``importance`` is each
    version's feature importance (``monitml.explain``): it weighs the drift of the features in
    each window's explanation.
    """

    def __init__(
        self,
        model: str,
        reference: pd.DataFrame,
        *,
        features: Sequence[str],
        numerical: Sequence[str] = (),
        categorical: Sequence[str] = (),
        target: str | None = None,
        task: str = "regression",
        policy: MonitorPolicy | None = None,
        streaming: StreamingPolicy | None = None,
        segments: Sequence[str] = (),
        importance: Mapping[str, FeatureImportance] | None = None,
    ) -> None:
        self.model = model
        self.policy = policy or MonitorPolicy()
        self.task = task
        self.features = list(features)
        missing = [name for name in self.features if name not in reference.columns]
        if missing:
            raise ConfigError(
                f"models.{model}.reference: missing feature column(s) {', '.join(missing)}"
            )
        frame = reference.copy()
        if target is not None and target in frame.columns:
            frame = frame.rename(columns={target: LABEL})
        kept = [*self.features, *(c for c in (PREDICTION, LABEL) if c in frame.columns)]
        frame = frame[kept]
        # A window carries the log's bookkeeping (record_id, timestamp, probabilities…): only
        # the reference's columns are compared, or each would be reported as "only in current".
        self.compared = [*self.features, PREDICTION, LABEL]
        has_label = LABEL in frame.columns
        has_prediction = PREDICTION in frame.columns
        self.alpha = self.policy.feature_alpha(len(self.features))
        mapping = ColumnMapping(
            numerical=[c for c in numerical if c in self.features],
            categorical=[c for c in categorical if c in self.features]
            + ([LABEL] if has_label and task == "classification" else [])
            + ([PREDICTION] if has_prediction and task == "classification" else []),
            target=LABEL if has_label else None,
            prediction=PREDICTION if has_prediction else None,
        )
        # Each column gets the configured method when it fits its kind, else the default
        # rule; tests run at the corrected α, distances at thresholds learned from the
        # reference's own spread.
        column_methods: dict[str, str] = {}
        column_thresholds: dict[str, float] = {}
        for column in infer_schema(frame, mapping).columns:
            method = get_method(self.policy.method)
            key = method.key if column.kind in method.kinds else "auto"
            column_methods[column.name] = key
            if get_method(key).is_test:
                column_thresholds[column.name] = self.alpha
        distance_columns = [n for n in column_methods if n not in column_thresholds]
        if distance_columns:
            learned = self._learn_thresholds(frame, mapping, column_methods, distance_columns)
            column_thresholds.update(learned)
        self.comparator = Comparator(
            frame,
            mapping=mapping,
            column_methods=column_methods,
            column_thresholds=column_thresholds,
            share_threshold=self.policy.share_threshold,
            bounded_reference_rows=BOUNDED_REFERENCE_ROWS,
        )
        self.reference_rows = len(frame)
        # Streaming detectors (river) only when asked for: calibrating them takes seconds.
        self.streams = (
            StreamMonitor(frame, task=task, policy=streaming) if streaming is not None else None
        )
        labelled = reference if target is None else reference.rename(columns={target: LABEL})
        self.estimator = _label_free_estimator(labelled, self.features, task)
        self.explainer = Explainer(
            labelled,
            features=self.features,
            task=task,
            numerical=numerical,
            categorical=categorical,
            segments=segments,
            row_errors=estimated_row_errors(self.estimator),
            model=model,
        )
        self.importance = dict(importance or {})
        # The newest online window's one-line explanation per version (alert annotations).
        self.explanations: dict[str, str] = {}
        self.multivariate = (
            _multivariate_detectors(reference, model, self.features)
            if self.policy.multivariate
            else {}
        )

    def _learn_thresholds(
        self,
        frame: pd.DataFrame,
        mapping: ColumnMapping,
        column_methods: dict[str, str],
        columns: list[str],
    ) -> dict[str, float]:
        """Distance thresholds from the statistic's spread over reference chunks.

        Columns with too few chunks keep the method's default threshold.
        """
        chunk = self.policy.window_rows or max(self.policy.min_rows, 1_000)
        chunks = min(len(frame) // chunk, MAX_THRESHOLD_CHUNKS)
        if chunks < 2:
            return {}
        statistics: dict[str, list[float]] = {}
        for index in range(chunks):
            # Each chunk against the reference without it: a chunk scored against a
            # reference that contains it looks closer than any real window will.
            inside = np.zeros(len(frame), dtype=bool)
            inside[index * chunk : (index + 1) * chunk] = True
            rest = Comparator(frame[~inside], mapping=mapping, column_methods=column_methods)
            for name, column in rest.compare(frame[inside]).columns.items():
                if name in columns and column.result.statistic is not None:
                    statistics.setdefault(name, []).append(column.result.statistic)
        learned = {
            name: spread_threshold(values, self.alpha) for name, values in statistics.items()
        }
        return {name: value for name, value in learned.items() if value is not None}

    def evaluate(
        self,
        window: pd.DataFrame,
        version: str,
        *,
        window_start: float | None = None,
        window_end: float | None = None,
        stream: bool = False,
    ) -> WindowResult:
        """Score one window of logged rows of one version.

        With ``stream``, the window's rows not seen by an earlier call also feed the streaming
        detectors (the online monitor's passes; never a batch over chunks).
        """
        started = time.perf_counter()
        rows = len(window)
        stats = prediction_statistics(window, self.task)
        labelled = int(window[LABEL].notna().sum()) if LABEL in window.columns else 0
        report = None
        if rows >= self.policy.min_rows:
            report = self.comparator.compare(
                window[[c for c in self.compared if c in window.columns]],
                sources={
                    "reference": {"source": f"{self.model} reference"},
                    "current": {"source": f"{self.model}/{version} window"},
                },
            )
        estimated, bands = self._estimate(window) if report is not None else ({}, {})
        explanation = self._explain(window, version, report) if report is not None else None
        if stream:
            self.explanations[version] = explanation.summary if explanation is not None else ""
        return WindowResult(
            model=self.model,
            version=version,
            run_at=time.time(),
            window_start=window_start,
            window_end=window_end,
            rows=rows,
            min_rows=self.policy.min_rows,
            labelled_rows=labelled,
            prediction=stats,
            streams=self.streams.feed(window, version) if stream and self.streams else (),
            report=report,
            compute_seconds=time.perf_counter() - started,
            estimated=estimated,
            estimated_bands=bands,
            multivariate=self._multivariate(window) if report is not None else {},
            explanation=explanation,
        )

    def _explain(
        self, window: pd.DataFrame, version: str, report: DriftReport
    ) -> Explanation | None:
        """Why the window drifted and where (``monitml.explain``); None when it cannot say."""
        try:
            return self.explainer.explain(
                window, drift_columns(report), importance=self.importance.get(version)
            )
        except MonitmlError as error:
            logger.warning("%s/%s: no explanation for the window: %s", self.model, version, error)
            return None

    def _estimate(
        self, window: pd.DataFrame
    ) -> tuple[dict[str, float], dict[str, tuple[float, float]]]:
        """The window's performance estimated without its labels, and each estimate's
        sampling-error band (lower, upper); empty when it cannot be estimated."""
        if self.estimator is None:
            return {}, {}
        try:
            chunk = self.estimator.estimate(window, chunk=f"{len(window)}rows").chunks[0]
        except MonitmlError:  # e.g. a window without the score columns
            return {}, {}
        return chunk.estimates()

    def _multivariate(self, window: pd.DataFrame) -> dict[str, MultivariateResult]:
        """Each fitted multivariate detector's verdict on the window's features."""
        results: dict[str, MultivariateResult] = {}
        for name, detector in self.multivariate.items():
            try:
                results[name] = detector.score(window[self.features])
            except (MonitmlError, KeyError):  # too few rows for its folds, a missing feature
                continue
        return results


def prediction_statistics(window: pd.DataFrame, task: str) -> dict[str, Any]:
    """Count, mean, min, max and quantiles of the predictions (class shares for classifiers)."""
    if PREDICTION not in window.columns or window.empty:
        return {"count": 0}
    predictions = window[PREDICTION].dropna()
    if task == "classification":
        shares = predictions.astype(str).value_counts(normalize=True)
        return {"count": int(predictions.size), "class_shares": shares.to_dict()}
    values = pd.to_numeric(predictions, errors="coerce").dropna().to_numpy(np.float64)
    if values.size == 0:
        return {"count": 0}
    p05, p50, p95 = np.quantile(values, [0.05, 0.5, 0.95])
    return {
        "count": int(values.size),
        "mean": float(values.mean()),
        "min": float(values.min()),
        "max": float(values.max()),
        "p05": float(p05),
        "p50": float(p50),
        "p95": float(p95),
    }


def _multivariate_detectors(
    reference: pd.DataFrame, model: str, features: Sequence[str]
) -> dict[str, PCAReconstruction | DomainClassifier]:
    """PCA reconstruction and the domain classifier, fitted on the reference's features.

    At most ``ESTIMATOR_ROWS`` reference rows: the classifier subsamples to that anyway.
    """
    frame = reference[list(features)]
    if len(frame) > ESTIMATOR_ROWS:
        frame = frame.sample(ESTIMATOR_ROWS, random_state=0)
    try:
        return {
            "pca": PCAReconstruction().fit(frame),
            "classifier": DomainClassifier().fit(frame),
        }
    except MonitmlError as error:
        raise ConfigError(f"monitor.multivariate: models.{model}: {error}") from error


def _label_free_estimator(
    reference: pd.DataFrame, features: Sequence[str], task: str
) -> Estimator | None:
    """DLE for a regressor, CBPE for a classifier whose reference has ``proba_<class>`` columns.

    Fitted on the labelled reference (at most ``ESTIMATOR_ROWS`` rows); ``None`` when it cannot
    be: no labels or predictions in the reference, no class scores, or the fit fails.
    """
    if LABEL not in reference.columns or PREDICTION not in reference.columns:
        return None
    frame = reference[reference[LABEL].notna()]
    if len(frame) > ESTIMATOR_ROWS:
        frame = frame.sample(ESTIMATOR_ROWS, random_state=0)
    estimator = label_free_estimator(
        frame,
        regression=task == "regression",
        target=LABEL,
        prediction=PREDICTION,
        features=features,
        scores_prefix=PROBA_PREFIX,
    )
    if estimator is None:
        return None
    try:
        return estimator.fit(frame)
    except MonitmlError:
        return None
