"""The pages as a browser gets them: what they show, what they refuse, what they cache."""

from __future__ import annotations

import contextlib
import json
import re
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path

import pytest
from starlette.applications import Starlette
from starlette.routing import Mount

from monitml.dashboard import ModelView, OperationalRates, create_dashboard
from monitml.dashboard import app as app_module
from monitml.dashboard.app import static_scripts
from monitml.store import PredictionStore

from .conftest import MODEL, NOW, Client, serve

METRICS = """\
# TYPE monitml_requests_total counter
monitml_requests_total{{model="house-price",version="v1",status="ok"}} {ok}
monitml_requests_total{{model="house-price",version="v1",status="error"}} {errors}
monitml_requests_created{{model="house-price",version="v1",status="ok"}} {created}
# TYPE monitml_request_duration_seconds histogram
monitml_request_duration_seconds_bucket{{model="house-price",version="v1",le="0.01"}} {fast}
monitml_request_duration_seconds_bucket{{model="house-price",version="v1",le="0.1"}} {total}
monitml_request_duration_seconds_bucket{{model="house-price",version="v1",le="+Inf"}} {total}
"""


def host(dashboard: Starlette) -> contextlib.AbstractContextManager[Client]:
    return serve(Starlette(routes=[Mount("/ui", dashboard)]))


@pytest.fixture
def reports(tmp_path: Path) -> Path:
    folder = tmp_path / "reports"
    (folder / "2026-11").mkdir(parents=True)
    (folder / "2026-11" / "house-price-week.html").write_text("<h1>week</h1>")
    (folder / "other-model.html").write_text("<h1>other</h1>")
    (tmp_path / "secret.html").write_text("secret")
    return folder


@pytest.fixture
def client(sqlite_store: PredictionStore, reports: Path) -> Iterator[Client]:
    text = METRICS.format(ok=900, errors=100, created=NOW - 100.0, fast=500, total=1_000)
    dashboard = create_dashboard(
        sqlite_store,
        lambda: [MODEL],
        operational=OperationalRates(lambda: text, clock=lambda: NOW),
        reports_dir=reports,
        clock=lambda: NOW,
    )
    with host(dashboard) as test_client:
        yield test_client


def test_the_overview_shows_routing_traffic_verdicts_and_firing_alerts(client: Client) -> None:
    page = client.get("/ui/")

    assert page.status_code == 200
    html = page.text
    assert 'href="/ui/models/house-price"' in html
    v1 = html[html.index('data-version="v1"') : html.index('data-version="v2"')]
    assert ">75%<" in v1
    assert ">10<" in v1  # 1000 requests over the 100 s since the counters were created
    assert ">10.0%<" in v1  # error rate
    assert ">10.0 ms<" in v1  # p50: the 500th of 1000 requests is at the 10 ms bucket edge
    assert "insufficient data (10 rows)" in v1
    assert "dataset drift: 67% of features drifted" in html
    firing = html[html.index('data-testid="firing-alerts"') :]
    assert "DriftOfV2" in firing
    assert "SlowV1" not in firing  # resolved
    assert "2026-11/house-price-week.html" in html


def test_the_model_page_embeds_every_chart_and_flags_data_quality(client: Client) -> None:
    page = client.get("/ui/models/house-price", params={"range": "6h"})

    assert page.status_code == 200
    html = page.text
    charts = dict(re.findall(r'data-chart="([^"]+)">(.*?)</script>', html, re.S))
    assert set(charts) == {
        "chart-predictions",
        "chart-drift-v1",
        "chart-drift-v2",
        "chart-performance",
    }
    specs = {name: json.loads(item) for name, item in charts.items()}
    assert specs["chart-drift-v2"]["kind"] == "drift"
    assert all(spec["kind"] and spec["title"] for spec in specs.values())
    quality = html[html.index('data-testid="quality-v2"') :]
    rooms = quality[quality.index('data-feature="rooms"') :]
    assert "missing values" in rooms[: rooms.index("</tr>")]
    assert "out of the reference range" in quality
    assert '<script src="/ui/static/bokeh-' in html
    assert "house-price-week.html" in html
    assert "other-model.html" not in html  # reports are those naming the model
    assert 'data-testid="routing-form"' not in html  # this host has no routing API


