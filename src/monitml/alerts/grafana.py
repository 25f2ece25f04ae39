"""Grafana dashboards and provisioning files for MonitML's metrics, generated from the config.

Four kinds of dashboard, all over the one Prometheus data source that the provisioning file
declares (uid ``monitml-prometheus``), each with ``model`` and ``version`` template variables
read from ``monitml_model_info`` (``label_values`` queries):

- ``monitml-operations``: requests per second per version, success share, latency quantiles;
- ``monitml-model-<model>``, one per configured model: average, minimum and maximum prediction
  (regression) or predicted-class shares (classification), with a red line at the threshold of
  every configured alert rule of that model on a prediction statistic;
- ``monitml-drift``: dataset drift, drifted-features ratio, per-feature drift scores, missing
  values and estimated performance (``monitml_estimated_performance``, shown once a component
  exposes it);
- ``monitml-alerts``: Prometheus's ``ALERTS`` series.

Only metric names the gateway (``serving/metrics.py``) or the monitor (``monitor/gauges.py``)
expose are used. The gateway has no minimum or maximum of predictions (a histogram cannot give
one); min and max are the monitor's ``monitml_prediction_window_stat{stat="min|max"}`` over its
window. Output is deterministic (sorted keys, fixed ids), so committed files can be compared
with a fresh export.
"""

from __future__ import annotations

import hashlib
import json
import re
from collections.abc import Mapping, Sequence
from pathlib import Path

from monitml.alerts.expr import format_number
from monitml.alerts.grafana_json import (
    Dashboard,
    Panel,
    Query,
    provisioning_files,
    render_dashboard,
)
from monitml.alerts.settings import AlertRule

__all__ = ["build_dashboards", "export_files", "write_export"]

_UID_LENGTH = 40  # Grafana's limit

# Rule metrics drawn as threshold lines on the prediction panels (same axis: predicted values).
_PREDICTION_RULE_METRICS = frozenset(
    {"prediction_mean", "prediction_min", "prediction_max", "prediction_p05", "prediction_p50",
     "prediction_p95"}
)  # fmt: skip

_BY_VERSION = 'model="$model",version=~"$version"'
_RATE = "$__rate_interval"


def _rate(selector: str) -> str:
    return f"rate({selector}[{_RATE}])"


def _operations() -> Dashboard:
    requests = f"monitml_requests_total{{{_BY_VERSION}}}"
    ok = f'monitml_requests_total{{{_BY_VERSION},status="ok"}}'
    buckets = f"monitml_request_duration_seconds_bucket{{{_BY_VERSION}}}"
    quantiles = tuple(
        Query(
            f"histogram_quantile({q}, sum by (version, le) ({_rate(buckets)}))",
            f"{{{{version}}}} p{round(q * 100)}",
        )
        for q in (0.5, 0.9, 0.95, 0.99)
    )
    panels = (
        Panel(
            "Requests per second",
            "Prediction requests answered per second, per version (every status).",
            (Query(f"sum by (version) ({_rate(requests)})", "{{version}}"),),
            unit="reqps",
        ),
        Panel(
            "Success",
            'Share of requests answered with status "ok" (errors are model failures).',
            (
                Query(
                    f"100 * sum by (version) ({_rate(ok)}) / sum by (version) ({_rate(requests)})",
                    "{{version}}",
                ),
            ),
            unit="percent",
            minimum=0,
            maximum=100,
        ),
        Panel(
            "Latency p50–p99",
            "Quantiles of monitml_request_duration_seconds (validation to answer).",
            quantiles,
            unit="s",
        ),
        Panel(
            "Routing weights",
            "Share of the model's traffic routed to each version.",
            (Query(f"monitml_routing_weight_ratio{{{_BY_VERSION}}}", "{{version}}"),),
            unit="percentunit",
            minimum=0,
            maximum=1,
        ),
        Panel(
            "Log queue",
            "Predictions waiting for the store, and predictions lost per second.",
            (
                Query("sum(monitml_log_queue_depth)", "waiting"),
                Query(f"sum({_rate('monitml_log_records_dropped_total')})", "dropped/s"),
            ),
        ),
    )
    return Dashboard(
        "monitml-operations",
        "MonitML · Operations",
        "Traffic, success and latency of the gateway.",
        panels,
    )


def _rule_thresholds(model: str, rules: Sequence[AlertRule]) -> tuple[float, ...]:
    values = {
        rule.condition.threshold
        for rule in rules
        if rule.model == model and rule.condition.metric in _PREDICTION_RULE_METRICS
    }
    return tuple(sorted(values))


def _model(model: str, task: str, rules: Sequence[AlertRule]) -> Dashboard:
    lines = _rule_thresholds(model, rules)
    line_note = (
        " Red line: the alert rule threshold"
        + ("s " if len(lines) > 1 else " ")
        + ", ".join(format_number(v) for v in lines)
        + "."
        if lines
        else ""
    )
    if task == "regression":
        total = f"monitml_prediction_value_sum{{{_BY_VERSION}}}"
        count = f"monitml_prediction_value_count{{{_BY_VERSION}}}"
        stats = f'monitml_prediction_window_stat{{{_BY_VERSION},stat=~"min|max"}}'
        panels: tuple[Panel, ...] = (
            Panel(
                "Average prediction",
                "Mean predicted value per version, from the gateway's histogram." + line_note,
                (
                    Query(
                        f"sum by (version) ({_rate(total)}) / sum by (version) ({_rate(count)})",
                        "{{version}}",
                    ),
                ),
                thresholds=lines,
            ),
            Panel(
                "Prediction min / max",
                "Smallest and largest prediction in the monitor's window." + line_note,
                (Query(f"max by (version, stat) ({stats})", "{{version}} {{stat}}"),),
                thresholds=lines,
            ),
        )
    else:
        classes = f"monitml_predicted_class_total{{{_BY_VERSION}}}"
        panels = (
            Panel(
                "Predicted-class shares",
                "Share of each predicted class among a version's predictions.",
                (
                    Query(
                        f"sum by (version, class) ({_rate(classes)}) / on (version) group_left "
                        f"sum by (version) ({_rate(classes)})",
                        "{{version}} {{class}}",
                    ),
                ),
                unit="percentunit",
                minimum=0,
                maximum=1,
            ),
        )
    return Dashboard(
        _model_uid(model),
        f"MonitML · Model {model}",
        f"Predictions of {model} ({task}).",
        panels,
        models_selector=f'monitml_model_info{{model="{_escape(model)}"}}',
    )


