"""The interactive charts of the period report, as Bokeh models (hover for values, zoom on time).

Only this module imports Bokeh, and only the period renderer imports this module, so nothing
else pays for it. Every chart is drawn from binned or summarised values (histogram shares, chunk
quantiles, ≤ 200 ROC points), never from raw rows, which keeps a year of chunks small. Every
time chart shares one x range: zooming one zooms them all.
"""

from __future__ import annotations

import math
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any

from bokeh.models import (
    ColumnDataSource,
    DatetimeTicker,
    DatetimeTickFormatter,
    FactorRange,
    HoverTool,
    LinearColorMapper,
    Model,
    Range1d,
)
from bokeh.models.annotations import ColorBar, Span
from bokeh.models.renderers import GlyphRenderer
from bokeh.plotting import figure

from monitml.report.format import as_float, fmt_count, fmt_number, fmt_share
from monitml.report.period import PeriodResults, VersionPeriod
from monitml.report.period_view import chunk_label, drift_ratio, feature_columns

__all__ = [
    "REFERENCE_COLOR",
    "TimeAxis",
    "build_charts",
    "chunk_times",
    "link_hovers",
    "nan_of",
    "period_axis",
    "time_figure",
    "version_color",
]

REFERENCE_COLOR = "#0072b2"
_VERSION_COLORS = ("#e69f00", "#009e73", "#cc79a7", "#d55e00", "#56b4e9", "#999999")
# Ratio to threshold: greens below 1 (no drift), oranges to dark red from 1 up, capped at 3.
_RATIO_PALETTE = (
    "#edf8f1", "#d5efe2", "#bde6d3", "#a5dcc4", "#8dd3b5",
    "#fdd49e", "#fdbb84", "#fc8d59", "#e34a33", "#b30000",
)  # fmt: skip
_RATIO_CAP = 2.0
_SHARE_PALETTE = ("#f7fbff", "#deebf7", "#c6dbef", "#9ecae1", "#6baed6", "#3182bd", "#08519c")
_TOOLS = "xpan,xwheel_zoom,box_zoom,reset"
_HEIGHT = 240
_MS = 1000.0


def version_color(index: int) -> str:
    return _VERSION_COLORS[index % len(_VERSION_COLORS)]


def link_hovers(plot: Any) -> Any:
    """Point each hover tool at the renderers named in its tags (set when it was added)."""
    for tool in plot.tools:
        if isinstance(tool, HoverTool) and tool.tags:
            names = set(tool.tags)
            tool.renderers = [
                r for r in plot.renderers if isinstance(r, GlyphRenderer) and r.name in names
            ]
            tool.tags = []
    return plot


@dataclass(frozen=True, slots=True)
class TimeAxis:
    """The time axis every time chart of one report shares: zoom one, they all zoom.

    One ticker and formatter for all of them, too: a datetime ticker is a dozen models, and
    each model is built, serialised and shipped once per chart otherwise.
    """

    range: Range1d
    ticker: DatetimeTicker
    formatter: DatetimeTickFormatter

    @classmethod
    def between(cls, start: float, end: float) -> TimeAxis:
        """The axis from ``start`` to ``end`` (epoch milliseconds), not zoomable beyond."""
        return cls(
            Range1d(start=start, end=end, bounds=(start, end)),
            DatetimeTicker(),
            DatetimeTickFormatter(),
        )


def period_axis(results: PeriodResults) -> TimeAxis:
    """The time axis of a report over ``results``' period."""
    return TimeAxis.between(results.start * _MS, results.end * _MS)


def time_figure(title: str, x_range: TimeAxis, height: int = _HEIGHT, **kw: Any) -> Any:
    plot = figure(
        title=title,
        x_axis_type="datetime",
        x_range=x_range.range,
        height=height,
        sizing_mode="stretch_width",
        tools=_TOOLS,
        active_scroll="xwheel_zoom",
        toolbar_location="above",
        **kw,
    )
    plot.xaxis.ticker = x_range.ticker
    plot.xaxis.formatter = x_range.formatter
    plot.xgrid.ticker = x_range.ticker
    plot.toolbar.logo = None
    return plot


def _plain_figure(title: str, height: int = _HEIGHT, **kw: Any) -> Any:
    plot = figure(
        title=title,
        height=height,
        sizing_mode="stretch_width",
        tools="pan,wheel_zoom,box_zoom,reset",
        toolbar_location="above",
        **kw,
    )
    plot.toolbar.logo = None
    return plot