def test_the_fragments_hold_what_the_pages_refresh(client: Client) -> None:
    overview = client.get("/ui/fragment")
    model = client.get("/ui/models/house-price/fragment", params={"range": "1h"})

    assert overview.status_code == model.status_code == 200
    assert "<html" not in overview.text
    assert "DriftOfV2" in overview.text
    assert 'data-chart="chart-predictions"' in model.text


@pytest.mark.parametrize(
    ("path", "status", "message"),
    [
        pytest.param("/ui/models/churn", 404, "No model &#39;churn&#39;", id="unknown-model"),
        pytest.param(
            "/ui/models/house-price?range=2y", 400, "range: expected one of 1h", id="bad-range"
        ),
    ],
)
def test_a_wrong_address_gets_a_page_naming_the_problem(
    client: Client, path: str, status: int, message: str
) -> None:
    page = client.get(path)

    assert page.status_code == status
    assert message in page.text


def test_bokehjs_and_the_chart_script_are_served_here_with_a_long_cache_life(
    client: Client,
) -> None:
    html = client.get("/ui/models/house-price").text
    sources = re.findall(r'<script src="(/ui/static/[^"]+)"', html)

    scripts = [client.get(src) for src in sources]

    assert [src.rsplit("/", 1)[1].split("-")[0] for src in sources] == ["bokeh", "bokeh", "charts"]
    assert all(script.status_code == 200 for script in scripts)
    assert {s.headers["cache-control"] for s in scripts} == {"public, max-age=31536000, immutable"}
    assert all(s.headers["content-type"].startswith("text/javascript") for s in scripts)
    bokeh, api, charts = (script.text for script in scripts)
    assert "Bokeh" in bokeh[:5_000]
    assert "Plotting" in api
    assert "MonitmlCharts" in charts
    assert client.get("/ui/static/other.js").status_code == 404


def test_the_charts_script_s_name_changes_with_its_content(
    monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    before = next(name for name in static_scripts() if name.startswith("charts-"))
    changed = tmp_path / "charts.js"
    changed.write_text("window.MonitmlCharts = {};")
    monkeypatch.setattr(app_module, "_CHARTS_JS", changed)

    after = next(name for name in static_scripts() if name.startswith("charts-"))

    assert after != before


def test_reports_are_served_from_their_folder_and_nothing_outside_it(client: Client) -> None:
    assert client.get("/ui/reports/2026-11/house-price-week.html").text == "<h1>week</h1>"
    assert client.get("/ui/reports/../secret.html").status_code == 404
    assert client.get("/ui/reports/%2e%2e/secret.html").status_code == 404


def test_a_store_that_cannot_be_read_gets_a_503_page(tmp_path: Path) -> None:
    store = PredictionStore.from_url(f"sqlite:///{tmp_path / 'gone' / 'store.db'}", migrate=False)
    dashboard = create_dashboard(store, lambda: [ModelView("m", "regression", ("v1",), {})])

    with host(dashboard) as test_client:
        page = test_client.get("/ui/")

    assert page.status_code == 503
    assert "The store cannot be read" in page.text


def test_serving_a_model_page_with_charts_does_not_import_bokeh(
    sqlite_store: PredictionStore,
) -> None:
    # The browser draws the charts: the server sends their data and never pays Bokeh's import.
    url = str(sqlite_store.engine.url)
    code = (
        "import sys, monitml.app.gateway\n"
        "from monitml.dashboard import pages\n"
        "from monitml.dashboard.app import create_dashboard\n"
        "from monitml.store import PredictionStore\n"
        "from tests.dashboard.conftest import MODEL, NOW\n"
        f"store = PredictionStore.from_url({url!r})\n"
        "create_dashboard(store, lambda: [MODEL])\n"
        "page = pages.model_page(store, MODEL, {}, now=NOW, range_key='6h')\n"
        "assert len(page['charts']) == 4, page['charts'].keys()\n"
        "print(sorted(m for m in sys.modules if m.split('.')[0] == 'bokeh'))"
    )
    found = subprocess.run(
        [sys.executable, "-c", code],
        capture_output=True,
        text=True,
        check=True,
        timeout=120,
        cwd=Path(__file__).resolve().parents[2],
    )

    assert found.stdout.strip() == "[]"
