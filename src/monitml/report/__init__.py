"""Render drift comparisons as self-contained HTML reports and stable JSON.

This layer sits below ``analysis`` and ``monitor``: it turns a plain ``monitml.drift/1`` payload
into text and never touches the store or computes statistics.
"""

from monitml.report.html import render_html, write_html
from monitml.report.json import to_json, to_jsonable
from monitml.report.view import DRIFT_FORMAT

__all__ = ["DRIFT_FORMAT", "render_html", "to_json", "to_jsonable", "write_html"]
