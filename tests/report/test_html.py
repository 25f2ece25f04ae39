from __future__ import annotations

import re
from collections.abc import Callable
from html.parser import HTMLParser
from pathlib import Path
from typing import Any

import jinja2
import pytest

from monitml.errors import DataError
from monitml.report import render_html, write_html
from monitml.report.html import environment

from .conftest import CLASSIFICATION

VOID = {"area", "base", "br", "col", "embed", "hr", "img", "input", "link", "meta", "source", "wbr"}
SVG_SELF_CLOSING = {"rect", "line", "path", "circle"}


class Structure(HTMLParser):
    """Collects ids, elements and attributes, and fails on unbalanced tags."""

    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.stack: list[str] = []
        self.ids: list[str] = []
        self.elements: list[tuple[str, dict[str, str]]] = []
        self.errors: list[str] = []
        self.text: list[str] = []

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        attributes = {k: v or "" for k, v in attrs}
        self.elements.append((tag, attributes))
        if "id" in attributes:
            self.ids.append(attributes["id"])
        if tag not in VOID:
            self.stack.append(tag)

    def handle_startendtag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        attributes = {k: v or "" for k, v in attrs}
        self.elements.append((tag, attributes))
        if tag not in VOID | SVG_SELF_CLOSING:
            self.errors.append(f"self-closed <{tag}/>")

    def handle_endtag(self, tag: str) -> None:
        if not self.stack or self.stack[-1] != tag:
            self.errors.append(f"</{tag}> closes <{self.stack[-1] if self.stack else None}>")
            return
        self.stack.pop()

    def handle_data(self, data: str) -> None:
        self.text.append(data)


def parse(html: str) -> Structure:
    parser = Structure()
    parser.feed(html)
    parser.close()
    return parser


def svg_ids(structure: Structure) -> list[str]:
    return [a["id"] for tag, a in structure.elements if tag == "svg" and "id" in a]


def test_the_report_is_well_formed_html_with_unique_ids(payload: dict[str, Any]) -> None:
    html = render_html(payload)
    structure = parse(html)
    assert html.startswith("<!doctype html>")
    assert structure.errors == []
    assert structure.stack == []
    assert len(structure.ids) == len(set(structure.ids))


def test_every_column_has_one_chart_with_an_accessible_title(payload: dict[str, Any]) -> None:
    structure = parse(render_html(payload))
    expected = {f"chart-{name.replace('_', '-')}" for name in payload["columns"]}
    assert sorted(svg_ids(structure)) == sorted(expected)
    for chart_id in expected:
        assert f"{chart_id}-title" in structure.ids
        assert f"{chart_id}-desc" in structure.ids


def test_chart_kinds_follow_the_column_kinds(payload: dict[str, Any]) -> None:
    html = render_html(payload)
    assert re.search(r'<svg class="chart chart-histogram" id="chart-arr-delay"', html)
    assert re.search(r'<svg class="chart chart-bars" id="chart-carrier"', html)
    assert re.search(r'<svg class="chart chart-empty" id="chart-tailnum"', html)
    assert "No chart: column is empty in current." in html
    # one tooltip per histogram bin and per category
    histogram = html.split('id="chart-arr-delay"')[1].split("</svg>")[0]
    assert (
        histogram.count('<g class="bin">')
        == len(payload["columns"]["arr_delay"]["chart"]["edges"]) - 1
    )
    bars = html.split('id="chart-carrier"')[1].split("</svg>")[0]
    assert bars.count('<g class="bin">') == 7
    assert "(other): reference 18.0%, current 24.0%" in bars


@pytest.mark.parametrize(
    ("drift", "headline"),
    [
        pytest.param(True, "Dataset drift detected", id="drift"),
        pytest.param(False, "No dataset drift", id="no-drift"),
    ],
)
def test_the_header_states_the_verdict(
    make_payload: Callable[..., dict[str, Any]], drift: bool, headline: str
) -> None:
    html = render_html(make_payload(dataset_drift=drift))
    assert f'data-testid="verdict">{headline}</p>' in html
    assert "4 of 8 columns drifted (50.0%)" in html
    assert "reaches 50.0%" in html


def test_verdict_table_lists_drifted_columns_first_by_effect_size(payload: dict[str, Any]) -> None:
    html = render_html(payload)
    order = re.findall(r'<tr class="[^"]*" data-column="([^"]+)"', html)
    # the schema change leads the drifted, then effect size descending; unscored columns trail
    assert order == [
        "tailnum",
        "dep_delay",
        "carrier",
        "arr_delay",
        "origin",
        "distance",
        "hour",
        "air_time",
    ]


def test_numbers_are_formatted_and_nan_never_shows(payload: dict[str, Any]) -> None:
    html = render_html(payload)
    text = " ".join(parse(html).text)
    assert "1.0e-9" in text  # arr_delay p-value
    assert "< 1e-300" in text  # carrier p-value underflowed
    assert not re.search(r"\bnan\b|\bNaN\b|\binf\b|Infinity", text)
    assert not re.search(r'="[^"]*\bnan\b', html)  # nor in attributes (data-sort, coordinates)


def test_the_report_loads_nothing_from_the_network(payload: dict[str, Any]) -> None:
    html = render_html(payload)
    assert not re.search(r"""(?:src|href|action)\s*=\s*["']?\s*(?:https?:)?//""", html, re.I)
    assert not re.search(r"url\(\s*['\"]?(?:https?:)?//", html, re.I)
    assert "@import" not in html
    assert "http://" not in html
    assert "https://" not in html
    structure = parse(html)
    assert [a for tag, a in structure.elements if tag in {"link", "img", "iframe"}] == []
    assert [a for tag, a in structure.elements if tag == "script" and "src" in a] == []


