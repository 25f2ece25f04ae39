"""Story 1, canary housing (the MonitML seed): a bad canary caught, routed out, resolved.

v1 (gradient boosting) and v2 (always 100) were trained on the Ames sales of 2006–2007 and
serve 75/25. The sales of 2008–2010 are replayed through ``POST /predict`` in date order,
each month of sales in ``MONTH_SECONDS`` of wall-clock time (the replay's clock: the online
monitor's windows, the rule's ``for`` and the check's chunks all run on it). The real price
of each sale goes to ``/feedback`` once the month is sent.

The monitor, embedded in the gateway, evaluates ``LowAveragePrediction`` every second on a
three-month window; it goes pending, then firing for v2, and its notification reaches a
webhook receiver in this process (and Slack when ``SLACK_WEBHOOK_URL`` is set). The demo then
routes v2 to 0% with ``PUT /models/house-price/routing`` and the admin token; once v2's window
empties, the alert resolves. Finally ``monitml check`` runs per version with one chunk per
month of sales.
"""

from __future__ import annotations

import math
import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import httpx
import pandas as pd
from rich.console import Console

from monitml.app.monitoring import build_model_monitor, policy_from
from monitml.app.store import open_store
from monitml.config import Settings
from monitml.demo.console import month_name, step
from monitml.demo.data import json_records
from monitml.demo.models import AMES_CATEGORICAL, AMES_NUMERICAL, AMES_TARGET
from monitml.monitor.batch import run_check
from monitml.monitor.chunks import ChunkSpec
from monitml.store import PredictionStore

__all__ = [
    "ALERT_RULE",
    "MODEL",
    "MONTH_SECONDS",
    "WINDOW_MONTHS",
    "AlertTransition",
    "CanaryStory",
    "MonthCheck",
    "replay_canary",
]

MODEL = "house-price"
MONTH_SECONDS = 1.0
WINDOW_MONTHS = 3
ALERT_RULE = {
    "name": "LowAveragePrediction",
    "model": MODEL,
    "expr": "prediction_mean < 100000",
    "for": "2s",
    "severity": "warning",
    "annotations": {
        "summary": "Average predicted price of {{ $labels.version }} is below $100,000"
    },
}
RESOLVE_TIMEOUT = 20.0


@dataclass(frozen=True, slots=True)
class AlertTransition:
    rule: str
    version: str
    state: str
    month: str


@dataclass(frozen=True, slots=True)
class MonthCheck:
    """One chunk of ``monitml check``: one month of one version's logged sales."""

    month: str
    version: str
    rows: int
    prediction_mean: float | None
    mae: float | None
    drifted: tuple[str, ...]
    prediction_drift: bool
    status: str


@dataclass(frozen=True, slots=True)
class CanaryStory:
    answered: dict[str, int]
    labels: int
    transitions: list[AlertTransition]
    rerouted_in: str | None
    start: float
    end: float
    months: list[MonthCheck] = field(default_factory=list)
    check_command: str = ""


