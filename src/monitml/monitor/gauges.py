"""Monitor results as Prometheus gauges, with the metric names of the design.

A series that a window no longer supports (too few rows, a version routed to 0%) is
removed rather than left at its last value, so Prometheus sees it absent and alerts resolve.
"""

from __future__ import annotations

from prometheus_client import CollectorRegistry, Counter, Gauge

from monitml.monitor.result import ESTIMATED_METRICS, PERFORMANCE_METRICS, WindowResult

__all__ = ["MonitorGauges"]

_PREDICTION_STATS = {
    f"prediction_{s}": s for s in ("count", "mean", "min", "max", "p05", "p50", "p95")
}


class MonitorGauges:
    """The monitor's gauges on one registry."""

    def __init__(self, registry: CollectorRegistry) -> None:
        version = ["model", "version"]
        feature = [*version, "feature"]

        definitions: list[tuple[str, str, str, list[str]]] = [
            ("feature_drift_score", "monitml_feature_drift_score",
             "Drift statistic of a feature in the last window.", [*feature, "method"]),
            ("feature_drift_detected", "monitml_feature_drift_detected",
             "1 when the feature drifted in the last window.", feature),
            ("dataset_drift", "monitml_dataset_drift",
             "1 when the share of drifted features reached the threshold.", version),
            ("drifted_features_ratio", "monitml_drifted_features_ratio",
             "Share of features that drifted in the last window.", version),
            ("missing_values_ratio", "monitml_missing_values_ratio",
             "Share of missing values of a feature in the last window.", feature),
            ("performance", "monitml_model_performance",
             "Performance on the labelled rows of the last window.", [*version, "metric"]),
            ("estimated", "monitml_estimated_performance",
             "Performance of the last window estimated without labels (CBPE, DLE).",
             [*version, "metric"]),
            ("prediction", "monitml_prediction_window_stat",
             "Statistic of the predictions in the last window.", [*version, "stat"]),
            ("prediction_drift_score", "monitml_prediction_drift_score",
             "Drift statistic of the predictions in the last window.", [*version, "method"]),
            ("window_rows", "monitml_monitor_window_rows", "Rows in the last window.", version),
            ("window_sufficient", "monitml_monitor_window_sufficient",
             "1 when the last window had enough rows to judge drift.", version),
            ("multivariate_drift_score", "monitml_multivariate_drift_score",
             "Multivariate drift statistic of the last window (pca: reconstruction error, "
             "classifier: domain AUC).", [*version, "method"]),
            ("multivariate_drift_detected", "monitml_multivariate_drift_detected",
             "1 when a multivariate method found drift in the last window.",
             [*version, "method"]),
            ("stream_drift_detected", "monitml_stream_drift_detected",
             "1 when a streaming detector found drift in the last pass's new events.",
             [*version, "signal", "detector"]),
        ]  # fmt: skip
        self._gauges = {
            key: Gauge(name, doc, labels, registry=registry)
            for key, name, doc, labels in definitions
        }
        self._last_run = Gauge(
            "monitml_monitor_last_run_timestamp_seconds",
            "Unix time of the monitor's last run for a model.",
            ["model"],
            registry=registry,
        )
        self._compute = Gauge(
            "monitml_monitor_compute_seconds",
            "Compute time of the last monitor run of a model version.",
            version,
            registry=registry,
        )
        self._stream_total = Counter(
            "monitml_stream_drift_total",
            "Drifts found by a streaming detector since the monitor started.",
            [*version, "signal", "detector"],
            registry=registry,
        )
        self._series: dict[tuple[str, str], set[tuple[str, tuple[str, ...]]]] = {}

    def update(self, result: WindowResult) -> None:
        """Set every gauge a window supports and remove the ones it no longer does."""
        current: set[tuple[str, tuple[str, ...]]] = set()
        for name, labels, value in result.metrics():
            key, values = self._route(name, labels)
            if key is None:
                continue
            self._gauges[key].labels(*values).set(value)
            current.add((key, values))
        owner = (result.model, result.version)
        for key, values in self._series.get(owner, set()) - current:
            self._gauges[key].remove(*values)
        self._series[owner] = current
        self._last_run.labels(result.model).set(result.run_at)
        self._compute.labels(result.model, result.version).set(result.compute_seconds)
        for update in result.streams:
            self._stream_total.labels(
                result.model, result.version, update.signal, update.detector
            ).inc(len(update.detections))

    def forget(self, model: str, version: str) -> None:
        """Remove every series of a version that is no longer logged."""
        for key, values in self._series.pop((model, version), set()):
            self._gauges[key].remove(*values)

    @staticmethod
    def _route(name: str, labels: dict[str, str]) -> tuple[str | None, tuple[str, ...]]:
        model, version = labels["model"], labels["version"]
        if name == "stream_drift_detected":
            return name, (model, version, labels["signal"], labels["detector"])
        if name in ("feature_drift_score",):
            return name, (model, version, labels["feature"], labels["method"])
        if name in ("feature_drift_detected", "missing_values_ratio"):
            return name, (model, version, labels["feature"])
        if name in ("dataset_drift", "drifted_features_ratio", "window_rows", "window_sufficient"):
            return name, (model, version)
        if name in ("prediction_drift_score", "multivariate_drift_score"):
            return name, (model, version, labels["method"])
        if name == "multivariate_drift_detected":
            return name, (model, version, labels["method"])
        if name in _PREDICTION_STATS:
            return "prediction", (model, version, _PREDICTION_STATS[name])
        if name in PERFORMANCE_METRICS:
            return "performance", (model, version, name)
        if name.startswith("estimated_") and name.removeprefix("estimated_") in ESTIMATED_METRICS:
            return "estimated", (model, version, name.removeprefix("estimated_"))
        return None, ()
