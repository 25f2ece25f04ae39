"""A small self-contained HTML page for a ``monitml.estimate/1`` payload.

One inline SVG chart per metric (the estimate with its band, the realised value where labels
exist, the reference thresholds dashed) and one table; no script, no external resource.
"""

from __future__ import annotations

import html
from collections.abc import Mapping, Sequence
from typing import Any

from monitml.report.format import as_float, fmt_number

__all__ = ["render_estimate_html"]

_W, _H, _PAD = 640, 180, 40
_STYLE = (
    "body{font:14px system-ui,sans-serif;margin:2em;color:#222}"
    "table{border-collapse:collapse}td,th{padding:2px 8px;border-bottom:1px solid #ddd;"
    "text-align:right}th:first-child,td:first-child{text-align:left}.alert{color:#b00;"
    "font-weight:bold}svg{background:#fafafa;margin:0.5em 0}"
)


def _points(
    values: Sequence[float | None], low: float, high: float
) -> list[tuple[float, float] | None]:
    count = max(len(values) - 1, 1)
    span = (high - low) or 1.0
    points: list[tuple[float, float] | None] = []
    for i, value in enumerate(values):
        if value is None:
            points.append(None)
            continue
        x = _PAD + i * (_W - 2 * _PAD) / count
        y = _H - _PAD / 2 - (value - low) / span * (_H - _PAD)
        points.append((round(x, 1), round(y, 1)))
    return points


def _path(points: Sequence[tuple[float, float] | None]) -> str:
    return " ".join(f"{x},{y}" for point in points if point is not None for x, y in [point])


def _chart(name: str, rows: Sequence[Mapping[str, Any]]) -> str:
    series = {
        key: [as_float(row.get(key)) for row in rows]
        for key in ("estimated", "lower", "upper", "realized", "lower_threshold", "upper_threshold")
    }
    known = [v for values in series.values() for v in values if v is not None]
    if not known:
        return ""
    low, high = min(known), max(known)
    margin = (high - low) * 0.05 or 0.01
    low, high = low - margin, high + margin
    pts = {key: _points(values, low, high) for key, values in series.items()}
    band = [p for p in pts["upper"] if p] + [p for p in reversed(pts["lower"]) if p]
    parts = [
        f'<svg width="{_W}" height="{_H}" role="img" aria-label="{html.escape(name)} per chunk">',
        f'<polygon points="{_path(band)}" fill="#9ecae1" opacity="0.5"/>',
        f'<polyline points="{_path(pts["estimated"])}" fill="none" stroke="#08519c" '
        'stroke-width="2"/>',
    ]
    for key in ("lower_threshold", "upper_threshold"):
        parts.append(
            f'<polyline points="{_path(pts[key])}" fill="none" stroke="#b00" '
            'stroke-dasharray="4 3"/>'
        )
    parts += [
        f'<circle cx="{x}" cy="{y}" r="3" fill="#e6550d"><title>realised</title></circle>'
        for point in pts["realized"]
        if point is not None
        for x, y in [point]
    ]
    parts.append(f'<text x="4" y="14">{html.escape(fmt_number(high))}</text>')
    parts.append(f'<text x="4" y="{_H - 4}">{html.escape(fmt_number(low))}</text>')
    parts.append("</svg>")
    return "".join(parts)


def render_estimate_html(payload: Mapping[str, Any], *, title: str | None = None) -> str:
    """The page for one estimate; every value is escaped."""
    chunks: list[Mapping[str, Any]] = list(payload.get("chunks", []))
    names = list(chunks[0]["metrics"]) if chunks else []
    heading = title or f"Estimated performance ({payload.get('task')}, {payload.get('method')})"
    body = [
        f"<h1>{html.escape(heading)}</h1>",
        f"<p>{len(chunks)} chunks of {html.escape(str(payload.get('chunking')))}; band ± "
        f"{html.escape(str(payload.get('band', {}).get('sigmas')))} standard errors. "
        "Blue: estimate and band; orange: realised; red dashes: reference thresholds.</p>",
    ]
    for name in names:
        body.append(f"<h2>{html.escape(name)}</h2>")
        body.append(_chart(name, [chunk["metrics"][name] for chunk in chunks]))
    header = "".join(f"<th>{html.escape(n)}</th>" for n in names)
    body.append(f"<table><tr><th>chunk</th><th>start</th><th>end</th>{header}</tr>")
    for chunk in chunks:
        cells = []
        for name in names:
            metric = chunk["metrics"][name]
            text = fmt_number(metric.get("estimated"))
            if metric.get("realized") is not None:
                text += f" ({fmt_number(metric['realized'])})"
            css = ' class="alert"' if metric.get("alert") else ""
            cells.append(f"<td{css}>{html.escape(text)}</td>")
        body.append(
            f"<tr><td>{chunk['index']}</td><td>{html.escape(str(chunk['start']))}</td>"
            f"<td>{html.escape(str(chunk['end']))}</td>{''.join(cells)}</tr>"
        )
    body.append("</table><p>Cells: estimate (realised). Bold red: outside the thresholds.</p>")
    return (
        f'<!doctype html><html lang="en"><head><meta charset="utf-8"><title>{html.escape(heading)}'
        f"</title><style>{_STYLE}</style></head><body>{''.join(body)}</body></html>"
    )
