"""Composition root of ``monitml report``: settings → store, monitor, alert rules → HTML file.

The CLI and the demo call :func:`write_period_report`; the results are assembled by
``monitml.monitor.period`` and drawn by ``monitml.report.period_html``. Nothing is stored:
a report reads the log, scores it and writes one file.
"""

from __future__ import annotations

from pathlib import Path

from monitml.alerts import AlertEngine
from monitml.app.monitoring import build_model_monitor, policy_from
from monitml.app.store import open_store
from monitml.config import Settings
from monitml.errors import ConfigError, DataError
from monitml.monitor.chunks import parse_chunk
from monitml.monitor.period import collect_period
from monitml.report.period import PeriodResults
from monitml.report.period_html import write_period_html

__all__ = ["period_results", "write_period_report"]


def period_results(
    settings: Settings,
    model: str,
    *,
    start: float,
    end: float,
    chunk: str,
    version: str | None = None,
) -> PeriodResults:
    """Score ``model`` over ``[start, end)`` in chunks, each version on its own (or only
    ``version``), judged by the configured alert rules; ConfigError/DataError name the input."""
    if model not in settings.models:
        known = ", ".join(settings.models) or "none"
        raise ConfigError(f"models.{model}: no such model; configured: {known}")
    if end <= start:
        raise DataError("the end of the period must be after its start")
    spec = parse_chunk(chunk)
    store = open_store(settings)
    try:
        monitor = build_model_monitor(model, settings.models[model], store, policy_from(settings))
        rules = [r for r in settings.alerts.rules if r.model in (None, model)]
        engine = AlertEngine(rules) if rules else None
        return collect_period(
            store,
            monitor,
            start=start,
            end=end,
            chunk=spec,
            version=version,
            judge=engine.holds if engine is not None else None,
        )
    finally:
        store.dispose()


def write_period_report(
    settings: Settings,
    model: str,
    *,
    start: float,
    end: float,
    chunk: str,
    version: str | None = None,
    out: Path,
) -> Path:
    """Write the HTML report of ``model`` over ``[start, end)`` to ``out``; return the path."""
    results = period_results(settings, model, start=start, end=end, chunk=chunk, version=version)
    try:
        return write_period_html(results, out)
    except OSError as error:
        raise DataError(f"cannot write {out}: {error.strerror or error}") from error