def _months(traffic: pd.DataFrame) -> list[tuple[str, pd.DataFrame]]:
    keys = traffic["yr_sold"] * 100 + traffic["mo_sold"]
    return [(month_name(key // 100, key % 100), sales) for key, sales in traffic.groupby(keys)]


def _bodies(sales: pd.DataFrame) -> list[dict[str, Any]]:
    records = json_records(sales[AMES_NUMERICAL + AMES_CATEGORICAL])
    return [{**row, "id": f"sale-{index}"} for index, row in zip(sales.index, records, strict=True)]


class _AlertWatch:
    """The alert history the embedded monitor stores, read as it grows."""

    def __init__(self, store: PredictionStore, since: float) -> None:
        self.store, self.since = store, since
        self.seen: set[int] = set()

    def new(self, month: str) -> list[AlertTransition]:
        events = self.store.list_alert_events(model=MODEL, since=self.since - 60)
        fresh = [e for e in reversed(events) if e["id"] not in self.seen]
        self.seen.update(e["id"] for e in fresh)
        return [
            AlertTransition(e["rule"], str(e["version"]), str(e["state"]), month)
            for e in fresh
            if e["state"] in ("pending", "firing", "resolved")
        ]


def replay_canary(
    settings: Settings, base_url: str, admin_token: str, traffic_path: Path, console: Console
) -> CanaryStory:
    """Replay 2008–2010 through the gateway; react to the alert; check month by month."""
    traffic = pd.read_parquet(traffic_path)
    months = _months(traffic)
    store = open_store(settings)
    # Whole seconds, so that the check's period chunks (aligned on the epoch) are the months.
    start = float(math.ceil(time.time()) + 1)
    watch = _AlertWatch(store, start)
    answered: dict[str, int] = {}
    transitions: list[AlertTransition] = []
    rerouted_in: str | None = None
    labels = 0
    try:
        with (
            httpx.Client(base_url=base_url, timeout=30) as client,
            step(console, "Replaying Ames sales 2008–2010", len(months)) as progress,
        ):
            for index, (month, sales) in enumerate(months):
                _sleep_until(start + index * MONTH_SECONDS)
                reply = client.post(f"/models/{MODEL}/predict", json=_bodies(sales))
                reply.raise_for_status()
                for answer in reply.json()["predictions"]:
                    answered[answer["version"]] = answered.get(answer["version"], 0) + 1
                prices = [
                    {"id": f"sale-{i}", AMES_TARGET: float(p)}
                    for i, p in zip(sales.index, sales[AMES_TARGET], strict=True)
                ]
                labels += int(
                    client.post(f"/models/{MODEL}/feedback", json=prices).json()["received"]
                )
                for change in watch.new(month):
                    transitions.append(change)
                    _say(console, month, change)
                    if change.state == "firing" and change.version == "v2" and rerouted_in is None:
                        _route_out(client, admin_token, console, month)
                        rerouted_in = month
                progress.update(progress.task_ids[0], advance=1, status=month)
            end = start + len(months) * MONTH_SECONDS
            _wait_for_resolution(watch, transitions, months[-1][0], console)
        results = _check(settings, store, start, end, [m for m, _ in months])
    finally:
        store.dispose()
    span = f"--from {_iso(start)} --to {_iso(end)} --chunk {MONTH_SECONDS:g}s"
    command = f"monitml check --model {MODEL} {span}"
    return CanaryStory(answered, labels, transitions, rerouted_in, start, end, results, command)


def _say(console: Console, when: str, change: AlertTransition) -> None:
    console.print(f"  {when}: {change.rule} [bold]{change.state}[/] for {MODEL}/{change.version}")


def _sleep_until(moment: float) -> None:
    delay = moment - time.time()
    if delay > 0:
        time.sleep(delay)


def _route_out(client: httpx.Client, token: str, console: Console, month: str) -> None:
    reply = client.put(
        f"/models/{MODEL}/routing",
        json={"routing": {"v1": 100, "v2": 0}},
        headers={"Authorization": f"Bearer {token}"},
    )
    reply.raise_for_status()
    console.print(
        f"  {month}: PUT /models/{MODEL}/routing {{v1: 100, v2: 0}} → {reply.status_code}"
    )


def _wait_for_resolution(
    watch: _AlertWatch, transitions: list[AlertTransition], month: str, console: Console
) -> None:
    firing = {t.version for t in transitions if t.state == "firing"}
    deadline = time.monotonic() + RESOLVE_TIMEOUT
    while firing - {t.version for t in transitions if t.state == "resolved"}:
        if time.monotonic() > deadline:
            return
        time.sleep(0.25)
        for change in watch.new(month):
            transitions.append(change)
            _say(console, f"after {month}", change)


def _check(
    settings: Settings, store: PredictionStore, start: float, end: float, months: list[str]
) -> list[MonthCheck]:
    monitor = build_model_monitor(MODEL, settings.models[MODEL], store, policy_from(settings))
    checks: list[MonthCheck] = []
    for version in settings.models[MODEL].versions:
        batch = run_check(
            store, monitor, start=start, end=end, chunk=ChunkSpec(seconds=MONTH_SECONDS),
            version=version,
        )  # fmt: skip
        for month, result in zip(months, batch.results, strict=False):
            report = result.report
            drifted = tuple(
                name for name, column in result.feature_results().items()
                if column.result.drift_detected
            )  # fmt: skip
            prediction = report.columns.get("prediction") if report is not None else None
            checks.append(
                MonthCheck(
                    month=month,
                    version=version,
                    rows=result.rows,
                    prediction_mean=result.prediction.get("mean") if result.rows else None,
                    mae=result.performance().get("mae"),
                    drifted=drifted,
                    prediction_drift=bool(prediction and prediction.result.drift_detected),
                    status=result.status,
                )
            )
    return checks


def _iso(moment: float) -> str:
    return time.strftime("%Y-%m-%dT%H:%M:%S", time.gmtime(moment))
