"""Batch monitoring as a Prefect flow: a check per chunk, then an HTML report of the period.

The seed project ran its monitoring from Prefect; this is the same job on MonitML's Python API.
Run it once from a shell (``pip install 'monitml[prefect]'``)::

    python examples/prefect_flow.py --config monitml.yaml --model house-price \
        --from 2026-11-01 --to 2026-11-08 --chunk 1d --out reports/

or deploy ``monitoring_flow`` on a schedule (``monitoring_flow.serve(cron="0 6 * * *")``).
The flow returns the ``monitml.check/1`` payload and fails when ``fail_on_alert`` is set and a
chunk raised an alert, so Prefect marks the run as failed and its automations can notify.
"""

from __future__ import annotations

import argparse
import json
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from prefect import flow, get_run_logger, task

from monitml.alerts import AlertEngine
from monitml.app.monitoring import build_model_monitor, policy_from
from monitml.app.store import open_store
from monitml.config import load_settings
from monitml.monitor.batch import run_check
from monitml.monitor.chunks import parse_chunk
from monitml.report import to_json


class AlertsRaisedError(RuntimeError):
    """A chunk raised an alert and the flow was asked to fail on it."""


def _timestamp(text: str) -> float:
    moment = datetime.fromisoformat(text)
    return (moment if moment.tzinfo else moment.replace(tzinfo=UTC)).timestamp()


@task(name="monitml-check")
def check(config: str, model: str, start: str, end: str, chunk: str) -> dict[str, Any]:
    """``monitml check`` as a task: every chunk scored and stored, the configured rules judged."""
    settings = load_settings(Path(config))
    store = open_store(settings)
    try:
        monitor = build_model_monitor(model, settings.models[model], store, policy_from(settings))
        rules = [rule for rule in settings.alerts.rules if rule.model == model]
        engine = AlertEngine(rules) if rules else None
        result = run_check(
            store,
            monitor,
            start=_timestamp(start),
            end=_timestamp(end),
            chunk=parse_chunk(chunk),
            judge=engine.holds if engine is not None else None,
        )
    finally:
        store.dispose()
    payload: dict[str, Any] = json.loads(to_json(result.to_dict()))
    get_run_logger().info(
        "%s: %d chunk(s), %d alert(s)", model, len(payload["chunks"]), payload["alerts"]
    )
    return payload


@task(name="monitml-report")
def report(config: str, model: str, start: str, end: str, out: str) -> str:
    """The whole period against the reference, as one self-contained HTML report."""
    settings = load_settings(Path(config))
    store = open_store(settings)
    try:
        monitor = build_model_monitor(model, settings.models[model], store, policy_from(settings))
        begin, finish = _timestamp(start), _timestamp(end)
        window = store.read_window(model, start=begin, end=finish)
    finally:
        store.dispose()
    result = monitor.evaluate(window, "all", window_start=begin, window_end=finish)
    folder = Path(out)
    folder.mkdir(parents=True, exist_ok=True)
    path = folder / f"{model}-{start}-{end}.html"
    if result.report is None:
        path.write_text(
            f"<p>{model}: {result.rows} rows from {start} to {end}, fewer than "
            f"{result.min_rows}: not enough to judge drift.</p>\n",
            encoding="utf-8",
        )
    else:
        result.report.save_html(path, title=f"{model}: {start} to {end} vs reference")
    return str(path)


@flow(name="monitml-batch-monitoring")
def monitoring_flow(
    config: str,
    model: str,
    start: str,
    end: str,
    chunk: str = "1d",
    out: str = "reports",
    fail_on_alert: bool = False,
) -> dict[str, Any]:
    """Check ``model`` over ``[start, end)`` chunk by chunk, then report the whole period."""
    payload = check(config, model, start, end, chunk)
    payload["report"] = report(config, model, start, end, out)
    if fail_on_alert and payload["alerts"]:
        raised = sorted({name for c in payload["chunks"] for name in c["alerts"]})
        raise AlertsRaisedError(
            f"{model}: {payload['alerts']} alert(s) from {start} to {end}: {raised}"
        )
    return payload


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--config", default="monitml.yaml")
    parser.add_argument("--model", required=True)
    parser.add_argument("--from", dest="start", required=True)
    parser.add_argument("--to", dest="end", required=True)
    parser.add_argument("--chunk", default="1d")
    parser.add_argument("--out", default="reports")
    parser.add_argument("--fail-on-alert", action="store_true")
    arguments = parser.parse_args()
    payload = monitoring_flow(
        arguments.config,
        arguments.model,
        arguments.start,
        arguments.end,
        arguments.chunk,
        arguments.out,
        arguments.fail_on_alert,
    )
    print(f"{len(payload['chunks'])} chunk(s), {payload['alerts']} alert(s); {payload['report']}")


if __name__ == "__main__":
    main()
