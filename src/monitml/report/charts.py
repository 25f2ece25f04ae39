"""Chart geometry for inline SVG: the maths here, the markup in ``templates/_charts.html``.

Charts compare two distributions (reference and current) given as shares per bin or category.
Histogram bins are drawn in equal slots labelled by their edges, not on a linear value axis: edges
may be quantiles or open-ended (±inf), and equal slots keep every bin readable either way.
"""

from __future__ import annotations

import math
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

from monitml.report.format import as_float, fmt_number, fmt_share

__all__ = ["Bar", "Chart", "Tick", "as_list", "build_chart", "empty_chart", "nice_max"]

WIDTH = 560
_LEGEND_Y = 14
_MAX_EDGE_LABELS = 7
_LABEL_CHARS = 18


@dataclass(frozen=True, slots=True)
class Tick:
    """An axis tick at ``pos`` (pixels along its axis) with a text label."""

    pos: float
    label: str


@dataclass(frozen=True, slots=True)
class Bar:
    """A reference/current pair of rectangles sharing one tooltip."""

    tooltip: str
    ref: tuple[float, float, float, float]
    cur: tuple[float, float, float, float]


@dataclass(frozen=True, slots=True)
class Chart:
    """Everything ``_charts.html`` needs to draw one chart; coordinates are in SVG pixels."""

    kind: str  # "histogram", "bars" or "empty"
    element_id: str
    title: str
    description: str
    width: int
    height: int
    plot: tuple[float, float, float, float] = (0.0, 0.0, 0.0, 0.0)  # left, top, right, bottom
    bars: tuple[Bar, ...] = ()
    x_ticks: tuple[Tick, ...] = ()
    y_ticks: tuple[Tick, ...] = ()
    category_labels: tuple[Tick, ...] = ()
    axis_label: str = ""
    notes: tuple[str, ...] = field(default_factory=tuple)


def nice_max(value: float, ticks: int = 4) -> tuple[float, float]:
    """A round upper bound above ``value`` and the tick step that divides it.

    >>> nice_max(0.37)
    (0.4, 0.1)
    """
    if value <= 0:
        return 0.1, 0.025
    raw = value / ticks
    magnitude = 10 ** math.floor(math.log10(raw))
    step = next(m * magnitude for m in (1, 2, 2.5, 5, 10) if m * magnitude >= raw * (1 - 1e-9))
    top = step * math.ceil(value / step - 1e-9)
    return round(top, 12), step


def as_list(values: Any) -> list[Any]:
    """``values`` as a list when it is a sequence or an array, else empty."""
    if values is None or isinstance(values, str | bytes | Mapping):
        return []
    try:
        return list(values)
    except TypeError:
        return []


def _shares(values: Any, size: int) -> list[float]:
    items = as_list(values)
    shares = [max(as_float(v) or 0.0, 0.0) for v in items[:size]]
    return shares + [0.0] * (size - len(shares))


def _share_ticks(top: float, step: float, to_pixel: Any) -> tuple[Tick, ...]:
    decimals = 0 if step * 100 >= 1 else 1 if step * 1000 >= 1 else 2
    count = round(top / step)
    return tuple(
        Tick(round(to_pixel(i * step), 1), f"{i * step * 100:.{decimals}f}%")
        for i in range(count + 1)
    )


def _r(*values: float) -> tuple[float, float, float, float]:
    a, b, c, d = (round(v, 1) for v in values)
    return a, b, c, d


def _short(label: str) -> str:
    return label if len(label) <= _LABEL_CHARS else label[: _LABEL_CHARS - 1] + "…"


def _biggest_gap(names: Sequence[str], ref: Sequence[float], cur: Sequence[float]) -> str:
    if not names:
        return ""
    gaps = [abs(c - r) for r, c in zip(ref, cur, strict=True)]
    i = max(range(len(gaps)), key=gaps.__getitem__)
    return (
        f"The largest difference is in {names[i]}: {fmt_share(ref[i])} of reference rows "
        f"against {fmt_share(cur[i])} of current rows."
    )


