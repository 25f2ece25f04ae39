"""Dashboard pages' server time on a month of one-minute monitor windows for three models.

The store (SQLite, built once and kept in ``benchmarks/.data/``) holds what ``monitml monitor``
would have written in 30 days at a one-minute interval for three models of one version each:
129,600 window results, each a real ``ModelMonitor`` payload (13 features: 10 numerical,
3 categorical; about 31 KB of JSON with its chart data), labels (performance) on the windows
older than a day, a three-day drift episode per model, and a few hundred alert events.

Each page is then requested in process through the ASGI app (no network, no browser), one
request at a time, and timed from request to last byte: that is the server's time (the charts
are sent as data and drawn by the browser, which this does not time). The first request of the
process is reported on its own. Model pages are timed three ways: a *first view* (the
dashboard's cache of range reads is emptied and so is the store's connection pool before each
request, so nothing read before is cached in the process: SQLite's page cache belongs to a
connection), a view right after the monitor saved a *new window* (a window of house-price is
saved before each request: the page reads its range again), and a *refresh* with nothing new
(the range reads come from the cache; see ``RangeCache``). The page refreshes every 10 s and
the monitor writes a window a minute: most requests are refreshes. The extra windows stay in
the store (they end within the benchmark's last minute); ``--rebuild`` starts again from the
month alone. ``--rounds`` repeats the whole measurement (the machine is shared: figures are
pooled over the rounds, with each round's median and load average printed too).

    .venv/bin/python benchmarks/bench_dashboard.py                 # 30 requests per page
    .venv/bin/python benchmarks/bench_dashboard.py --requests 30 --rounds 3
    .venv/bin/python benchmarks/bench_dashboard.py --browser 10   # and the browser's drawing

The charts' drawing moved to the browser: ``--browser N`` also opens each model page in headless
Chromium (``/usr/bin/chromium``, Playwright) and times BokehJS building and painting all of the
page's charts from their data, N times per page (each time into a new element, then removed).
"""

from __future__ import annotations

import argparse
import asyncio
import math
import os
import platform
import socket
import statistics
import sys
import threading
import time
from pathlib import Path
from typing import Any

import httpx
import numpy as np
import pandas as pd
from starlette.applications import Starlette
from starlette.routing import Mount

from monitml.dashboard import ModelView, OperationalRates, create_dashboard
from monitml.dashboard.pages import RangeCache
from monitml.monitor.model_monitor import ModelMonitor
from monitml.monitor.policy import MonitorPolicy
from monitml.serving import GatewayMetrics
from monitml.store import PredictionStore
from monitml.store.results import save_monitor_result

DATA = Path(__file__).resolve().parent / ".data"
MODELS = ("house-price", "churn", "flights")
DAYS = 30
INTERVAL = 60.0
NUMERICAL = [f"x{i}" for i in range(10)]
CATEGORICAL = [f"c{i}" for i in range(3)]
FEATURES = NUMERICAL + CATEGORICAL
BATCH = 2_000
# The end of the stored month; pages are timed as if it were now.
NOW = 1_790_000_000.0


def _frame(rng: np.random.Generator, n: int, shift: float) -> pd.DataFrame:
    columns: dict[str, Any] = {
        name: rng.normal(shift if i < 3 else 0.0, 1.0, n) for i, name in enumerate(NUMERICAL)
    }
    weights = np.array([0.4, 0.3, 0.15, 0.1, 0.05])
    for i, name in enumerate(CATEGORICAL):
        p = np.roll(weights, 2) if shift and i == 0 else weights
        columns[name] = rng.choice(list("abcde"), n, p=p)
    frame = pd.DataFrame(columns)
    frame["prediction"] = 3.0 * frame["x0"] + frame["x1"] + 50.0
    frame["label"] = frame["prediction"] + rng.normal(0.0, 1.0, n)
    return frame


