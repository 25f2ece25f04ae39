"""``create_dashboard``: the server-rendered pages under ``/ui``, as an ASGI app to mount.

Read-only on the store. Each page refreshes itself: a small script fetches the page's fragment
every ``refresh_seconds`` and swaps it in (charts included), so a form being filled in (the
routing form) is left alone. The charts come as data (``monitml.dashboard.charts``) and are
drawn in the browser by ``static/charts.js`` with BokehJS, so the server never imports Bokeh.
BokehJS (``bokeh.min.js`` and its plotting API, ``bokeh-api.min.js``) is served from Bokeh's own
package files and ``charts.js`` from this package, each under ``static/`` with its version (or
its content's checksum) in the name and a year's cache lifetime.

Changing the routing goes through the gateway's own ``PUT /models/{model}/routing`` with the
token the user types, checked there as for any API call; a host without that API (the monitor
on its own) shows the routing read-only.
"""

from __future__ import annotations

import importlib.metadata
import importlib.util
import json
import time
import zlib
from collections.abc import Callable, Sequence
from pathlib import Path
from typing import Any

from jinja2 import Environment, PackageLoader, select_autoescape
from markupsafe import Markup
from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import FileResponse, HTMLResponse, Response
from starlette.routing import Mount, Route
from starlette.staticfiles import StaticFiles

from monitml.dashboard import pages
from monitml.dashboard.operational import OperationalFigures, OperationalRates
from monitml.dashboard.pages import DEFAULT_RANGE, RANGES, STORE_ERRORS, ModelView, RangeCache
from monitml.store import PredictionStore

__all__ = ["bokeh_js_path", "create_dashboard", "static_scripts"]

_CACHE_FOREVER = "public, max-age=31536000, immutable"
_CHARTS_JS = Path(__file__).resolve().parent / "static" / "charts.js"


def bokeh_js_path(name: str = "bokeh.min.js") -> tuple[str, Path]:
    """Bokeh's version and one of its BokehJS files, found without importing Bokeh."""
    spec = importlib.util.find_spec("bokeh")
    if spec is None or spec.origin is None:
        raise RuntimeError("Bokeh is not installed; the dashboard's charts need it.")
    path = Path(spec.origin).parent / "server" / "static" / "js" / name
    return importlib.metadata.version("bokeh"), path


def static_scripts() -> dict[str, Path]:
    """The model page's scripts in load order, by the name they are served under.

    Each name changes when its content does (Bokeh's version; the checksum of ``charts.js``),
    so browsers may cache them for a year.
    """
    version, bokeh_js = bokeh_js_path()
    _, api_js = bokeh_js_path("bokeh-api.min.js")
    checksum = zlib.crc32(_CHARTS_JS.read_bytes())
    return {
        f"bokeh-{version}.min.js": bokeh_js,
        f"bokeh-api-{version}.min.js": api_js,
        f"charts-{checksum:08x}.js": _CHARTS_JS,
    }


def _percent(value: float | None) -> str:
    return "—" if value is None else f"{value:.1%}"


def _seconds(value: float | None) -> str:
    if value is None:
        return "—"
    return f"{value * 1000:.1f} ms" if value < 1 else f"{value:.2f} s"


def _number(value: float | None) -> str:
    return "—" if value is None else f"{value:.4g}"


def _chart_json(item: dict[str, Any]) -> Markup:
    # Inside <script type="application/json">: "</" must not close the element. No NaN: the
    # browser's JSON.parse refuses it (charts send null for a missing value).
    text = json.dumps(item, separators=(",", ":"), allow_nan=False)
    return Markup(text.replace("</", "<\\/"))


def _environment() -> Environment:
    env = Environment(
        loader=PackageLoader("monitml.dashboard", "templates"),
        autoescape=select_autoescape(["html"]),
        trim_blocks=True,
        lstrip_blocks=True,
    )
    env.filters.update(percent=_percent, seconds=_seconds, number=_number, chart_json=_chart_json)
    env.globals["age"] = pages.age
    return env