def chunk_times(chunks: Sequence[Mapping[str, Any]]) -> tuple[list[float], list[float]]:
    """Chunk middles and widths in milliseconds (Bokeh's datetime unit)."""
    middles, widths = [], []
    for chunk in chunks:
        start = as_float(chunk.get("window_start")) or 0.0
        end = as_float(chunk.get("window_end")) or start
        middles.append((start + end) / 2 * _MS)
        widths.append(max(end - start, 1.0) * _MS)
    return middles, widths


def nan_of(value: Any) -> float:
    number = as_float(value)
    return math.nan if number is None else number


def _prediction_chart(
    entry: VersionPeriod, task: str, chunk: str, x_range: TimeAxis, color: str
) -> Any:
    middles, _ = chunk_times(entry.chunks)
    labels = [chunk_label(c, chunk) for c in entry.chunks]
    stats = [c.get("prediction") or {} for c in entry.chunks]
    rows = [fmt_count(c.get("rows")) for c in entry.chunks]
    plot = time_figure(f"Predictions of {entry.version} per chunk", x_range)
    if task == "classification":
        classes = sorted({str(k) for s in stats for k in (s.get("class_shares") or {})})
        for index, name in enumerate(classes):
            shares = [nan_of((s.get("class_shares") or {}).get(name)) for s in stats]
            source = ColumnDataSource(
                {
                    "x": middles,
                    "y": shares,
                    "chunk": labels,
                    "rows": rows,
                    "share": [fmt_share(v) for v in shares],
                }
            )
            line_color = version_color(index)
            plot.line("x", "y", source=source, color=line_color, legend_label=name, line_width=2)
            plot.scatter("x", "y", source=source, color=line_color, size=6, name="points")
        plot.yaxis.axis_label = "share of predictions"
        tooltips = [("chunk", "@chunk"), ("rows", "@rows"), ("share", "@share")]
    else:
        columns: dict[str, Any] = {"x": middles, "chunk": labels, "rows": rows}
        for key in ("mean", "min", "max", "p05", "p50", "p95"):
            values = [nan_of(s.get(key)) for s in stats]
            columns[key] = values
            columns[f"{key}_text"] = [fmt_number(v) for v in values]
        source = ColumnDataSource(columns)
        plot.varea(
            "x", "min", "max", source=source, color=color, alpha=0.12, legend_label="min–max"
        )
        plot.varea("x", "p05", "p95", source=source, color=color, alpha=0.3, legend_label="p05–p95")
        plot.line("x", "mean", source=source, color=color, line_width=2, legend_label="mean")
        plot.scatter("x", "mean", source=source, color=color, size=6, name="points")
        plot.yaxis.axis_label = "prediction"
        tooltips = [
            ("chunk", "@chunk"),
            ("rows", "@rows"),
            ("mean", "@mean_text"),
            ("min", "@min_text"),
            ("p05 / median / p95", "@p05_text / @p50_text / @p95_text"),
            ("max", "@max_text"),
        ]
    plot.add_tools(HoverTool(tags=["points"], tooltips=tooltips, mode="vline"))
    plot.legend.location = "top_left"
    plot.legend.click_policy = "hide"
    return plot


def _edges(raw: Sequence[Any]) -> list[float]:
    """Finite bin edges: an open outer edge gets its neighbour's width."""
    edges = [as_float(e) for e in raw]
    finite = [e for e in edges if e is not None]
    if len(finite) < 2:
        return []
    step = (finite[-1] - finite[0]) / max(len(finite) - 1, 1) or 1.0
    if edges[0] is None:
        edges[0] = (edges[1] if edges[1] is not None else finite[0]) - step
    if edges[-1] is None:
        edges[-1] = (edges[-2] if edges[-2] is not None else finite[-1]) + step
    return [e if e is not None else math.nan for e in edges]


