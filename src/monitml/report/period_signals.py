"""The period report's label-free signals: estimated performance and multivariate drift.

Estimated performance (CBPE, DLE) is drawn per chunk as its sampling-error band with the
estimate through it, and the realised value of the chunks whose labels have arrived on top,
so a reader sees at a glance whether the estimate held. Multivariate drift (PCA reconstruction,
domain classifier) is drawn as each method's statistic over its threshold per chunk, where 1 is
the line between no drift and drift, as in the feature drift charts.
"""

from __future__ import annotations

import math
from collections.abc import Mapping, Sequence
from typing import Any

from bokeh.models import ColumnDataSource, HoverTool, Model
from bokeh.models.annotations import Span

from monitml.report.format import as_float, fmt_count, fmt_number
from monitml.report.period import PeriodResults, VersionPeriod
from monitml.report.period_charts import (
    REFERENCE_COLOR,
    TimeAxis,
    chunk_times,
    link_hovers,
    nan_of,
    time_figure,
    version_color,
)
from monitml.report.period_view import chunk_label

__all__ = ["ESTIMATED_CHARTS", "build_signal_charts", "multivariate_ratio"]

# The estimates drawn, in order, when the chunks carry them.
ESTIMATED_CHARTS: dict[str, tuple[tuple[str, str], ...]] = {
    "regression": (("mae", "MAE"), ("rmse", "RMSE")),
    "classification": (("roc_auc", "ROC AUC"), ("f1", "F1"), ("accuracy", "accuracy")),
}
_MULTIVARIATE = (
    ("pca", "PCA reconstruction", "#0072b2"),
    ("classifier", "domain classifier", "#d55e00"),
)


def _estimate_chart(
    entry: VersionPeriod,
    chunks: Sequence[Mapping[str, Any]],
    key: str,
    name: str,
    chunk: str,
    x_range: TimeAxis,
    color: str,
) -> Any | None:
    estimates = [nan_of((c.get("estimated_performance") or {}).get(key)) for c in chunks]
    if all(math.isnan(v) for v in estimates):
        return None
    bands = [((c.get("estimated_bands") or {}).get(key) or {}) for c in chunks]
    lower = [nan_of(b.get("lower")) for b in bands]
    upper = [nan_of(b.get("upper")) for b in bands]
    realised = [nan_of((c.get("performance") or {}).get(key)) for c in chunks]
    middles, _ = chunk_times(chunks)
    source = ColumnDataSource(
        {
            "x": middles,
            "estimate": estimates,
            "lower": lower,
            "upper": upper,
            "realised": realised,
            "chunk": [chunk_label(c, chunk) for c in chunks],
            "estimate_text": [fmt_number(v, 4) for v in estimates],
            "band_text": [
                f"{fmt_number(a, 4)} – {fmt_number(b, 4)}"
                for a, b in zip(lower, upper, strict=True)
            ],
            "realised_text": [
                "no labels yet" if math.isnan(v) else fmt_number(v, 4) for v in realised
            ],
            "labelled": [fmt_count(c.get("labelled_rows")) for c in chunks],
        }
    )
    plot = time_figure(f"{entry.version}: {name} estimated without labels, and realised", x_range)
    plot.varea(
        "x",
        "lower",
        "upper",
        source=source,
        color=color,
        alpha=0.22,
        legend_label="estimate's band",
    )
    plot.line("x", "estimate", source=source, color=color, line_width=2, legend_label="estimated")
    plot.scatter("x", "estimate", source=source, color=color, size=6, name="points")
    if any(not math.isnan(v) for v in realised):
        plot.line(
            "x",
            "realised",
            source=source,
            color=REFERENCE_COLOR,
            line_width=2,
            line_dash="dashed",
            legend_label="realised (labelled rows)",
        )
        plot.scatter("x", "realised", source=source, color=REFERENCE_COLOR, size=5, name="points")
    plot.add_tools(
        HoverTool(
            tags=["points"],
            tooltips=[
                ("chunk", "@chunk"),
                (f"estimated {name}", "@estimate_text"),
                ("band", "@band_text"),
                (f"realised {name}", "@realised_text"),
                ("labelled rows", "@labelled"),
            ],
        )
    )
    plot.legend.click_policy = "hide"
    return plot