def test_hostile_column_names_are_escaped(payload: dict[str, Any]) -> None:
    hostile = '<script>alert("x")</script>'
    payload["columns"][hostile] = payload["columns"].pop("carrier")
    payload["quality"]["columns"][hostile] = payload["quality"]["columns"].pop("carrier")
    payload["quality"]["issues"].append(f"current: {hostile} has unseen categories")
    payload["columns"]["origin"]["chart"]["categories"][0] = "<img src=x onerror=alert(1)>"
    html = render_html(payload)
    assert hostile not in html
    assert "<img" not in html
    assert "&lt;script&gt;alert(&#34;x&#34;)&lt;/script&gt;" in html
    assert html.count("<script>") == 1  # only the page's own sorting script
    structure = parse(html)
    assert structure.errors == []
    assert "chart-script-alert-x-script" in svg_ids(structure)


def test_colliding_slugs_get_distinct_ids(payload: dict[str, Any]) -> None:
    payload["columns"]["arr delay"] = dict(payload["columns"]["arr_delay"])
    structure = parse(render_html(payload))
    assert {"chart-arr-delay", "chart-arr-delay-2"} <= set(svg_ids(structure))
    assert len(structure.ids) == len(set(structure.ids))


def test_quality_section_highlights_findings(payload: dict[str, Any]) -> None:
    html = render_html(payload)
    quality = html.split('id="quality"')[1].split("</section>")[0]
    assert "current: &#39;tailnum&#39; is entirely empty" in quality
    assert "1 unseen category (2.0% of rows)" in quality
    assert "<code>XX</code>" in quality
    assert "1.0% out of reference range" in quality
    assert "type mismatch: int64 → string" in quality
    assert '<span class="badge warn">constant</span>' in quality
    assert '<span class="badge bad">empty in current</span>' in quality
    card = html.split('id="col-arr-delay"')[1].split("</article>")[0]
    for label in ("Min", "p5", "p25", "Median", "p75", "p95", "Max", "Mean", "Std"):
        assert f"<td>{label}</td>" in card


def test_regression_performance_compares_metrics(payload: dict[str, Any]) -> None:
    html = render_html(payload)
    performance = html.split('id="performance"')[1].split("</section>")[0]
    assert "Regression" in performance
    assert '<td>RMSE</td><td class="num">38.2</td><td class="num">44</td>' in performance
    assert '<span class="trend worse">−0.11 ▼</span>' in performance  # R² fell


def test_classification_performance_shows_confusion_matrices(
    make_payload: Callable[..., dict[str, Any]],
) -> None:
    html = render_html(make_payload(performance=CLASSIFICATION))
    performance = html.split('id="performance"')[1].split("</section>")[0]
    assert "Reference confusion matrix" in performance
    assert "Current confusion matrix" in performance
    assert performance.count('<table class="cm"') == 2
    assert ">6,200</td>" in performance
    assert ">1,548</td>" in performance
    assert "<td>ROC AUC</td>" in performance


def test_performance_section_is_absent_without_performance(
    make_payload: Callable[..., dict[str, Any]],
) -> None:
    html = render_html(make_payload(performance=None))
    assert 'id="performance"' not in html
    assert 'href="#performance"' not in html


def test_a_minimal_payload_renders() -> None:
    html = render_html({"format": "monitml.drift/1", "columns": {}})
    assert parse(html).errors == []
    assert "No dataset drift" in html


def test_other_formats_are_refused() -> None:
    with pytest.raises(DataError, match=r"format 'monitml\.drift/1'\. Got 'monitml\.drift/2'"):
        render_html({"format": "monitml.drift/2", "columns": {}})


def test_the_title_can_be_set(payload: dict[str, Any]) -> None:
    html = render_html(payload, title="Flights: <June> vs May")
    assert "<title>Flights: &lt;June&gt; vs May</title>" in html
    assert "<h1>Flights: &lt;June&gt; vs May</h1>" in html


def test_twenty_columns_with_forty_bins_stay_small(payload: dict[str, Any]) -> None:
    template = payload["columns"]["arr_delay"]
    for i in range(20):
        column = dict(template)
        column["chart"] = {
            "type": "histogram",
            "edges": [j * 1.2345678 for j in range(41)],
            "reference": [1 / 40] * 40,
            "current": [1 / 40] * 40,
        }
        payload["columns"][f"feature_{i:02d}"] = column
    size = len(render_html(payload).encode())
    assert size < 300_000


def test_write_html_writes_utf8(tmp_path: Path, payload: dict[str, Any]) -> None:
    written = write_html(payload, tmp_path / "report.html")
    assert written == tmp_path / "report.html"
    assert written.read_text(encoding="utf-8") == render_html(payload)


def test_the_base_layout_serves_other_page_types() -> None:
    page = environment().from_string(
        '{% extends "base.html" %}{% block title %}Batch{% endblock %}'
        "{% block content %}<p>{{ body }}</p>{% endblock %}"
    )
    html = page.render(body="<chunks>")
    assert "<title>Batch</title>" in html
    assert "<p>&lt;chunks&gt;</p>" in html
    assert "--ref: #0072b2" in html  # shared styles come along


def test_templates_fail_loudly_on_undefined_names() -> None:
    with pytest.raises(jinja2.UndefinedError):
        environment().from_string("{{ missing.attribute }}").render()