def _distribution_chart(
    title: str, charts: Sequence[tuple[str, str, Mapping[str, Any]]], axis: str
) -> Any | None:
    """Reference against each version's current: ``charts`` is (version, colour, chart)."""
    charts = [c for c in charts if isinstance(c[2], Mapping)]
    if not charts:
        return None
    kind = charts[0][2].get("type")
    if kind == "histogram":
        plot = _plain_figure(title)
        series = [("reference", REFERENCE_COLOR, charts[0][2].get("reference"), charts[0][2])]
        series += [(v, color, chart.get("current"), chart) for v, color, chart in charts]
        for index, (name, color, shares, chart) in enumerate(series):
            edges = _edges(chart.get("edges") or [])
            values = [as_float(s) or 0.0 for s in (shares or [])][: max(len(edges) - 1, 0)]
            if not values:
                continue
            left, right = edges[:-1][: len(values)], edges[1:][: len(values)]
            density = [
                s / (r - lo) if r > lo else 0.0
                for s, lo, r in zip(values, left, right, strict=True)
            ]
            source = ColumnDataSource(
                {
                    "left": left,
                    "right": right,
                    "top": density,
                    "bin": [
                        f"[{fmt_number(a)}, {fmt_number(b)})"
                        for a, b in zip(left, right, strict=True)
                    ],
                    "share": [fmt_share(s) for s in values],
                    "series": [name] * len(values),
                }
            )
            first = index == 0
            plot.quad(
                left="left",
                right="right",
                top="top",
                bottom=0,
                source=source,
                fill_color=color if first else None,
                fill_alpha=0.35 if first else 0.0,
                line_color=color,
                line_width=1 if first else 2,
                legend_label=name,
                name="bins",
            )
        plot.yaxis.axis_label = "density (share per unit)"
        plot.xaxis.axis_label = axis
        plot.add_tools(
            HoverTool(
                tags=["bins"], tooltips=[("", "@series"), ("bin", "@bin"), ("rows", "@share")]
            )
        )
    else:
        categories: list[str] = []
        for _, _, chart in charts:
            categories += [str(c) for c in chart.get("categories") or []]
        categories = list(dict.fromkeys(categories))
        names = ["reference", *(v for v, _, _ in charts)]
        factors = [(c, n) for c in categories for n in names]
        plot = _plain_figure(title, x_range=FactorRange(factors=factors))
        by_factor: dict[tuple[str, str], float] = {}
        for index, (version, _, chart) in enumerate(charts):
            cats = [str(c) for c in chart.get("categories") or []]
            for c, r, cur in zip(
                cats, chart.get("reference") or [], chart.get("current") or [], strict=False
            ):
                if index == 0:
                    by_factor[(c, "reference")] = as_float(r) or 0.0
                by_factor[(c, version)] = as_float(cur) or 0.0
        colors = {"reference": REFERENCE_COLOR} | {v: color for v, color, _ in charts}
        values = [by_factor.get(f, 0.0) for f in factors]
        source = ColumnDataSource(
            {
                "x": factors,
                "top": values,
                "color": [colors[n] for _, n in factors],
                "share": [fmt_share(v) for v in values],
            }
        )
        plot.vbar(x="x", top="top", width=0.9, source=source, color="color", name="bars")
        plot.xaxis.major_label_orientation = 0.9
        plot.xaxis.group_label_orientation = 0.6
        plot.yaxis.axis_label = "share of rows"
        plot.add_tools(HoverTool(tags=["bars"], tooltips=[("", "@x"), ("rows", "@share")]))
    if plot.legend:
        plot.legend.click_policy = "hide"
    return plot


def _heatmap(
    title: str,
    features: Sequence[str],
    chunks: Sequence[Mapping[str, Any]],
    chunk: str,
    x_range: TimeAxis,
    cells: Mapping[str, Sequence[tuple[float | None, dict[str, str]]]],
    mapper: LinearColorMapper,
    tooltips: list[tuple[str, str]],
    bar_title: str,
) -> Any:
    """Features × chunks; ``cells[feature][i]`` is (colour value, hover texts) of chunk ``i``."""
    middles, widths = chunk_times(chunks)
    labels = [chunk_label(c, chunk) for c in chunks]
    columns: dict[str, Any] = {"x": [], "width": [], "feature": [], "value": [], "chunk": []}
    texts: dict[str, list[str]] = {}
    for feature in features:
        for index, (value, hover) in enumerate(cells.get(feature, ())):
            if value is None:
                continue
            columns["x"].append(middles[index])
            columns["width"].append(widths[index])
            columns["feature"].append(feature)
            columns["value"].append(value)
            columns["chunk"].append(labels[index])
            for key, text in hover.items():
                texts.setdefault(key, []).append(text)
    source = ColumnDataSource({**columns, **texts})
    plot = time_figure(
        title,
        x_range,
        height=max(140, 26 * len(features) + 90),
        y_range=FactorRange(factors=list(reversed(features))),
    )
    plot.rect(
        x="x",
        y="feature",
        width="width",
        height=0.92,
        source=source,
        fill_color={"field": "value", "transform": mapper},
        line_color=None,
        name="cells",
    )
    plot.add_tools(
        HoverTool(
            tags=["cells"], tooltips=[("feature", "@feature"), ("chunk", "@chunk"), *tooltips]
        )
    )
    plot.grid.grid_line_color = None
    plot.add_layout(ColorBar(color_mapper=mapper, width=10, title=bar_title), "right")
    return plot