def _histogram(element_id: str, column: str, chart: Mapping[str, Any]) -> Chart:
    raw_edges = as_list(chart.get("edges"))
    size = max(len(raw_edges) - 1, 0)
    if size == 0:
        return empty_chart(element_id, column, "the histogram has no bins")
    ref = _shares(chart.get("reference"), size)
    cur = _shares(chart.get("current"), size)
    edges = [fmt_number(e) for e in raw_edges]
    height = 240
    left, top, right, bottom = 48.0, 30.0, WIDTH - 12.0, height - 40.0
    y_max, y_step = nice_max(max(ref + cur))
    slot = (right - left) / size

    def y_pixel(share: float) -> float:
        return bottom - (bottom - top) * min(share, y_max) / y_max

    bar_width = slot * 0.86 / 2
    names = [f"[{edges[i]}, {edges[i + 1]})" for i in range(size)]
    bars = []
    for i in range(size):
        x = left + slot * i + slot * 0.07
        bars.append(
            Bar(
                tooltip=f"{names[i]}: reference {fmt_share(ref[i])}, current {fmt_share(cur[i])}",
                ref=_r(x, y_pixel(ref[i]), bar_width, bottom - y_pixel(ref[i])),
                cur=_r(x + bar_width, y_pixel(cur[i]), bar_width, bottom - y_pixel(cur[i])),
            )
        )
    every = math.ceil((size + 1) / _MAX_EDGE_LABELS)
    labelled = list(range(0, size + 1, every))
    if labelled[-1] != size:  # always label the last edge, replacing a neighbour it would crowd
        if size - labelled[-1] < every / 2:
            labelled.pop()
        labelled.append(size)
    x_ticks = tuple(Tick(round(left + slot * i, 1), edges[i]) for i in labelled)
    return Chart(
        kind="histogram",
        element_id=element_id,
        title=f"Distribution of {column}: reference against current",
        description=f"Histogram of {size} bins, share of rows per bin. "
        + _biggest_gap(names, ref, cur),
        width=WIDTH,
        height=height,
        plot=(left, top, right, bottom),
        bars=tuple(bars),
        x_ticks=x_ticks,
        y_ticks=_share_ticks(y_max, y_step, y_pixel),
        axis_label=f"{column} (bin edges)",
    )


def _categories(element_id: str, column: str, chart: Mapping[str, Any]) -> Chart:
    names = [str(c) for c in as_list(chart.get("categories"))]
    if not names:
        return empty_chart(element_id, column, "there are no categories to compare")
    ref = _shares(chart.get("reference"), len(names))
    cur = _shares(chart.get("current"), len(names))
    row, bar = 24.0, 9.0
    left, top, right = 132.0, 30.0, WIDTH - 16.0
    bottom = top + row * len(names)
    height = round(bottom + 26)
    x_max, x_step = nice_max(max(ref + cur))

    def x_pixel(share: float) -> float:
        return left + (right - left) * min(share, x_max) / x_max

    bars = []
    for i, name in enumerate(names):
        y = top + row * i + (row - 2 * bar) / 2
        bars.append(
            Bar(
                tooltip=f"{name}: reference {fmt_share(ref[i])}, current {fmt_share(cur[i])}",
                ref=_r(left, y, x_pixel(ref[i]) - left, bar),
                cur=_r(left, y + bar, x_pixel(cur[i]) - left, bar),
            )
        )
    labels = tuple(
        Tick(round(top + row * i + row / 2, 1), _short(name)) for i, name in enumerate(names)
    )
    return Chart(
        kind="bars",
        element_id=element_id,
        title=f"Category shares of {column}: reference against current",
        description=f"Grouped bars for {len(names)} categories, share of rows per category. "
        + _biggest_gap(names, ref, cur),
        width=WIDTH,
        height=height,
        plot=(left, top, right, bottom),
        bars=tuple(bars),
        x_ticks=_share_ticks(x_max, x_step, x_pixel),
        category_labels=labels,
        axis_label="share of rows",
    )


def empty_chart(element_id: str, column: str, why: str) -> Chart:
    """A placeholder that says why there is no distribution to draw."""
    return Chart(
        kind="empty",
        element_id=element_id,
        title=f"No distribution chart for {column}",
        description=f"No chart: {why}.",
        width=WIDTH,
        height=72,
        notes=(f"No chart: {why}.",),
    )


def build_chart(
    element_id: str, column: str, chart: Mapping[str, Any] | None, reason: str | None = None
) -> Chart:
    """The chart of one column from its payload ``chart`` entry (which may be ``None``)."""
    if not isinstance(chart, Mapping):
        return empty_chart(element_id, column, reason or "no distribution was recorded")
    if chart.get("type") == "histogram":
        return _histogram(element_id, column, chart)
    if chart.get("type") == "bars":
        return _categories(element_id, column, chart)
    return empty_chart(element_id, column, f"unknown chart type {chart.get('type')!r}")
