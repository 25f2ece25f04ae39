"""Bokeh charts of the model page, as ``json_item`` dicts that the page embeds.

Bokeh is imported inside each function: importing the gateway (which mounts the dashboard) must
not load it; the first page that draws a chart does.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

from monitml.dashboard.queries import Bucketed, SeriesPoint

__all__ = ["drift_heatmap", "performance_chart", "prediction_chart"]

_HEIGHT = 260
_TOOLS = "pan,box_zoom,reset,save"


def _palette(count: int) -> Sequence[str]:
    from bokeh.palettes import Category10  # noqa: PLC0415

    colours: Sequence[str] = Category10[10]
    return [colours[i % len(colours)] for i in range(count)]


def _figure(title: str, **options: Any) -> Any:
    from bokeh.plotting import figure  # noqa: PLC0415

    chart = figure(
        title=title,
        height=_HEIGHT,
        sizing_mode="stretch_width",
        tools=_TOOLS,
        toolbar_location="right",
        **options,
    )
    chart.toolbar.logo = None
    return chart


def _item(chart: Any) -> dict[str, Any]:
    from bokeh.embed import json_item  # noqa: PLC0415

    item: dict[str, Any] = dict(json_item(chart))
    return item


def prediction_chart(series: Mapping[str, Sequence[SeriesPoint]]) -> dict[str, Any]:
    """Mean prediction per version over time, with a band from the windows' min to max."""
    from bokeh.models import ColumnDataSource, HoverTool  # noqa: PLC0415

    chart = _figure("Prediction mean, min and max per version", x_axis_type="datetime")
    for (version, points), colour in zip(series.items(), _palette(len(series)), strict=True):
        source = ColumnDataSource(
            {
                "at": [p.at * 1000.0 for p in points],
                "mean": [p.mean for p in points],
                "low": [p.low for p in points],
                "high": [p.high for p in points],
                "windows": [p.windows for p in points],
            }
        )
        chart.varea(x="at", y1="low", y2="high", source=source, color=colour, alpha=0.15)
        line = chart.line(
            x="at", y="mean", source=source, color=colour, line_width=2, legend_label=version
        )
        chart.add_tools(
            HoverTool(
                renderers=[line],
                tooltips=[
                    ("version", version),
                    ("time", "@at{%F %H:%M}"),
                    ("mean", "@mean{0.[000]}"),
                    ("min", "@low{0.[000]}"),
                    ("max", "@high{0.[000]}"),
                    ("windows", "@windows"),
                ],
                formatters={"@at": "datetime"},
            )
        )
    chart.legend.location = "top_left"
    chart.legend.click_policy = "hide"
    return _item(chart)


def drift_heatmap(grid: Bucketed, version: str, features: Sequence[str]) -> dict[str, Any]:
    """Feature × time: the share of the windows in each bucket in which the feature drifted."""
    from bokeh.models import ColumnDataSource, HoverTool, LinearColorMapper  # noqa: PLC0415
    from bokeh.models.annotations import ColorBar  # noqa: PLC0415
    from bokeh.palettes import Reds9  # noqa: PLC0415

    at, feature, share = [], [], []
    for name in features:
        for index, value in sorted(grid.values.get((version, name), {}).items()):
            at.append((grid.bucket_start(index) + grid.step / 2) * 1000.0)
            feature.append(name)
            share.append(value)
    height = max(_HEIGHT, 40 + 22 * len(features))
    chart = _figure(
        f"Drift of {version}: share of windows drifted",
        x_axis_type="datetime",
        y_range=list(reversed(features)),
    )
    chart.height = height
    mapper = LinearColorMapper(palette=list(reversed(Reds9)), low=0.0, high=1.0)
    source = ColumnDataSource({"at": at, "feature": feature, "share": share})
    cells = chart.rect(
        x="at",
        y="feature",
        width=grid.step * 1000.0,
        height=0.9,
        source=source,
        fill_color={"field": "share", "transform": mapper},
        line_color=None,
    )
    chart.add_tools(
        HoverTool(
            renderers=[cells],
            tooltips=[
                ("feature", "@feature"),
                ("from", "@at{%F %H:%M}"),
                ("drifted", "@share{0%}"),
            ],
            formatters={"@at": "datetime"},
        )
    )
    chart.add_layout(ColorBar(color_mapper=mapper, width=10), "right")
    chart.grid.grid_line_color = None
    return _item(chart)


def performance_chart(
    grid: Bucketed, metrics: Sequence[str], versions: Sequence[str], shown: str
) -> dict[str, Any]:
    """Every performance metric per version over time in one figure (labelled windows only).

    Only ``shown`` is drawn at first (the metrics differ in scale); clicking a legend entry
    shows or hides a metric. One figure rather than one per metric: each Bokeh figure costs
    tens of milliseconds to build and serialise.
    """
    chart = _figure("Performance on labelled windows", x_axis_type="datetime")
    lines = [(v, m) for m in metrics for v in versions if grid.values.get((v, m))]
    for (version, metric), colour in zip(lines, _palette(len(lines)), strict=True):
        cells = sorted(grid.values[(version, metric)].items())
        xs = [(grid.bucket_start(i) + grid.step / 2) * 1000.0 for i, _ in cells]
        ys = [value for _, value in cells]
        line = chart.line(xs, ys, color=colour, line_width=2, legend_label=f"{metric} {version}")
        line.visible = metric == shown
    chart.legend.location = "top_left"
    chart.legend.click_policy = "hide"
    return _item(chart)