def payload_variants(seed: int) -> dict[tuple[bool, bool], dict[str, Any]]:
    """Real window payloads: (drifted, labelled) → ``WindowResult.to_dict()``."""
    rng = np.random.default_rng(seed)
    monitor = ModelMonitor(
        "bench",
        _frame(rng, 5_000, 0.0),
        features=FEATURES,
        numerical=NUMERICAL,
        categorical=CATEGORICAL,
        target="label",
        policy=MonitorPolicy(window_rows=1_000, min_rows=100),
    )
    variants = {}
    for drifted in (False, True):
        for labelled in (False, True):
            window = _frame(rng, 1_000, 0.6 if drifted else 0.0)
            if not labelled:
                window["label"] = np.nan
            variants[(drifted, labelled)] = monitor.evaluate(window, "v1").to_dict()
    return variants


def build(path: Path) -> None:
    """Write the month of windows and the alert history (a few minutes on a quiet machine)."""
    path.parent.mkdir(parents=True, exist_ok=True)
    partial = path.with_suffix(".partial.db")
    for stale in (partial, partial.with_name(partial.name + "-wal")):
        stale.unlink(missing_ok=True)
    store = PredictionStore.from_url(f"sqlite:///{partial}")
    windows = int(DAYS * 86_400 / INTERVAL)
    started = time.perf_counter()
    for number, model in enumerate(MODELS):
        variants = payload_variants(number)
        episode = (NOW - (10 + 3 * number) * 86_400.0, NOW - (7 + 3 * number) * 86_400.0)
        for first in range(0, windows, BATCH):
            with store.engine.begin() as connection:
                for i in range(first, min(first + BATCH, windows)):
                    end = NOW - (windows - 1 - i) * INTERVAL
                    drifted = episode[0] <= end < episode[1]
                    labelled = end < NOW - 86_400.0
                    base = variants[(drifted, labelled)]
                    wave = 1.0 + 0.05 * math.sin(2 * math.pi * end / 86_400.0)
                    stats = base["prediction"]
                    prediction = {
                        **stats,
                        "mean": stats["mean"] * wave,
                        "min": stats["min"] * wave,
                        "max": stats["max"] * wave,
                    }
                    save_monitor_result(
                        connection,
                        {
                            "model": model,
                            "version": "v1",
                            "kind": "window",
                            "run_at": end,
                            "window_start": end - INTERVAL,
                            "window_end": end,
                            "payload": {**base, "model": model, "prediction": prediction},
                        },
                    )
            print(
                f"\r  {model}: {min(first + BATCH, windows):>6}/{windows} windows "
                f"({time.perf_counter() - started:.0f} s)",
                end="",
                flush=True,
            )
        print()
        for k in range(100):  # an alert pending → firing → resolved every few hours
            starts = NOW - (DAYS - 0.3 * k) * 86_400.0
            for state, ends in (("pending", None), ("firing", None), ("resolved", starts + 900)):
                store.save_alert_event(
                    {
                        "rule": "DatasetDrift",
                        "model": model,
                        "version": "v1",
                        "state": state,
                        "starts_at": starts,
                        "ends_at": ends,
                        "value": 0.6,
                        "payload": {"fingerprint": f"{model}-drift", "severity": "warning"},
                    }
                )
    store.dispose()
    partial.rename(path)


def traffic() -> OperationalRates:
    """The gateway's own metrics text, with requests observed for every model."""
    metrics = GatewayMetrics()
    rng = np.random.default_rng(0)
    for model in MODELS:
        metrics.set_model(model, {"v1": ("regression", "python")}, {"v1": 100.0})
        for seconds in rng.exponential(0.004, 2_000):
            metrics.observe(model, "v1", "regression", float(seconds), [1.0])
    return OperationalRates(lambda: metrics.render().decode())


