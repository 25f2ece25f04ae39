"""Render a :class:`PeriodResults` as one self-contained HTML file with interactive charts.

Charts are Bokeh plots; BokehJS (``bokeh.min.js`` only, ~1.3 MB, no widgets, GL or MathJax) is
inlined once, and every plot's data travels in one document script. Nothing is fetched: the
file opens offline and can be mailed. Bokeh is imported here, when a report is rendered, and
nowhere else.
"""

from __future__ import annotations

import os
from pathlib import Path

from markupsafe import Markup

from monitml.report.html import environment
from monitml.report.period import PeriodResults
from monitml.report.period_explain import build_explanations
from monitml.report.period_view import build_period_view

__all__ = ["render_period_html", "write_period_html"]


def render_period_html(results: PeriodResults, *, title: str | None = None) -> str:
    """The period report of ``results`` as an HTML document."""
    from bokeh.document import Document  # noqa: PLC0415
    from bokeh.embed import components  # noqa: PLC0415
    from bokeh.resources import Resources  # noqa: PLC0415

    from monitml.report.period_charts import build_charts, period_axis  # noqa: PLC0415
    from monitml.report.period_signals import build_signal_charts  # noqa: PLC0415

    view = build_period_view(results, title)
    slugs = [v.slug for v in view.versions]
    x_range = period_axis(results)  # one time axis: zooming a chart zooms them all
    groups = build_charts(results, slugs, view.features, x_range)
    groups |= build_signal_charts(results, slugs, x_range)
    flat = {f"{group}-{i}": plot for group, plots in groups.items() for i, plot in enumerate(plots)}
    document = Document()
    # Each add_root re-walks every model already in the document: frozen, it walks once.
    with document.models.freeze():
        for plot in flat.values():
            document.add_root(plot)
    script, divs = components(flat) if flat else ("", {})
    charts = {
        group: [Markup(divs[f"{group}-{i}"]) for i in range(len(plots))]
        for group, plots in groups.items()
    }
    bokeh_js = Resources(mode="inline", components=["bokeh"]).render_js() if flat else ""
    return (
        environment()
        .get_template("period.html")
        .render(
            view=view,
            charts=charts,
            bokeh_js=Markup(bokeh_js),
            bokeh_script=Markup(script),
            explanations=build_explanations(results),
        )
    )


def write_period_html(
    results: PeriodResults, path: str | os.PathLike[str], *, title: str | None = None
) -> Path:
    """Render ``results`` and write it to ``path`` as UTF-8; returns the path written."""
    target = Path(path)
    target.write_text(render_period_html(results, title=title), encoding="utf-8")
    return target
