"""Render drift comparisons as self-contained HTML reports and stable JSON.

This layer sits below ``analysis`` and ``monitor``: it turns a plain ``monitml.drift/1`` payload
into text and never touches the store or computes statistics.

The HTML renderer (Jinja2 and the page views) loads when first asked for: a command that
only writes JSON, such as ``monitml drift --json``, never imports it.
"""

from __future__ import annotations

import importlib
from typing import TYPE_CHECKING, Any

from monitml.report.json import to_json, to_jsonable

if TYPE_CHECKING:
    from monitml.report.html import render_html, write_html
    from monitml.report.view import DRIFT_FORMAT

__all__ = ["DRIFT_FORMAT", "render_html", "to_json", "to_jsonable", "write_html"]

_LAZY = {
    "DRIFT_FORMAT": "monitml.report.view",
    "render_html": "monitml.report.html",
    "write_html": "monitml.report.html",
}


def __getattr__(name: str) -> Any:
    module = _LAZY.get(name)
    if module is None:
        raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
    return getattr(importlib.import_module(module), name)