def _estimate_charts(
    entry: VersionPeriod, task: str, chunk: str, x_range: TimeAxis, color: str
) -> list[Any]:
    chunks = [c for c in entry.chunks if c.get("estimated_performance")]
    if not chunks:
        return []
    charts = (
        _estimate_chart(entry, chunks, key, name, chunk, x_range, color)
        for key, name in ESTIMATED_CHARTS.get(task, ESTIMATED_CHARTS["classification"])
    )
    return [plot for plot in charts if plot is not None]


def multivariate_ratio(entry: Mapping[str, Any]) -> float | None:
    """A multivariate method's statistic over its threshold: above 1 is drift.

    >>> multivariate_ratio({"statistic": 0.66, "threshold": 0.55})
    1.2
    """
    statistic, threshold = as_float(entry.get("statistic")), as_float(entry.get("threshold"))
    if statistic is None or threshold is None or threshold <= 0:
        return None
    return round(statistic / threshold, 12)


def _multivariate_chart(entry: VersionPeriod, chunk: str, x_range: TimeAxis) -> Any | None:
    sections = [((c.get("drift") or {}).get("multivariate") or {}) for c in entry.chunks]
    if not any(sections):
        return None
    plot = time_figure(
        f"{entry.version}: multivariate drift, statistic / threshold per chunk (> 1: drift)",
        x_range,
        height=200,
    )
    for method, name, color in _MULTIVARIATE:
        scored = [
            (c, s[method], ratio)
            for c, s in zip(entry.chunks, sections, strict=True)
            if isinstance(s.get(method), Mapping)
            and (ratio := multivariate_ratio(s[method])) is not None
        ]
        if not scored:
            continue
        middles, _ = chunk_times([c for c, _, _ in scored])
        source = ColumnDataSource(
            {
                "x": middles,
                "y": [r for _, _, r in scored],
                "chunk": [chunk_label(c, chunk) for c, _, _ in scored],
                "method": [name] * len(scored),
                "statistic": [fmt_number(e.get("statistic"), 4) for _, e, _ in scored],
                "threshold": [fmt_number(e.get("threshold"), 4) for _, e, _ in scored],
                "drifted": ["yes" if e.get("drift_detected") else "no" for _, e, _ in scored],
            }
        )
        plot.line("x", "y", source=source, color=color, line_width=2, legend_label=name)
        plot.scatter("x", "y", source=source, color=color, size=6, name="points")
    plot.add_layout(Span(location=1.0, dimension="width", line_color="#d55e00", line_dash="dashed"))
    plot.add_tools(
        HoverTool(
            tags=["points"],
            tooltips=[
                ("chunk", "@chunk"),
                ("@method", "@statistic (threshold @threshold)"),
                ("drifted", "@drifted"),
            ],
        )
    )
    plot.yaxis.axis_label = "statistic / threshold"
    plot.legend.click_policy = "hide"
    return plot


def build_signal_charts(
    results: PeriodResults, version_slugs: Sequence[str], x_range: TimeAxis
) -> dict[str, list[Model]]:
    """Groups ``estimated-{v}`` and ``multivariate-{v}`` per version slug, where data exists."""
    groups: dict[str, list[Any]] = {}
    for index, (entry, slug) in enumerate(zip(results.versions, version_slugs, strict=True)):
        estimates = _estimate_charts(
            entry, results.task, results.chunk, x_range, version_color(index)
        )
        if estimates:
            groups[f"estimated-{slug}"] = estimates
        multivariate = _multivariate_chart(entry, results.chunk, x_range)
        if multivariate is not None:
            groups[f"multivariate-{slug}"] = [multivariate]
    return {key: [link_hovers(plot) for plot in plots] for key, plots in groups.items()}