def create_dashboard(
    store: PredictionStore,
    models: Callable[[], Sequence[ModelView]],
    *,
    operational: OperationalRates | None = None,
    reports_dir: Path | None = None,
    routing_api: bool = False,
    refresh_seconds: float = 10.0,
    title: str = "MonitML",
    clock: Callable[[], float] = time.time,
    cache: RangeCache | None = None,
) -> Starlette:
    """The dashboard app; mount it at ``/ui``.

    ``models`` gives the current models and routing on each request; ``operational`` the
    traffic figures (none: the overview says so); ``reports_dir`` the folder whose ``*.html``
    reports are listed and served under ``reports/``; ``routing_api`` whether the host app
    serves ``PUT /models/{model}/routing`` (the routing form is shown only then); ``cache`` keeps
    the model pages' range reads until a newer window (a new one of 60 s at most by default).
    """
    env = _environment()
    range_cache = RangeCache() if cache is None else cache
    scripts = static_scripts()

    def traffic() -> dict[tuple[str, str], OperationalFigures]:
        return operational.figures() if operational is not None else {}

    def render(request: Request, template: str, status: int = 200, **context: Any) -> Response:
        base = str(request.scope.get("root_path", "")).rstrip("/")
        html = env.get_template(template).render(
            base=base,
            api=base.removesuffix("/ui"),
            scripts=[f"{base}/static/{name}" for name in scripts],
            refresh_seconds=refresh_seconds,
            title=title,
            has_traffic=operational is not None,
            routing_api=routing_api,
            **context,
        )
        return HTMLResponse(html, status_code=status)

    def unavailable(request: Request, error: BaseException) -> Response:
        return render(request, "error.html", 503, message=f"The store cannot be read: {error}")

    def overview_context() -> dict[str, Any]:
        context = pages.overview_page(store, list(models()), traffic(), clock())
        context["reports"] = pages.list_reports(reports_dir)
        return context

    def overview(request: Request) -> Response:
        try:
            return render(request, "overview.html", **overview_context())
        except STORE_ERRORS as error:
            return unavailable(request, error)

    def overview_fragment(request: Request) -> Response:
        try:
            return render(request, "overview_body.html", **overview_context())
        except STORE_ERRORS as error:
            return unavailable(request, error)

    def model_context(request: Request) -> dict[str, Any] | Response:
        name = request.path_params["model"]
        known = {model.name: model for model in models()}
        if name not in known:
            message = f"No model {name!r}; the models are {sorted(known)}."
            return render(request, "error.html", 404, message=message)
        range_key = request.query_params.get("range", DEFAULT_RANGE)
        if range_key not in RANGES:
            message = f"range: expected one of {', '.join(RANGES)}; got {range_key!r}."
            return render(request, "error.html", 400, message=message)
        try:
            context = pages.model_page(
                store,
                known[name],
                traffic(),
                now=clock(),
                range_key=range_key,
                cache=range_cache,
            )
        except STORE_ERRORS as error:
            return unavailable(request, error)
        context["reports"] = pages.list_reports(reports_dir, name)
        return context

    def model_page(request: Request) -> Response:
        context = model_context(request)
        if isinstance(context, Response):
            return context
        return render(request, "model.html", **context)

    def model_fragment(request: Request) -> Response:
        context = model_context(request)
        if isinstance(context, Response):
            return context
        return render(request, "model_body.html", **context)

    def script(request: Request) -> Response:
        path = scripts.get(request.path_params["name"])
        if path is None:
            return Response("Not found", status_code=404, media_type="text/plain")
        return FileResponse(
            path, media_type="text/javascript", headers={"Cache-Control": _CACHE_FOREVER}
        )

    routes: list[Route | Mount] = [
        Route("/", overview),
        Route("/fragment", overview_fragment),
        Route("/models/{model}", model_page),
        Route("/models/{model}/fragment", model_fragment),
        Route("/static/{name}", script),
    ]
    if reports_dir is not None:
        routes.append(
            Mount("/reports", StaticFiles(directory=reports_dir, check_dir=False), name="reports")
        )
    return Starlette(routes=routes)
