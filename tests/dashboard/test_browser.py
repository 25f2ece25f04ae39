"""The dashboard in real headless Chromium: pages load clean, charts draw, routing via the form.

The pages are served by uvicorn on loopback; every request the page makes is recorded, and a
console error, an uncaught exception, a failed request or an HTTP error fails the test. A
screenshot of each page is kept in the test's tmp folder.
"""

from __future__ import annotations

import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from starlette.applications import Starlette
from starlette.routing import Mount

from monitml.app.gateway import build_gateway_app
from monitml.config import load_settings
from monitml.dashboard import create_dashboard
from monitml.store import PredictionStore

from .conftest import MODEL, NOW, running
from .test_gateway_ui import TOKEN, write_config

# The number of non-transparent pixels of some canvases (Playwright's CSS pierces Bokeh's
# shadow roots, a plain querySelectorAll would not).
PAINTED = """canvases => canvases.reduce((n, c) => {
    const d = c.getContext('2d').getImageData(0, 0, c.width, c.height).data;
    for (let i = 3; i < d.length; i += 4) if (d[i]) n++;
    return n;
  }, 0)"""

pytestmark = [pytest.mark.e2e, pytest.mark.timeout(180)]


class Watched:
    """A page whose console errors, exceptions, failed requests and HTTP errors are kept."""

    def __init__(self, browser: Any, base: str) -> None:
        self.context = browser.new_context(viewport={"width": 1280, "height": 900})
        self.problems: list[str] = []
        self.elsewhere: list[str] = []

        def only_here(route: Any) -> None:
            if route.request.url.startswith(base):
                route.continue_()
            else:  # nothing may come from anywhere else (no CDN)
                self.elsewhere.append(route.request.url)
                route.abort()

        self.context.route("**/*", only_here)
        self.page = self.context.new_page()
        self.page.on(
            "console",
            lambda m: self.problems.append(f"console: {m.text}") if m.type == "error" else None,
        )
        self.page.on("pageerror", lambda e: self.problems.append(f"exception: {e}"))
        self.page.on(
            "requestfailed", lambda r: self.problems.append(f"failed: {r.url} {r.failure}")
        )
        self.page.on(
            "response",
            lambda r: (
                self.problems.append(f"HTTP {r.status}: {r.url}") if r.status >= 400 else None
            ),
        )

    def painted(self, selector: str) -> int:
        deadline = time.monotonic() + 20
        while True:
            pixels: int = self.page.locator(f"{selector} canvas").evaluate_all(PAINTED)
            if pixels or time.monotonic() > deadline:
                return pixels
            time.sleep(0.2)


@pytest.fixture
def dashboard_url(sqlite_store: PredictionStore) -> Iterator[str]:
    app = Starlette(
        routes=[Mount("/ui", create_dashboard(sqlite_store, lambda: [MODEL], clock=lambda: NOW))]
    )
    with running(app) as base:
        yield base


def test_the_overview_loads_clean_and_links_each_model(
    browser: Any, dashboard_url: str, tmp_path: Path
) -> None:
    watched = Watched(browser, dashboard_url)

    watched.page.goto(f"{dashboard_url}/ui/")
    watched.page.wait_for_load_state("networkidle")
    watched.page.screenshot(path=str(tmp_path / "overview.png"), full_page=True)

    assert watched.page.get_by_role("link", name="house-price").count() == 1
    verdicts = watched.page.get_by_test_id("verdict").all_inner_texts()
    assert any("dataset drift" in v for v in verdicts)
    assert "DriftOfV2" in watched.page.get_by_test_id("firing-alerts").inner_text()
    assert watched.problems == []
    assert watched.elsewhere == []
    watched.context.close()


def test_the_model_page_draws_every_chart_and_redraws_them_on_refresh(
    browser: Any, dashboard_url: str, tmp_path: Path
) -> None:
    watched = Watched(browser, dashboard_url)

    watched.page.goto(f"{dashboard_url}/ui/models/house-price?range=6h")
    watched.page.wait_for_load_state("networkidle")
    charts = watched.page.locator('[data-testid="chart"]')
    ids = [charts.nth(i).get_attribute("id") for i in range(charts.count())]
    painted = {chart: watched.painted(f"#{chart}") for chart in ids}
    watched.page.screenshot(path=str(tmp_path / "model.png"), full_page=True)
    watched.page.evaluate(
        "() => { document.getElementById('refresh-status').textContent = '';"
        " window.monitmlRefresh(); }"
    )
    watched.page.wait_for_function(
        "document.getElementById('refresh-status').textContent.startsWith('updated')",
        timeout=30_000,
    )
    after = watched.painted("#chart-predictions")
    documents = watched.page.evaluate("Bokeh.documents.length")

    assert {"chart-predictions", "chart-drift-v1", "chart-drift-v2", "chart-performance"} <= set(
        ids
    )
    assert all(pixels > 1_000 for pixels in painted.values()), painted
    assert after > 1_000
    assert documents == len(ids)  # the replaced charts' Bokeh documents were dropped
    assert watched.problems == []
    assert watched.elsewhere == []
    watched.context.close()


def test_the_routing_form_needs_the_admin_token_and_then_changes_the_routing(
    browser: Any, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("DASHBOARD_TEST_TOKEN", TOKEN)
    app = build_gateway_app(load_settings(write_config(tmp_path)))
    with running(app, lifespan="on") as base:
        watched = Watched(browser, base)
        page = watched.page
        page.goto(f"{base}/ui/models/toy")
        form = page.get_by_test_id("routing-form")
        form.get_by_label("v1 (%)").fill("40")
        form.get_by_label("v2 (%)").fill("60")
        form.get_by_label("Admin token").fill("not-the-token")
        form.get_by_role("button").click()
        refused = page.get_by_test_id("routing-result")
        refused.filter(has_text="Refused").wait_for()
        refused_text = refused.inner_text()

        form.get_by_label("Admin token").fill(TOKEN)
        form.get_by_role("button").click()
        page.get_by_test_id("routing-result").filter(has_text="Routing changed").wait_for()
        page.wait_for_function(
            'document.querySelector(\'[data-version="v2"] [data-testid="weight"]\')'
            ".textContent.startsWith('60')"
        )
        page.screenshot(path=str(tmp_path / "routing.png"), full_page=True)
        watched.context.close()

    assert refused_text.startswith("Refused (403): The admin token is wrong.")
    # The refused PUT is the one error the page may show: the browser logs its 403.
    assert all("403" in problem for problem in watched.problems), watched.problems
    assert len(watched.problems) >= 1
    assert watched.elsewhere == []