def _drift_cells(
    entry: VersionPeriod, features: Sequence[str]
) -> dict[str, list[tuple[float | None, dict[str, str]]]]:
    cells: dict[str, list[tuple[float | None, dict[str, str]]]] = {f: [] for f in features}
    for chunk in entry.chunks:
        columns = feature_columns(chunk)
        for feature in features:
            column = columns.get(feature)
            ratio = drift_ratio(column) if column is not None else None
            if column is None or ratio is None:
                cells[feature].append((None, {}))
                continue
            cells[feature].append(
                (
                    min(ratio, _RATIO_CAP),
                    {
                        "ratio": "∞" if ratio == math.inf else fmt_number(ratio),
                        "method": str(column.get("method")),
                        "statistic": fmt_number(column.get("statistic")),
                        "threshold": fmt_number(column.get("threshold")),
                        "drifted": "yes" if column.get("drift_detected") else "no",
                    },
                )
            )
    return cells


_QUALITY = (
    ("missing_share", "Missing values (share of rows)"),
    ("out_of_range_share", "Outside the reference range (share of values)"),
    ("unseen_share", "New categories (share of rows)"),
)


def _quality_value(column: Mapping[str, Any], key: str) -> float | None:
    if key == "missing_share":
        return as_float((column.get("current") or {}).get("missing_share"))
    return as_float(column.get(key))


def _quality_charts(
    entry: VersionPeriod, features: Sequence[str], chunk: str, x_range: TimeAxis
) -> list[Any]:
    plots = []
    for key, title in _QUALITY:
        cells: dict[str, list[tuple[float | None, dict[str, str]]]] = {}
        for chunk_result in entry.chunks:
            quality = ((chunk_result.get("drift") or {}).get("quality") or {}).get("columns") or {}
            for feature in features:
                value = _quality_value(quality.get(feature) or {}, key)
                cells.setdefault(feature, []).append(
                    (value, {"share": fmt_share(value)}) if value is not None else (None, {})
                )
        shown = [f for f in features if any(v is not None for v, _ in cells.get(f, []))]
        if not shown:
            continue
        top = max(v for f in shown for v, _ in cells[f] if v is not None)
        mapper = LinearColorMapper(palette=list(_SHARE_PALETTE), low=0.0, high=max(top, 0.01))
        plots.append(
            _heatmap(
                f"{entry.version}: {title}",
                shown,
                entry.chunks,
                chunk,
                x_range,
                cells,
                mapper,
                [("share", "@share")],
                "share",
            )
        )
    return plots


_REGRESSION_METRICS = (("mae", "MAE"), ("rmse", "RMSE"), ("me", "mean error"))
_CLASSIFICATION_METRICS = (
    ("accuracy", "accuracy"),
    ("f1", "F1"),
    ("roc_auc", "ROC AUC"),
    ("precision", "precision"),
    ("recall", "recall"),
)