class Pages:
    """Times requests; before each one, optionally empties the caches or saves a window."""

    def __init__(
        self, client: httpx.AsyncClient, store: PredictionStore, cache: RangeCache
    ) -> None:
        self.client = client
        self.store = store
        self.cache = cache
        self.window = payload_variants(0)[(False, False)]
        with store.engine.connect() as connection:
            newest = connection.exec_driver_sql(
                "SELECT max(window_end) FROM monitor_results WHERE model = 'house-price'"
            ).scalar_one()
        # After every window saved so far (earlier runs' too): each one is the newest.
        self.after = max(float(newest), NOW)
        self.saved = 0

    def new_window(self) -> None:
        """What the monitor does once a minute: one more window of house-price, just now."""
        self.saved += 1
        end = self.after + self.saved * 1e-4
        self.store.save_monitor_result(
            {
                "model": "house-price",
                "version": "v1",
                "kind": "window",
                "run_at": end,
                "window_start": end - INTERVAL,
                "window_end": end,
                "payload": self.window,
            }
        )

    async def timed(self, url: str, before: str = "refresh") -> float:
        if before == "first view":
            self.cache.clear()
            self.store.engine.dispose()  # a new connection: SQLite's page cache is per connection
        elif before == "new window":
            self.new_window()
        started = time.perf_counter()
        answer = await self.client.get(url)
        elapsed = time.perf_counter() - started
        if answer.status_code != 200:
            raise RuntimeError(f"{url}: HTTP {answer.status_code}: {answer.text[:300]}")
        return elapsed


async def measure(store: PredictionStore, requests: int) -> list[tuple[str, list[float]]]:
    views = [ModelView(m, "regression", ("v1",), {"v1": 100.0}) for m in MODELS]
    cache = RangeCache()
    dashboard = create_dashboard(
        store, lambda: views, operational=traffic(), clock=lambda: NOW + 30.0, cache=cache
    )
    app = Starlette(routes=[Mount("/ui", dashboard)])
    overview = [("overview /ui/", "/ui/"), ("overview fragment", "/ui/fragment")]
    model = [
        ("model page, 1h", "/ui/models/house-price?range=1h"),
        ("model page, 24h (default)", "/ui/models/house-price"),
        ("model fragment, 24h", "/ui/models/house-price/fragment"),
        ("model page, 7d", "/ui/models/house-price?range=7d"),
        ("model page, 30d", "/ui/models/house-price?range=30d"),
    ]
    transport = httpx.ASGITransport(app=app)
    results: list[tuple[str, list[float]]] = []
    async with httpx.AsyncClient(transport=transport, base_url="http://bench") as client:
        pages = Pages(client, store, cache)
        first = await pages.timed(model[1][1], "first view")
        results.append(("first request of the process", [first]))
        for name, url in overview:
            await pages.timed(url)  # warm this page's queries once
            results.append((name, [await pages.timed(url) for _ in range(requests)]))
        for name, url in model:
            for before in ("first view", "new window", "refresh"):
                times = [await pages.timed(url, before) for _ in range(requests)]
                results.append((f"{name} — {before}", times))
    return results


MODEL_PAGES = {
    "24h (default)": "/ui/models/house-price",
    "7d": "/ui/models/house-price?range=7d",
    "30d": "/ui/models/house-price?range=30d",
}
# Draws every chart of the page again into new elements; the milliseconds until two frames later.
DRAW_ALL = """async () => {
  const specs = [...document.querySelectorAll('script[data-chart]')]
    .map((script) => JSON.parse(script.textContent));
  const box = document.createElement('div');
  box.style.width = '1200px';
  document.body.appendChild(box);
  const started = performance.now();
  const views = await Promise.all(specs.map((spec) => {
    const element = document.createElement('div');
    box.appendChild(element);
    return MonitmlCharts.draw(spec, element);
  }));
  await new Promise((done) => requestAnimationFrame(() => requestAnimationFrame(done)));
  const elapsed = performance.now() - started;
  for (const view of views) {
    const doc = view.model.document;
    view.remove();
    Bokeh.documents.splice(Bokeh.documents.indexOf(doc), 1);
  }
  box.remove();
  return [elapsed, specs.length];
}"""


