"""The written report in real headless Chromium, opened from disk with the network off."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from monitml.report import write_html

from .conftest import CLASSIFICATION

pytestmark = [
    pytest.mark.e2e,
    pytest.mark.timeout(120),
]


@pytest.fixture
def page(browser: Any) -> Iterator[Any]:
    context = browser.new_context(offline=True, viewport={"width": 1280, "height": 900})
    requested: list[str] = []

    def only_files(route: Any) -> None:
        # Anything but the report file itself would be a leak: record it and refuse it.
        if route.request.url.startswith("file://"):
            route.continue_()
        else:
            requested.append(route.request.url)
            route.abort()

    context.route("**/*", only_files)
    page = context.new_page()
    errors: list[str] = []
    page.on("pageerror", lambda exc: errors.append(str(exc)))
    yield page
    context.close()
    assert requested == []
    assert errors == []


def column_order(page: Any) -> list[str]:
    return list(
        page.eval_on_selector_all("#drift-table tbody tr", "rs => rs.map(r => r.dataset.column)")
    )


def test_report_opens_offline_sorts_and_draws_every_chart(
    page: Any, tmp_path: Path, payload: dict[str, Any]
) -> None:
    payload["performance"] = CLASSIFICATION
    report = write_html(payload, tmp_path / "report.html")
    page.goto(report.as_uri())

    assert page.get_by_test_id("verdict").inner_text() == "Dataset drift detected"
    assert page.title() == "Data drift report"
    charts = page.locator("svg.chart")
    assert charts.count() == len(payload["columns"])
    for name in payload["columns"]:
        chart = page.locator(f"svg#chart-{name.replace('_', '-')}")
        assert chart.count() == 1
        assert chart.is_visible()
        box = chart.bounding_box()
        assert box is not None
        assert box["width"] > 200

    before = column_order(page)
    assert before[0] == "tailnum"
    page.get_by_role("button", name="column").click()
    after = column_order(page)
    assert after == sorted(before)
    assert after != before
    header = page.locator("#drift-table thead th").first
    assert header.get_attribute("aria-sort") == "ascending"

    page.get_by_role("button", name="p-value").click()  # smallest p first, nulls last
    assert column_order(page)[:3] == ["carrier", "arr_delay", "distance"]

    page.get_by_label("Drifted only").check()
    visible = page.locator("#drift-table tbody tr:visible")
    assert visible.count() == payload["drifted_columns"]

    page.screenshot(path=str(tmp_path / "report.png"), full_page=True)
    assert (tmp_path / "report.png").stat().st_size > 10_000


def test_report_fits_a_phone_screen(page: Any, tmp_path: Path, payload: dict[str, Any]) -> None:
    report = write_html(payload, tmp_path / "report.html")
    page.set_viewport_size({"width": 390, "height": 844})
    page.goto(report.as_uri())
    overflow = page.evaluate("document.documentElement.scrollWidth - window.innerWidth")
    assert overflow <= 0
    page.screenshot(path=str(tmp_path / "phone.png"))
