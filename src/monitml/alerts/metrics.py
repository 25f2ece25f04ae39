"""The one registry of metrics an alert ``expr`` may use, and their PromQL translations.

Each name is what the monitor emits as a :class:`~monitml.alerts.engine.MetricSample` name and
what a rule writes in ``expr``; ``promql`` says how the same signal reads in Prometheus, over the
gateway's metrics or the monitor's gauges. Performance metrics are used by their own name
(``mae > 5000``), never as ``performance{metric="mae"}``.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass

__all__ = ["METRICS", "Matcher", "MetricDef", "metric", "render_selector"]


@dataclass(frozen=True, slots=True)
class Matcher:
    """One label matcher, ``feature="gr_liv_area"`` or ``feature!="id"``."""

    label: str
    op: str  # "=" or "!=" (PromQL's "=~" and "!~" are not offered in expr)
    value: str

    def matches(self, value: str | None) -> bool:
        return (value == self.value) if self.op == "=" else (value != self.value)

    def __str__(self) -> str:
        escaped = self.value.replace("\\", "\\\\").replace('"', '\\"')
        return f'{self.label}{self.op}"{escaped}"'


def render_selector(name: str, matchers: Sequence[Matcher]) -> str:
    """``name{a="x",b!="y"}``; no braces when there is no matcher."""
    inner = ",".join(str(m) for m in matchers)
    return f"{name}{{{inner}}}" if inner else name


# (selector matchers, range window) -> PromQL giving one series per alert instance.
PromQL = Callable[[Sequence[Matcher], str], str]


@dataclass(frozen=True, slots=True)
class MetricDef:
    """A metric usable in ``expr``: its labels beyond model and version, and its PromQL."""

    name: str
    help: str
    labels: tuple[str, ...]
    promql: PromQL


def _gauge(prometheus_name: str, **fixed: str) -> PromQL:
    def build(matchers: Sequence[Matcher], window: str) -> str:
        del window  # a gauge is read as it is; the monitor already windowed it
        pinned = [Matcher(label, "=", value) for label, value in fixed.items()]
        return render_selector(prometheus_name, [*matchers, *pinned])

    return build


def _by_version(text: str) -> str:
    return f"sum by (model, version) ({text})"


def _prediction_mean(matchers: Sequence[Matcher], window: str) -> str:
    total = render_selector("monitml_prediction_value_sum", matchers)
    count = render_selector("monitml_prediction_value_count", matchers)
    return f"{_by_version(f'rate({total}[{window}])')} / {_by_version(f'rate({count}[{window}])')}"


def _error_rate(matchers: Sequence[Matcher], window: str) -> str:
    errors = render_selector("monitml_requests_total", [*matchers, Matcher("status", "=", "error")])
    requests = render_selector("monitml_requests_total", matchers)
    return (
        f"{_by_version(f'rate({errors}[{window}])')} / {_by_version(f'rate({requests}[{window}])')}"
    )


def _requests_per_second(matchers: Sequence[Matcher], window: str) -> str:
    requests = render_selector("monitml_requests_total", matchers)
    return _by_version(f"rate({requests}[{window}])")


def _latency_p95(matchers: Sequence[Matcher], window: str) -> str:
    buckets = render_selector("monitml_request_duration_seconds_bucket", matchers)
    return f"histogram_quantile(0.95, sum by (model, version, le) (rate({buckets}[{window}])))"


def _fallback_rate(matchers: Sequence[Matcher], window: str) -> str:
    """Records routed to a version that its fallback answered, over all records routed to it.

    ``monitml_fallback_total``'s ``version`` is the routed version that was replaced; the
    records that version answered itself are its prediction series (values for a regressor,
    classes for a classifier). ``or`` keeps a version whose every record fell back (rate 1).
    """
    replaced = _by_version(f"rate({render_selector('monitml_fallback_total', matchers)}[{window}])")
    values = render_selector("monitml_prediction_value_count", matchers)
    classes = render_selector("monitml_predicted_class_total", matchers)
    answered = (
        f"({_by_version(f'rate({values}[{window}])')} "
        f"or {_by_version(f'rate({classes}[{window}])')})"
    )
    return f"{replaced} / (({answered} + {replaced}) or {replaced})"


PERFORMANCE = (
    "me", "mae", "rmse", "mape", "r2",
    "accuracy", "precision", "recall", "f1", "roc_auc", "log_loss",
)  # fmt: skip
# Estimated without labels (monitml.estimation), as ``estimated_<name>``.
ESTIMATED = ("mae", "rmse", "accuracy", "precision", "recall", "f1", "specificity", "roc_auc")

_DEFS: list[MetricDef] = [
    MetricDef(
        "prediction_mean",
        "Mean prediction (Prometheus: rate of the gateway's prediction histogram sum / count).",
        (),
        _prediction_mean,
    ),
    *(
        MetricDef(
            f"prediction_{stat}",
            f"Prediction {stat} over the monitor's window.",
            (),
            _gauge("monitml_prediction_window_stat", stat=stat),
        )
        for stat in ("count", "min", "max", "p05", "p50", "p95")
    ),
    MetricDef(
        "drifted_features_ratio",
        "Share of features that drifted in the window (0-1).",
        (),
        _gauge("monitml_drifted_features_ratio"),
    ),
    MetricDef(
        "dataset_drift",
        "1 when the dataset drifted in the window, else 0.",
        (),
        _gauge("monitml_dataset_drift"),
    ),
    MetricDef(
        "feature_drift_score",
        "Drift statistic of one feature, named by its method.",
        ("feature", "method"),
        _gauge("monitml_feature_drift_score"),
    ),
    MetricDef(
        "feature_drift_detected",
        "1 when the feature drifted in the window, else 0.",
        ("feature",),
        _gauge("monitml_feature_drift_detected"),
    ),
    MetricDef(
        "missing_values_ratio",
        "Share of missing values of a feature in the window (0-1).",
        ("feature",),
        _gauge("monitml_missing_values_ratio"),
    ),
    MetricDef(
        "prediction_drift_score",
        "Drift statistic of the predictions, named by its method.",
        ("method",),
        _gauge("monitml_prediction_drift_score"),
    ),
    MetricDef(
        "multivariate_drift_score",
        "Multivariate drift statistic of the window, by method (pca: reconstruction error, "
        "classifier: cross-validated AUC of telling the window from the reference).",
        ("method",),
        _gauge("monitml_multivariate_drift_score"),
    ),
    MetricDef(
        "multivariate_drift_detected",
        "1 when a multivariate method (pca, classifier) found drift in the window, else 0.",
        ("method",),
        _gauge("monitml_multivariate_drift_detected"),
    ),
    MetricDef(
        "window_rows",
        "Rows in the monitor's window.",
        (),
        _gauge("monitml_monitor_window_rows"),
    ),
    MetricDef(
        "window_sufficient",
        "1 when the window had enough rows to judge drift, else 0.",
        (),
        _gauge("monitml_monitor_window_sufficient"),
    ),
    MetricDef(
        "stream_drift_detected",
        "1 when a streaming detector (adwin, ddm, page_hinkley) found drift in the events of "
        "the monitor's last pass on a signal (error, prediction), else 0.",
        ("signal", "detector"),
        _gauge("monitml_stream_drift_detected"),
    ),
    *(
        MetricDef(
            name,
            f"Performance ({name}) on the labelled rows of the window.",
            (),
            _gauge("monitml_model_performance", metric=name),
        )
        for name in PERFORMANCE
    ),
    *(
        MetricDef(
            f"estimated_{name}",
            f"Performance ({name}) of the window estimated without labels (CBPE, DLE).",
            (),
            _gauge("monitml_estimated_performance", metric=name),
        )
        for name in ESTIMATED
    ),
    MetricDef(
        "error_rate",
        'Share of requests whose model failed (gateway status="error"; 0-1).',
        (),
        _error_rate,
    ),
    MetricDef(
        "latency_p95",
        "95th percentile of request latency, in seconds.",
        (),
        _latency_p95,
    ),
    MetricDef(
        "fallback_rate",
        "Share of the records routed to a version that the model's fallback version answered "
        "instead (inputs outside the reference's range or categories; 0-1).",
        (),
        _fallback_rate,
    ),
    MetricDef(
        "requests_per_second",
        "Requests per second.",
        (),
        _requests_per_second,
    ),
]

METRICS: dict[str, MetricDef] = {d.name: d for d in _DEFS}
"""Every metric an ``expr`` may use, by name."""


def metric(name: str) -> MetricDef:
    """The registered metric ``name``; an unknown name lists the valid ones."""
    found = METRICS.get(name)
    if found is None:
        raise KeyError(
            f"unknown metric {name!r} in an alert expr; valid metrics: {', '.join(sorted(METRICS))}"
        )
    return found