def _drift() -> Dashboard:
    panels = (
        Panel(
            "Dataset drift",
            "1 while the share of drifted features reaches the monitor's share threshold.",
            (Query(f"max by (version) (monitml_dataset_drift{{{_BY_VERSION}}})", "{{version}}"),),
            kind="state-timeline",
            mappings=(
                {
                    "type": "value",
                    "options": {
                        "0": {"text": "no drift", "color": "green", "index": 0},
                        "1": {"text": "drift", "color": "red", "index": 1},
                    },
                },
            ),
        ),
        Panel(
            "Drifted features ratio",
            "Share of features that drifted in the monitor's last window.",
            (Query(f"monitml_drifted_features_ratio{{{_BY_VERSION}}}", "{{version}}"),),
            unit="percentunit",
            minimum=0,
            maximum=1,
        ),
        Panel(
            "Feature drift scores",
            "Each feature's drift statistic, named by its method (scales differ by method).",
            (
                Query(
                    f"monitml_feature_drift_score{{{_BY_VERSION}}}",
                    "{{version}} {{feature}} ({{method}})",
                ),
            ),
        ),
        Panel(
            "Missing values",
            "Share of missing values of each feature in the monitor's last window.",
            (Query(f"monitml_missing_values_ratio{{{_BY_VERSION}}}", "{{version}} {{feature}}"),),
            unit="percentunit",
            minimum=0,
            maximum=1,
        ),
        Panel(
            "Estimated performance",
            "Performance estimated without labels (DLE for regressors, CBPE for classifiers).",
            (Query(f"monitml_estimated_performance{{{_BY_VERSION}}}", "{{version}} {{metric}}"),),
        ),
        Panel(
            "Rows in the window",
            "Logged predictions in the monitor's last window.",
            (Query(f"monitml_monitor_window_rows{{{_BY_VERSION}}}", "{{version}}"),),
        ),
        Panel(
            "Since the monitor's last run",
            "Seconds since the monitor last judged this model.",
            (
                Query(
                    'time() - max(monitml_monitor_last_run_timestamp_seconds{model="$model"})',
                    "seconds",
                ),
            ),
            unit="s",
        ),
    )
    return Dashboard(
        "monitml-drift",
        "MonitML · Drift",
        "What the monitor found in its last windows.",
        panels,
    )


def _alerts() -> Dashboard:
    alerts = f"ALERTS{{{_BY_VERSION}}}"
    panels = (
        Panel(
            "Alerts over time",
            "1 while an alert is pending or firing.",
            (
                Query(
                    f"max by (alertname, version, alertstate) ({alerts})",
                    "{{alertname}} {{version}} {{alertstate}}",
                ),
            ),
            kind="state-timeline",
        ),
        Panel(
            "Firing now",
            "Alerts Prometheus is firing, with their labels.",
            (Query(f'ALERTS{{{_BY_VERSION},alertstate="firing"}}', ""),),
            kind="table",
        ),
    )
    return Dashboard(
        "monitml-alerts",
        "MonitML · Alerts",
        "Prometheus's ALERTS series for the exported rules.",
        panels,
    )


def _escape(value: str) -> str:
    return value.replace("\\", "\\\\").replace('"', '\\"')


def _model_uid(model: str) -> str:
    uid = "monitml-model-" + re.sub(r"[^A-Za-z0-9_-]", "-", model)
    if len(uid) <= _UID_LENGTH:
        return uid
    digest = hashlib.sha256(model.encode()).hexdigest()[:8]
    return f"{uid[: _UID_LENGTH - 9]}-{digest}"


def build_dashboards(models: Mapping[str, str], rules: Sequence[AlertRule]) -> list[Dashboard]:
    """The dashboards for ``models`` (``{model: task}``) and the configured alert ``rules``."""
    model_pages = [_model(name, models[name], rules) for name in sorted(models)]
    return [_operations(), *model_pages, _drift(), _alerts()]


def export_files(models: Mapping[str, str], rules: Sequence[AlertRule]) -> dict[str, str]:
    """Every file of the export, by path relative to the output folder."""
    files = provisioning_files()
    for dashboard in build_dashboards(models, rules):
        text = json.dumps(render_dashboard(dashboard), indent=2, ensure_ascii=False) + "\n"
        files[f"dashboards/{dashboard.uid}.json"] = text
    return files


def write_export(folder: Path, models: Mapping[str, str], rules: Sequence[AlertRule]) -> list[Path]:
    """Write :func:`export_files` under ``folder``; returns the paths written."""
    written = []
    for relative, text in export_files(models, rules).items():
        path = folder / relative
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(text, encoding="utf-8")
        written.append(path)
    return written
