"""Story 2, delayed labels (the zoomcamp replay): predictions now, the truth a month later.

An airline's own service predicts whether each flight will arrive more than 15 minutes late,
at take-off, with the classifier trained on January–March 2013. It sends what it predicted
to ``POST /models/flight-delay/log`` (the flights of April to December, month by month, with
their scheduled time), and the arrivals to ``/feedback`` only a month later, as a real
airline's data warehouse would.

After each month, ``monitml check`` scores that month: drift and data quality at once, the
performance not yet (no label has arrived). At the end, the whole period is checked again,
month by month, now with every label: that is what the stored results and the HTML report
show.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import Any

import httpx
import joblib
import numpy as np
import pandas as pd
from rich.console import Console

from monitml.app.monitoring import build_model_monitor, policy_from
from monitml.app.store import open_store
from monitml.config import Settings
from monitml.demo.console import month_name, step
from monitml.demo.data import json_records
from monitml.demo.models import (
    FLIGHT_CATEGORICAL,
    FLIGHT_NUMERICAL,
    FLIGHT_TARGET,
    flight_labels,
)
from monitml.monitor.batch import run_check
from monitml.monitor.chunks import ChunkSpec
from monitml.monitor.model_monitor import ModelMonitor
from monitml.monitor.result import WindowResult
from monitml.store import PredictionStore

__all__ = ["MODEL", "FlightMonth", "LabelsStory", "quality_flags", "replay_delayed_labels"]

MODEL = "flight-delay"
VERSION = "v1"
BATCH = 500
MONTH = ChunkSpec(months=1)


@dataclass(frozen=True, slots=True)
class FlightMonth:
    """One month of flights as the final check saw it, labels joined."""

    month: str
    rows: int
    labelled_rows: int
    predicted_share: float
    drifted: tuple[str, ...]
    quality: tuple[str, ...]
    performance: dict[str, float]


@dataclass(frozen=True, slots=True)
class LabelsStory:
    logged: int
    labels: int
    months: list[FlightMonth]
    start: float
    end: float


def _records(month: pd.DataFrame, model: Any) -> tuple[list[dict[str, Any]], list[dict[str, Any]]]:
    """What the airline's service logs at take-off, and the labels it sends later."""
    features = month[FLIGHT_CATEGORICAL + FLIGHT_NUMERICAL]
    scores = model.predict_proba(features)
    classes = [str(c) for c in model.classes_]
    rows = json_records(features)
    logged = [
        {
            "id": f"flight-{index}",
            "version": VERSION,
            "features": row,
            "prediction": int(model.classes_[int(np.argmax(score))]),
            "probabilities": {c: float(p) for c, p in zip(classes, score, strict=True)},
            "timestamp": when.timestamp(),
        }
        for index, row, score, when in zip(
            month.index, rows, scores, month["scheduled"], strict=True
        )
    ]
    truth = flight_labels(month)
    labels = [{"id": f"flight-{i}", FLIGHT_TARGET: int(v)} for i, v in truth.items()]
    return logged, labels


def _post(client: httpx.Client, path: str, items: list[dict[str, Any]]) -> int:
    count = 0
    for first in range(0, len(items), BATCH):
        reply = client.post(path, json=items[first : first + BATCH])
        reply.raise_for_status()
        answer = reply.json()
        count += int(answer.get("logged", answer.get("received", 0)))
    return count


def replay_delayed_labels(
    settings: Settings, base_url: str, folder: Path, console: Console
) -> LabelsStory:
    """Log April–December month by month, labels a month late; check each month.

    ``folder`` holds the replayed flights and the airline's own copy of the model.
    """
    replay = pd.read_parquet(folder / "flights-replay.parquet")
    model = joblib.load(folder / "models" / "delay.joblib")
    scheduled = replay["scheduled"]
    keys = scheduled.dt.year * 100 + scheduled.dt.month
    months = [(_month_start(part["scheduled"].min()), part) for _, part in replay.groupby(keys)]
    store = open_store(settings)
    monitor = build_model_monitor(MODEL, settings.models[MODEL], store, policy_from(settings))
    start = months[0][0]
    logged = labels = 0
    waiting: list[dict[str, Any]] = []
    try:
        with (
            httpx.Client(base_url=base_url, timeout=30) as client,
            step(console, "Replaying NYC flights Apr–Dec 2013", len(months)) as progress,
        ):
            for first_day, month in months:
                records, truth = _records(month, model)
                logged += _post(client, f"/models/{MODEL}/log", records)
                arrived = _post(client, f"/models/{MODEL}/feedback", waiting)  # last month's
                labels += arrived
                waiting = truth
                (first,) = _check(store, monitor, first_day.timestamp(), _next_month(first_day))
                name = month_name(first_day.year, first_day.month)
                console.print(f"  {_as_of(name, first)} · {arrived} arrivals of the month before")
                progress.update(progress.task_ids[0], advance=1, status=name)
            labels += _post(client, f"/models/{MODEL}/feedback", waiting)  # December's, in January
        end = _next_month(months[-1][0])
        results = _check(store, monitor, start.timestamp(), end)
    finally:
        store.dispose()
    return LabelsStory(logged, labels, [_month(r) for r in results], start.timestamp(), end)


def _month_start(moment: pd.Timestamp) -> pd.Timestamp:
    return pd.Timestamp(year=moment.year, month=moment.month, day=1, tz="UTC")


def _next_month(moment: pd.Timestamp) -> float:
    return float((moment + pd.DateOffset(months=1)).timestamp())


def _check(
    store: PredictionStore, monitor: ModelMonitor, start: float, end: float
) -> list[WindowResult]:
    return run_check(store, monitor, start=start, end=end, chunk=MONTH, version=VERSION).results


def quality_flags(result: WindowResult, *, floor: float = 0.01) -> tuple[str, ...]:
    """The data-quality findings of a window worth a line: ``temp 12% out of range``."""
    if result.report is None:
        return ()
    flags = []
    for name, column in result.report.quality.get("columns", {}).items():
        missing = (column.get("current") or {}).get("missing_share") or 0.0
        for share, what in (
            (missing, "missing"),
            (column.get("out_of_range_share") or 0.0, "out of range"),
            (column.get("unseen_share") or 0.0, "unseen categories"),
        ):
            if share >= floor:
                flags.append(f"{name} {share:.0%} {what}")
    return tuple(flags)


def _as_of(name: str, result: WindowResult) -> str:
    drifted = [n for n, c in result.feature_results().items() if c.result.drift_detected]
    quality = quality_flags(result)
    return (
        f"{name}: {result.rows} flights · drift {', '.join(drifted) or 'none'} · "
        f"quality {', '.join(quality) or 'ok'} · no label yet"
    )


def _month(result: WindowResult) -> FlightMonth:
    moment = pd.Timestamp(result.window_start or 0, unit="s", tz="UTC")
    shares = result.prediction.get("class_shares") or {}
    performance = result.performance()
    return FlightMonth(
        month=month_name(moment.year, moment.month),
        rows=result.rows,
        labelled_rows=result.labelled_rows,
        predicted_share=float(shares.get("1", 0.0)),
        drifted=tuple(n for n, c in result.feature_results().items() if c.result.drift_detected),
        quality=quality_flags(result),
        performance=performance,
    )