def browser_times(store: PredictionStore, repeats: int) -> list[tuple[str, list[float]]]:
    """BokehJS's time to build and paint each model page's charts, in headless Chromium."""
    import uvicorn  # noqa: PLC0415
    from playwright import sync_api  # noqa: PLC0415

    views = [ModelView(m, "regression", ("v1",), {"v1": 100.0}) for m in MODELS]
    dashboard = create_dashboard(store, lambda: views, clock=lambda: NOW + 30.0)
    sock = socket.socket()
    sock.bind(("127.0.0.1", 0))
    server = uvicorn.Server(
        uvicorn.Config(Starlette(routes=[Mount("/ui", dashboard)]), log_level="warning")
    )
    thread = threading.Thread(target=server.run, kwargs={"sockets": [sock]}, daemon=True)
    thread.start()
    while not server.started:
        time.sleep(0.05)
    base = f"http://127.0.0.1:{sock.getsockname()[1]}"
    results = []
    try:
        with sync_api.sync_playwright() as playwright:
            chromium = playwright.chromium.launch(
                executable_path="/usr/bin/chromium",
                args=["--headless", "--no-sandbox", "--disable-gpu", "--no-first-run"],
            )
            page = chromium.new_page(viewport={"width": 1280, "height": 900})
            for name, url in MODEL_PAGES.items():
                page.goto(base + url)
                page.wait_for_load_state("networkidle")
                page.evaluate(DRAW_ALL)  # once unmeasured: the first compiles BokehJS's code
                times, count = [], 0
                for _ in range(repeats):
                    elapsed, count = page.evaluate(DRAW_ALL)
                    times.append(elapsed / 1000.0)
                results.append((f"browser: draw the {count} charts of {name}", times))
            chromium.close()
    finally:
        server.should_exit = True
        thread.join(timeout=15)
        sock.close()
    return results


def _p95(ms: list[float]) -> float:
    return ms[min(len(ms) - 1, math.ceil(0.95 * len(ms)) - 1)]


def _load() -> str:
    return " ".join(f"{x:.2f}" for x in os.getloadavg())


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--requests", type=int, default=30, help="requests per page and round")
    parser.add_argument("--rounds", type=int, default=1, help="times the whole measurement runs")
    parser.add_argument("--rebuild", action="store_true", help="write the store again")
    parser.add_argument(
        "--browser", type=int, default=0, metavar="N", help="time the browser's drawing N times"
    )
    args = parser.parse_args()
    path = DATA / f"dashboard-{len(MODELS)}x{DAYS}d.db"
    if args.rebuild or not path.exists():
        print(f"building {path} ...")
        build(path)
    store = PredictionStore.from_url(f"sqlite:///{path}")
    with store.engine.connect() as connection:
        count = connection.exec_driver_sql("SELECT count(*) FROM monitor_results").scalar_one()
        signals = connection.exec_driver_sql("SELECT count(*) FROM monitor_signals").scalar_one()
    size = path.stat().st_size / 2**30
    print(
        f"store: {count:,} window results, {signals:,} signal rows, {size:.1f} GiB "
        f"(SQLite {store.engine.dialect.server_version_info}); Python {platform.python_version()}"
    )
    pooled: dict[str, list[float]] = {}
    rounds: dict[str, list[float]] = {}
    for number in range(args.rounds):
        print(f"round {number + 1}: load average before {_load()}", end="", flush=True)
        for name, times in asyncio.run(measure(store, args.requests)):
            if number and name == "first request of the process":
                continue  # only the first round's is one
            ms = [t * 1000.0 for t in times]
            pooled.setdefault(name, []).extend(ms)
            rounds.setdefault(name, []).append(statistics.median(ms))
        print(f", after {_load()}")
    if args.browser:
        for name, times in browser_times(store, args.browser):
            pooled[name] = [t * 1000.0 for t in times]
            rounds[name] = [statistics.median(pooled[name])]
    print(f"\n{'page':<56} {'median ms':>10} {'p95 ms':>8} {'max ms':>8}  (n)  round medians")
    for name, ms in pooled.items():
        ms.sort()
        each = " ".join(f"{m:.0f}" for m in rounds[name])
        print(
            f"{name:<56} {statistics.median(ms):>10.1f} {_p95(ms):>8.1f} {ms[-1]:>8.1f}  "
            f"({len(ms)})  {each}"
        )
    store.dispose()


if __name__ == "__main__":
    sys.exit(main())