def _performance_charts(
    entry: VersionPeriod, task: str, chunk: str, x_range: TimeAxis, color: str
) -> list[Any]:
    labelled = [c for c in entry.chunks if c.get("performance")]
    if not labelled:
        return []
    plots = []
    middles, _ = chunk_times(labelled)
    labels = [chunk_label(c, chunk) for c in labelled]
    metrics = _CLASSIFICATION_METRICS if task == "classification" else _REGRESSION_METRICS
    plot = time_figure(f"{entry.version}: performance per chunk (labelled rows)", x_range)
    for index, (key, name) in enumerate(metrics):
        values = [nan_of((c.get("performance") or {}).get(key)) for c in labelled]
        if all(math.isnan(v) for v in values):
            continue
        source = ColumnDataSource(
            {
                "x": middles,
                "y": values,
                "chunk": labels,
                "metric": [name] * len(values),
                "value": [fmt_number(v, 4) for v in values],
                "labelled": [fmt_count(c.get("labelled_rows")) for c in labelled],
            }
        )
        line_color = version_color(index)
        plot.line("x", "y", source=source, color=line_color, line_width=2, legend_label=name)
        plot.scatter("x", "y", source=source, color=line_color, size=6, name="points")
    plot.add_tools(
        HoverTool(
            tags=["points"],
            tooltips=[("chunk", "@chunk"), ("@metric", "@value"), ("labelled rows", "@labelled")],
        )
    )
    plot.legend.click_policy = "hide"
    plots.append(plot)
    if entry.residuals and any(r is not None for r in entry.residuals):
        pairs = [
            (c, r) for c, r in zip(entry.chunks, entry.residuals, strict=False) if r is not None
        ]
        middles, _ = chunk_times([c for c, _ in pairs])
        columns: dict[str, Any] = {
            "x": middles,
            "chunk": [chunk_label(c, chunk) for c, _ in pairs],
            "count": [fmt_count(r.count) for _, r in pairs],
        }
        for key in ("mean", "p05", "p25", "p50", "p75", "p95"):
            values = [float(getattr(r, key)) for _, r in pairs]
            columns[key] = values
            columns[f"{key}_text"] = [fmt_number(v) for v in values]
        source = ColumnDataSource(columns)
        residuals = time_figure(
            f"{entry.version}: residuals (prediction − label) per chunk", x_range
        )
        residuals.varea(
            "x", "p05", "p95", source=source, color=color, alpha=0.18, legend_label="p05–p95"
        )
        residuals.varea(
            "x", "p25", "p75", source=source, color=color, alpha=0.4, legend_label="p25–p75"
        )
        residuals.line("x", "p50", source=source, color=color, line_width=2, legend_label="median")
        residuals.scatter("x", "p50", source=source, color=color, size=6, name="points")
        residuals.add_layout(Span(location=0, dimension="width", line_dash="dashed"))
        residuals.add_tools(
            HoverTool(
                tags=["points"],
                tooltips=[
                    ("chunk", "@chunk"),
                    ("labelled rows", "@count"),
                    ("median", "@p50_text"),
                    ("p25 – p75", "@p25_text – @p75_text"),
                    ("p05 – p95", "@p05_text – @p95_text"),
                    ("mean", "@mean_text"),
                ],
            )
        )
        residuals.legend.click_policy = "hide"
        plots.append(residuals)
    if entry.residual_histogram is not None:
        hist = entry.residual_histogram
        total = sum(hist.counts) or 1
        left, right = list(hist.edges[:-1]), list(hist.edges[1:])
        source = ColumnDataSource(
            {
                "left": left,
                "right": right,
                "top": [c / total for c in hist.counts],
                "bin": [
                    f"[{fmt_number(a)}, {fmt_number(b)})" for a, b in zip(left, right, strict=True)
                ],
                "count": [fmt_count(c) for c in hist.counts],
            }
        )
        plot = _plain_figure(f"{entry.version}: residuals over the period")
        plot.quad(
            left="left", right="right", top="top", bottom=0, source=source, color=color, name="bins"
        )
        plot.add_tools(HoverTool(tags=["bins"], tooltips=[("bin", "@bin"), ("rows", "@count")]))
        plot.yaxis.axis_label = "share of labelled rows"
        plot.xaxis.axis_label = "prediction − label (outer bins hold the outliers)"
        plots.append(plot)
    if entry.roc is not None:
        roc = entry.roc
        source = ColumnDataSource(
            {
                "fpr": list(roc.fpr),
                "tpr": list(roc.tpr),
                "fpr_text": [fmt_share(v) for v in roc.fpr],
                "tpr_text": [fmt_share(v) for v in roc.tpr],
            }
        )
        plot = _plain_figure(
            f"{entry.version}: ROC of label {roc.positive} (AUC {fmt_number(roc.auc, 3)})",
            height=320,
            x_range=Range1d(start=0, end=1),
            y_range=Range1d(start=0, end=1),
        )
        plot.line([0, 1], [0, 1], line_dash="dashed", color="#9aa5b1")
        plot.line("fpr", "tpr", source=source, color=color, line_width=2, name="roc")
        plot.add_tools(
            HoverTool(
                tags=["roc"],
                tooltips=[
                    ("false positive rate", "@fpr_text"),
                    ("true positive rate", "@tpr_text"),
                ],
                mode="vline",
            )
        )
        plot.xaxis.axis_label = "false positive rate"
        plot.yaxis.axis_label = "true positive rate"
        plots.append(plot)
    return plots


