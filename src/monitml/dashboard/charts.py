"""The model page's charts as compact JSON data; the browser draws them with BokehJS.

The server used to build each figure with Bokeh and serialise it (``json_item``): 32–42 ms
(median) for even an empty figure at load 4 on the shared 2 cores, 50–170 ms a chart of the page
at load 7–10 (85% of a 30-day page), and 0.5–0.9 s to import Bokeh on a process's first page.
Now it sends only what the charts show: a few arrays per series (at most ``SERIES_BUCKETS``
points, ``HEATMAP_BUCKETS`` columns: the reads downsample in SQL). ``static/charts.js`` builds
the figures from this with BokehJS's own API (``Bokeh.Plotting``, served from Bokeh's package
beside ``bokeh.min.js``), so the server never imports Bokeh.

Every spec has ``kind`` (which drawing function) and ``title``; times are epoch milliseconds
(what a Bokeh datetime axis takes).

>>> prediction_chart({"v1": [SeriesPoint(60.0, 2.0, 1.0, 3.0, 4)]})["series"][0]["mean"]
[2.0]
"""

from __future__ import annotations

import math
from collections.abc import Iterable, Mapping, Sequence
from typing import Any

from monitml.dashboard.queries import Bucketed, SeriesPoint

__all__ = ["drift_heatmap", "performance_chart", "prediction_chart"]


def _finite(values: Iterable[float]) -> list[float | None]:
    # JSON has no NaN (the browser's JSON.parse refuses it): a missing value is null.
    return [v if math.isfinite(v) else None for v in values]


def _centres_ms(grid: Bucketed, indices: Sequence[int]) -> list[float]:
    return [(grid.bucket_start(i) + grid.step / 2) * 1000.0 for i in indices]


def prediction_chart(series: Mapping[str, Sequence[SeriesPoint]]) -> dict[str, Any]:
    """Mean prediction per version over time, with a band from the windows' min to max."""
    return {
        "kind": "predictions",
        "title": "Prediction mean, min and max per version",
        "series": [
            {
                "version": version,
                "at": [p.at * 1000.0 for p in points],
                "mean": _finite(p.mean for p in points),
                "low": _finite(p.low for p in points),
                "high": _finite(p.high for p in points),
                "windows": [p.windows for p in points],
            }
            for version, points in series.items()
        ],
    }


def drift_heatmap(grid: Bucketed, version: str, features: Sequence[str]) -> dict[str, Any]:
    """Feature × time: the share of the windows in each bucket in which the feature drifted.

    ``features`` top to bottom; one cell per (feature, bucket) that has windows.
    """
    at: list[float] = []
    feature: list[str] = []
    share: list[float | None] = []
    for name in features:
        cells = sorted(grid.values.get((version, name), {}).items())
        at.extend(_centres_ms(grid, [index for index, _ in cells]))
        feature.extend([name] * len(cells))
        share.extend(_finite(value for _, value in cells))
    return {
        "kind": "drift",
        "title": f"Drift of {version}: share of windows drifted",
        "features": list(features),
        "width": grid.step * 1000.0,
        "at": at,
        "feature": feature,
        "share": share,
    }


def performance_chart(
    grid: Bucketed,
    metrics: Sequence[str],
    versions: Sequence[str],
    shown: str,
    estimated: Bucketed | None = None,
) -> dict[str, Any]:
    """Every performance metric per version over time in one figure.

    Realised metrics (labelled windows) are solid lines; ``estimated`` metrics (CBPE, DLE, on
    windows whose labels have not arrived) are dashed, so the two can be read side by side once
    labels come. Only ``shown`` is drawn at first (the metrics differ in scale); clicking a
    legend entry shows or hides a line.
    """
    lines = []
    sources = [("", grid, "solid")]
    if estimated is not None:
        sources.append(("estimated ", estimated, "dashed"))
    for metric in metrics:
        for version in versions:
            for prefix, source, dash in sources:
                cells = sorted(source.values.get((version, metric), {}).items())
                if not cells:
                    continue
                lines.append(
                    {
                        "label": f"{prefix}{metric} {version}",
                        "visible": metric == shown,
                        "dash": dash,
                        "at": _centres_ms(source, [index for index, _ in cells]),
                        "value": _finite(value for _, value in cells),
                    }
                )
    title = "Performance on labelled windows"
    if estimated is not None and estimated.values:
        title = "Performance: realised (labelled windows) and estimated (dashed, no labels yet)"
    return {"kind": "performance", "title": title, "lines": lines}
