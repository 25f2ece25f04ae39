"""The result of one monitor run over one window of one model version."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

import numpy as np

from monitml.analysis import DriftReport
from monitml.estimation.multivariate import MultivariateResult
from monitml.explain import Explanation
from monitml.monitor.streaming.feeder import StreamUpdate

__all__ = ["WindowResult"]

Labels = dict[str, str]

# Performance metrics exported as gauges and usable in alert expressions.
PERFORMANCE_METRICS = (
    "me", "mae", "rmse", "mape", "r2",
    "accuracy", "precision", "recall", "f1", "roc_auc", "log_loss",
)  # fmt: skip
# Performance estimated without labels (CBPE, DLE): ``estimated_<metric>`` in alert expressions.
ESTIMATED_METRICS = (
    "mae", "rmse", "accuracy", "precision", "recall", "f1", "specificity", "roc_auc",
)  # fmt: skip


@dataclass(frozen=True, slots=True)
class WindowResult:
    """What one window showed; ``report`` is None when the window had too few rows."""

    model: str
    version: str
    run_at: float
    window_start: float | None
    window_end: float | None
    rows: int
    min_rows: int
    labelled_rows: int
    prediction: dict[str, Any]
    report: DriftReport | None
    compute_seconds: float
    # The streaming detectors' updates on this pass's new events (monitor.streaming).
    streams: tuple[StreamUpdate, ...] = ()
    estimated: dict[str, float] = field(default_factory=dict)
    # Each estimate's sampling-error band, (lower, upper), by metric.
    estimated_bands: dict[str, tuple[float, float]] = field(default_factory=dict)
    # PCA reconstruction and domain-classifier drift, by method (monitor.multivariate).
    multivariate: dict[str, MultivariateResult] = field(default_factory=dict)
    # Features by impact, segments that moved, performance per segment (monitml.explain).
    explanation: Explanation | None = None

    @property
    def sufficient(self) -> bool:
        """Enough rows to judge drift; an insufficient window is not "no drift"."""
        return self.report is not None

    @property
    def status(self) -> str:
        return "ok" if self.sufficient else "insufficient_data"

    def feature_results(self) -> dict[str, Any]:
        if self.report is None:
            return {}
        return {c.name: c for c in self.report.columns.values() if c.role == "feature"}

    def performance(self) -> dict[str, float]:
        """Current-window performance on the rows whose labels have arrived."""
        section = self.report.performance if self.report is not None else None
        if not section or not self.labelled_rows:
            return {}
        current = section.get("current") or {}
        return {
            name: float(current[name])
            for name in PERFORMANCE_METRICS
            if isinstance(current.get(name), int | float)
        }

    def metrics(self) -> list[tuple[str, Labels, float]]:
        """Every signal of this window as (name, labels, value), for gauges and alert rules."""
        base: Labels = {"model": self.model, "version": self.version}
        samples: list[tuple[str, Labels, float]] = [("window_rows", base, float(self.rows))]
        samples.append(("window_sufficient", base, 1.0 if self.sufficient else 0.0))
        for stat in ("count", "mean", "min", "max", "p05", "p50", "p95"):
            value = self.prediction.get(stat)
            if isinstance(value, int | float) and (stat == "count" or self.prediction["count"]):
                samples.append((f"prediction_{stat}", base, float(value)))
        for update in self.streams:
            stream = {**base, "signal": update.signal, "detector": update.detector}
            samples.append(("stream_drift_detected", stream, float(update.result.drift_detected)))
            samples.append(("stream_drift_total", stream, float(update.total_detections)))
        if self.report is None:
            return samples
        report = self.report
        samples.append(("dataset_drift", base, 1.0 if report.dataset_drift else 0.0))
        samples.append(("drifted_features_ratio", base, report.drift_share))
        samples.append(("drifted_features", base, float(report.drifted_columns)))
        for name, column in report.columns.items():
            result = column.result
            quality = report.quality["columns"].get(name, {})
            missing = (quality.get("current") or {}).get("missing_share")
            labels = {**base, "feature": name}
            if column.role == "prediction":
                if result.statistic is not None:
                    samples.append(
                        (
                            "prediction_drift_score",
                            {**base, "method": result.method},
                            result.statistic,
                        )
                    )
                samples.append(("prediction_drift_detected", base, float(result.drift_detected)))
                continue
            if column.role != "feature":
                continue
            if result.statistic is not None:
                score_labels = {**labels, "method": result.method}
                samples.append(("feature_drift_score", score_labels, float(result.statistic)))
            samples.append(("feature_drift_detected", labels, float(result.drift_detected)))
            if isinstance(missing, int | float):
                samples.append(("missing_values_ratio", labels, float(missing)))
        for method, outcome in self.multivariate.items():
            labels = {**base, "method": method}
            if np.isfinite(outcome.statistic):
                samples.append(("multivariate_drift_score", labels, float(outcome.statistic)))
            samples.append(("multivariate_drift_detected", labels, float(outcome.drift_detected)))
        for metric, value in self.performance().items():
            samples.append((metric, base, value))
        for metric, value in self.estimated.items():
            samples.append((f"estimated_{metric}", base, value))
        return samples

    def _drift(self) -> dict[str, Any] | None:
        """The drift payload; ``multivariate.{pca,classifier}`` when those methods ran."""
        if self.report is None:
            return None
        payload = self.report.to_dict()
        if self.multivariate:
            payload["multivariate"] = {
                name: outcome.to_dict() for name, outcome in self.multivariate.items()
            }
        return payload

    def to_dict(self) -> dict[str, Any]:
        """JSON-ready: the drift payload has the same per-column shape as ``monitml drift``."""
        return {
            "model": self.model,
            "version": self.version,
            "run_at": self.run_at,
            "window_start": self.window_start,
            "window_end": self.window_end,
            "rows": self.rows,
            "labelled_rows": self.labelled_rows,
            "status": self.status,
            "min_rows": self.min_rows,
            "prediction": self.prediction,
            "performance": self.performance(),
            "estimated_performance": self.estimated,
            "estimated_bands": {
                name: {"lower": lower, "upper": upper}
                for name, (lower, upper) in self.estimated_bands.items()
            },
            "drift": self._drift(),
            "compute_seconds": self.compute_seconds,
            "streams": [update.to_dict() for update in self.streams],
            "explanation": self.explanation.to_dict() if self.explanation is not None else None,
        }