def _score_chart(feature: str, results: PeriodResults, x_range: TimeAxis) -> Any:
    plot = time_figure(f"{feature}: drift score / threshold per chunk", x_range, height=200)
    for index, entry in enumerate(results.versions):
        points = [
            (c, drift_ratio(feature_columns(c)[feature]))
            for c in entry.chunks
            if feature in feature_columns(c)
        ]
        scored = [(c, r) for c, r in points if r is not None]
        if not scored:
            continue
        middles, _ = chunk_times([c for c, _ in scored])
        columns = [feature_columns(c)[feature] for c, _ in scored]
        source = ColumnDataSource(
            {
                "x": middles,
                "y": [min(r, 10.0) for _, r in scored],
                "chunk": [chunk_label(c, results.chunk) for c, _ in scored],
                "version": [entry.version] * len(scored),
                "ratio": ["∞" if r == math.inf else fmt_number(r) for _, r in scored],
                "statistic": [fmt_number(c.get("statistic")) for c in columns],
                "method": [str(c.get("method")) for c in columns],
            }
        )
        color = version_color(index)
        plot.line("x", "y", source=source, color=color, line_width=2, legend_label=entry.version)
        plot.scatter("x", "y", source=source, color=color, size=6, name="points")
    plot.add_layout(Span(location=1.0, dimension="width", line_color="#d55e00", line_dash="dashed"))
    plot.add_tools(
        HoverTool(
            tags=["points"],
            tooltips=[
                ("version", "@version"),
                ("chunk", "@chunk"),
                ("score / threshold", "@ratio"),
                ("@method", "@statistic"),
            ],
        )
    )
    plot.yaxis.axis_label = "score / threshold (≥ 1: drift)"
    if plot.legend:
        plot.legend.click_policy = "hide"
    return plot


def build_charts(
    results: PeriodResults,
    version_slugs: Sequence[str],
    features: Sequence[tuple[str, str]],
    x_range: TimeAxis | None = None,
) -> dict[str, list[Model]]:
    """Every chart of the report, grouped by where the page shows them.

    Groups: ``predictions-{v}``, ``drift-{v}``, ``quality-{v}``, ``performance-{v}`` for each
    version slug ``v`` (aligned with ``results.versions``) and ``feature-{f}`` for each
    (name, slug) of ``features``. A group without data is absent or empty. ``x_range``: the
    time axis to share with other charts of the page (default: the period's own).
    """
    x_range = x_range or period_axis(results)
    groups: dict[str, list[Any]] = {}
    names = [name for name, _ in features]
    ratio_mapper = LinearColorMapper(
        palette=list(_RATIO_PALETTE), low=0.0, high=_RATIO_CAP, nan_color="#eeeeee"
    )
    for index, (entry, slug) in enumerate(zip(results.versions, version_slugs, strict=True)):
        color = version_color(index)
        predictions = groups.setdefault(f"predictions-{slug}", [])
        predictions.append(_prediction_chart(entry, results.task, results.chunk, x_range, color))
        prediction = ((entry.overall.get("drift") or {}).get("columns") or {}).get("prediction")
        if isinstance(prediction, Mapping):
            distribution = _distribution_chart(
                f"{entry.version}: predictions over the period against the reference",
                [(entry.version, color, prediction.get("chart") or {})],
                "prediction",
            )
            if distribution is not None:
                predictions.append(distribution)
        overall = feature_columns(entry.overall)
        ordered = sorted(names, key=lambda n: -(drift_ratio(overall.get(n) or {}) or 0.0))
        groups[f"drift-{slug}"] = [
            _heatmap(
                f"{entry.version}: drift score / threshold per feature and chunk (≥ 1: drift)",
                ordered,
                entry.chunks,
                results.chunk,
                x_range,
                _drift_cells(entry, ordered),
                ratio_mapper,
                [
                    ("score / threshold", "@ratio"),
                    ("@method", "@statistic (threshold @threshold)"),
                    ("drifted", "@drifted"),
                ],
                "score / threshold",
            )
        ]
        groups[f"quality-{slug}"] = _quality_charts(entry, names, results.chunk, x_range)
        groups[f"performance-{slug}"] = _performance_charts(
            entry, results.task, results.chunk, x_range, color
        )
    for name, slug in features:
        period_charts = [
            (version, version_color(i), (feature_columns(e.overall).get(name) or {}).get("chart"))
            for i, (e, version) in enumerate((e, e.version) for e in results.versions)
        ]
        group = groups.setdefault(f"feature-{slug}", [])
        distribution = _distribution_chart(
            f"{name}: reference against the period",
            [(v, c, chart) for v, c, chart in period_charts if isinstance(chart, Mapping)],
            name,
        )
        if distribution is not None:
            group.append(distribution)
        group.append(_score_chart(name, results, x_range))
    return {key: [link_hovers(plot) for plot in plots] for key, plots in groups.items()}
