"""The period report in real headless Chromium, opened from disk with the network off."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from monitml.report.period_html import write_period_html

from .period_builder import year_of_flights

ARTIFACTS = Path(__file__).resolve().parents[2] / "test-artifacts"

pytestmark = [pytest.mark.e2e, pytest.mark.timeout(180)]

# Each Bokeh root renders into shadow DOMs; a drawn plot has a canvas with ink on it there.
DRAWN_PLOTS = """
() => Array.from(document.querySelectorAll("[data-root-id]")).map((root) => {
  const canvases = [];
  const walk = (node) => {
    if (node.shadowRoot) walk(node.shadowRoot);
    for (const child of node.children || []) {
      if (child.tagName === "CANVAS") canvases.push(child);
      walk(child);
    }
  };
  walk(root);
  const inked = (canvas) => {
    if (!canvas.width || !canvas.height) return false;
    const pixels = canvas.getContext("2d").getImageData(0, 0, canvas.width, canvas.height).data;
    for (let i = 3; i < pixels.length; i += 4 * 7) if (pixels[i] > 0) return true;
    return false;
  };
  // The root itself is display: contents; the figure inside it has the size.
  const figure = root.firstElementChild || root;
  return {
    id: root.id,
    canvases: canvases.filter(inked).length,
    width: figure.getBoundingClientRect().width,
  };
})
"""


@pytest.fixture(scope="module")
def report(tmp_path_factory: pytest.TempPathFactory) -> Path:
    folder = tmp_path_factory.mktemp("period-report")
    return write_period_html(year_of_flights(), folder / "report.html")


@pytest.fixture
def page(browser: Any) -> Iterator[tuple[Any, list[str], list[str]]]:
    context = browser.new_context(offline=True, viewport={"width": 1280, "height": 900})
    leaks: list[str] = []
    problems: list[str] = []

    def only_files(route: Any) -> None:
        if route.request.url.startswith("file://"):
            route.continue_()
        else:
            leaks.append(route.request.url)
            route.abort()

    context.route("**/*", only_files)
    page = context.new_page()
    page.on("pageerror", lambda exc: problems.append(f"page error: {exc}"))
    page.on(
        "console",
        lambda msg: problems.append(f"console: {msg.text}") if msg.type == "error" else None,
    )
    page.on("requestfailed", lambda req: problems.append(f"failed request: {req.url}"))
    yield page, leaks, problems
    context.close()


def test_the_report_opens_offline_and_draws_every_chart(
    page: tuple[Any, list[str], list[str]], report: Path
) -> None:
    tab, leaks, problems = page
    tab.goto(report.as_uri())
    tab.wait_for_function(
        "() => document.querySelectorAll('[data-root-id]').length > 0 && "
        "window.Bokeh !== undefined && Bokeh.documents.length === 1"
    )
    tab.wait_for_timeout(500)  # the last plots paint after the document is idle
    plots = tab.evaluate(DRAWN_PLOTS)
    assert len(plots) == 2 * (2 + 1 + 3 + 3 + 2) + 15 * 2  # 2: estimated MAE, RMSE
    blank = [p["id"] for p in plots if p["canvases"] == 0 or p["width"] < 200]
    assert blank == []
    assert tab.get_by_test_id("verdict").inner_text().startswith("v1: no dataset drift")
    assert tab.title() == "Monitoring report: flights"
    ARTIFACTS.mkdir(exist_ok=True)
    shot = ARTIFACTS / "period-report.png"
    tab.screenshot(path=str(shot), full_page=True)
    print(f"screenshot: {shot}")
    assert shot.stat().st_size > 50_000
    assert leaks == []
    assert problems == []


def test_hovering_a_heatmap_cell_shows_its_ratio(
    page: tuple[Any, list[str], list[str]], report: Path
) -> None:
    tab, leaks, problems = page
    tab.goto(report.as_uri())
    heatmap = tab.locator("#v-v2 [data-root-id] > .bk-Figure").nth(2)  # after 2 prediction charts
    heatmap.scroll_into_view_if_needed()
    tab.wait_for_timeout(800)
    box = heatmap.bounding_box()
    assert box is not None
    # The top row is the feature with the largest period ratio; July–December drifted.
    tab.mouse.move(box["x"] + box["width"] * 0.75, box["y"] + 60)
    tooltip = tab.wait_for_function(
        """() => {
          const found = [];
          const walk = (node) => {
            if (node.shadowRoot) walk(node.shadowRoot);
            for (const child of node.children || []) {
              if (child.classList && child.classList.contains("bk-tooltip-content")) {
                found.push(child.textContent);
              }
              walk(child);
            }
          };
          walk(document.body);
          return found.find((text) => text.includes("score / threshold")) || null;
        }"""
    )
    assert "drifted" in tooltip.json_value()
    assert leaks == []
    assert problems == []
