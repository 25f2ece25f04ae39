"""Render a drift comparison as one self-contained HTML file.

The page has no external resources: CSS is inline, charts are inline SVG drawn here, and a few
lines of vanilla JS sort and filter the verdict table. It opens offline and can be mailed.
Templates share ``base.html`` (layout, styles, blocks) so other page types can extend it.
"""

from __future__ import annotations

import functools
import os
from collections.abc import Mapping
from pathlib import Path
from typing import Any

import jinja2

from monitml.report.view import build_drift_view

__all__ = ["render_html", "write_html"]


@functools.cache
def environment() -> jinja2.Environment:
    """The template environment: autoescaping on, undefined names are errors."""
    return jinja2.Environment(
        loader=jinja2.PackageLoader("monitml.report", "templates"),
        autoescape=True,
        undefined=jinja2.StrictUndefined,
        trim_blocks=True,
        lstrip_blocks=True,
    )


def render_html(payload: Mapping[str, Any], *, title: str | None = None) -> str:
    """The HTML report of a ``monitml.drift/1`` payload.

    Raises ``DataError`` when the payload is not of that format.
    """
    view = build_drift_view(payload, title=title)
    return environment().get_template("drift.html").render(view=view)


def write_html(
    payload: Mapping[str, Any], path: str | os.PathLike[str], *, title: str | None = None
) -> Path:
    """Render ``payload`` and write it to ``path`` as UTF-8; returns the path written."""
    target = Path(path)
    target.write_text(render_html(payload, title=title), encoding="utf-8")
    return target
