"""Story 3, retraining: a rule retrains the model, the challenger is promoted; a broken one is not.

``house-price-retrain`` serves one version, v1, the gradient-boosting model trained on the Ames
sales of 2006–2007 (story 1's v1). The sales of 2008–2010 are replayed through ``POST /predict``
one month per ``MONTH_SECONDS``, each sale's price sent to ``/feedback`` once its month is sent.

What the story shows, and what it does not claim:

- Ames prices did not crash in 2008 (mean sale price 185k in 2007, 179k in 2008). What the
  monitor sees is the gap between v1's error on the sales it was trained on (MAE about 6k,
  in-sample) and its realised error on the sales that follow (about 18k). ``PriceErrorHigh``
  (``mae > 12000``, twice the in-sample error, held for a year of sales, ``actions: [retrain]``)
  fires once a year of realised error is in the store.
- The retrain action then fits v2 with :func:`~monitml.demo.models.train_on_every_sale`: v1's
  training function on every sale known (the 2006–2007 history v1 was fitted on and the
  labelled log), with leaves of 10 sales, chosen by cross-validation on the 2006–2007 sales
  alone; nothing is tuned on the held-out sales. It gates v2 on the newest quarter of the log,
  held out (not worse on MAE than v1, no other metric worse by more than 5%), and registers
  it. A retrained model barely differs from the champion here: the gates assert "no worse",
  not a large improvement.
- The model's ``promotion`` plan then moves v2 10 → 25 → 50 → 100 on the replay clock, judged by
  the embedded monitor every two months of sales on the same requests answered by both
  versions. The performance bound is wide (25%): on a step's hundred sales the MAE of two
  comparable models moves by that much from one window to the next, so it is a guardrail
  against a broken model, not a second improvement test. Each month is one batch request, so
  both versions' records carry the same request latency: here the latency check cannot fail.
- Once v2 serves alone, a deliberately broken v3 (always 100) is registered and its promotion
  started by hand, as ``monitml promote start`` would: it is rolled back at its first step (two
  failed checks at 10%), and the reason printed is the one in the webhook notification.

While the retrain runs, the replay waits (the retrain runs in a thread of the monitor either
way): on a busy two-core machine a fit can take longer than several replayed months, and the
story is about what happens after it, not about how fast a laptop trains.
"""

from __future__ import annotations

import math
import time
from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import httpx
import pandas as pd
from rich.console import Console

from monitml.app.store import open_store
from monitml.config import Settings
from monitml.demo.console import step
from monitml.demo.housing import MONTH_SECONDS, _bodies, _months, _sleep_until
from monitml.demo.models import (
    AMES_CATEGORICAL,
    AMES_NUMERICAL,
    AMES_TARGET,
    ConstantModel,
)
from monitml.promotion.delivery import load, start_promotion
from monitml.promotion.registry import LocalRegistry
from monitml.promotion.settings import PromotionConfig
from monitml.store import PredictionStore

__all__ = [
    "MODEL",
    "PLAN",
    "RETRAIN_RULE",
    "PromotionStep",
    "RetrainingStory",
    "replay_retraining",
    "retraining_config",
]

MODEL = "house-price-retrain"
CHAMPION = "v1"
RULE_MONTHS = 12
RETRAIN_RULE: dict[str, Any] = {
    "name": "PriceErrorHigh",
    "model": MODEL,
    # Only the version trained on 2006–2007: its successors' error is of the same size (that
    # is the error of these features on unseen sales), and retraining them again proves nothing.
    "version": CHAMPION,
    "expr": "mae > 12000",
    "for": f"{RULE_MONTHS * MONTH_SECONDS:g}s",
    "severity": "warning",
    "annotations": {
        "summary": "MAE of {{ $labels.version }} has been above $12,000, twice its in-sample "
        "error, for a year of sales"
    },
    "actions": ["retrain"],
}
# Steps judged every two months of sales (about 100 requests, both versions answering each).
PLAN: dict[str, Any] = {
    "steps": [10, 25, 50, 100],
    "interval": f"{2 * MONTH_SECONDS:g}s",
    "max_failed_checks": 2,
    # Challenger requests before a step is judged: the checks pair both versions' answers on
    # every request of the step, so five are enough to judge on the step's hundred.
    "min_rows": 5,
    # A guardrail against a broken model, not an improvement test (the gates did that on the
    # held-out quarter): on the ~100 sales of a step, the MAE of two comparable models differs
    # by a lot from one two-month window to the next (measured offline, v1 against such a challenger
    # over 2009–2010: -29% to +23%); a model answering 100 is several times worse.
    "max_metric_drop": 0.25,
}
GATES: dict[str, Any] = {
    "metric": "mae",
    "min_improvement": 0.0,
    "max_degradation": 0.05,
    "min_rows": 200,
}
RETRAIN_TIMEOUT = 240.0
NOTIFICATION_TIMEOUT = 15.0
DRAIN_TIMEOUT = 20.0


@dataclass(frozen=True, slots=True)
class PromotionStep:
    """One judged step of a promotion, as the driver recorded it."""

    weight: float
    outcome: str
    rows: int
    status: str
    checks: tuple[dict[str, Any], ...]


@dataclass
class RetrainingStory:
    fired_in: str | None = None
    retrain: dict[str, Any] | None = None  # the retrain record (kind "retrain")
    challenger: str | None = None
    promoted: str | None = None  # final status of the challenger's promotion
    promotion_steps: list[PromotionStep] = field(default_factory=list)
    broken: str | None = None
    broken_status: str | None = None
    broken_steps: list[PromotionStep] = field(default_factory=list)
    rollback_reason: str | None = None  # from the webhook notification
    answered: dict[str, int] = field(default_factory=dict)
    events: list[str] = field(default_factory=list)  # what the story printed, in order
    last_seen: tuple[str, str, float, int] | None = None


def retraining_config(house_price: dict[str, Any]) -> dict[str, Any]:
    """The model section of ``house-price-retrain``: story 1's v1, reference and features."""
    return {
        "task": "regression",
        "target": AMES_TARGET,
        "features": {"numerical": AMES_NUMERICAL, "categorical": AMES_CATEGORICAL},
        "reference": house_price["reference"],
        "versions": {CHAMPION: dict(house_price["versions"]["v1"])},
        "routing": {CHAMPION: 100},
        "training": {
            "entrypoint": "monitml.demo.models:train_on_every_sale",
            "holdout": 0.25,
            "gates": GATES,
        },
        "promotion": PLAN,
    }


def _say(console: Console, story: RetrainingStory, text: str) -> None:
    story.events.append(text)
    console.print(f"  {text}")


def _steps(store: PredictionStore, version: str) -> list[PromotionStep]:
    found = store.list_monitor_results(MODEL, version=version, kind="promotion")
    return [
        PromotionStep(
            weight=float(r["payload"]["weight"]),
            outcome=str(r["payload"]["outcome"]),
            rows=int(r["payload"]["rows"]),
            status=str(r["payload"]["status"]),
            checks=tuple(r["payload"]["checks"]),
        )
        for r in reversed(found)
        if r["payload"]["outcome"] != "wait"
    ]


def _fired(store: PredictionStore, since: float) -> bool:
    events = store.list_alert_events(model=MODEL, rule=RETRAIN_RULE["name"], since=since)
    return any(e["state"] == "firing" for e in events)


def _wait_for_retrain(store: PredictionStore, since: float) -> dict[str, Any] | None:
    deadline = time.monotonic() + RETRAIN_TIMEOUT
    while time.monotonic() < deadline:
        found = store.list_monitor_results(MODEL, kind="retrain", since=since - 1)
        if found:
            record: dict[str, Any] = found[0]["payload"]
            return record
        time.sleep(0.25)
    return None


def _register_broken(settings: Settings, store: PredictionStore) -> str:
    """v-next, always 100, registered without gates (as a hand-made push would be)."""
    taken = {CHAMPION} | {v["version"] for v in store.list_versions(MODEL)}
    name = f"v{max(int(v[1:]) for v in taken if v[1:].isdigit()) + 1}"
    path = LocalRegistry(settings.registry.path).save(MODEL, name, ConstantModel(100.0))
    payload = {
        "features": [*AMES_NUMERICAL, *AMES_CATEGORICAL],
        "task": "regression",
        "trained_rows": 0,
        "retrain_id": None,
        "note": "deliberately broken: always 100",
    }
    store.register_version(MODEL, name, {"path": str(path)}, payload)
    return name


def _rollback_reason(received: Sequence[dict[str, Any]], version: str) -> str | None:
    deadline = time.monotonic() + NOTIFICATION_TIMEOUT
    while time.monotonic() < deadline:
        for body in list(received):
            for alert in body.get("alerts", []):
                labels = alert.get("labels", {})
                if (
                    labels.get("alertname") == "MonitmlPromotion"
                    and labels.get("model") == MODEL
                    and labels.get("version") == version
                    and labels.get("event") == "rolled_back"
                ):
                    annotations = alert.get("annotations", {})
                    return str(annotations.get("description") or annotations.get("summary"))
        time.sleep(0.2)
    return None


def replay_retraining(
    settings: Settings,
    base_url: str,
    traffic_path: Path,
    received: Sequence[dict[str, Any]],
    console: Console,
) -> RetrainingStory:
    """Replay 2008–2010 for ``house-price-retrain``: the rule retrains, the plan promotes."""
    months = _months(pd.read_parquet(traffic_path))
    plan = PromotionConfig.model_validate(PLAN)
    store = open_store(settings)
    story = RetrainingStory()
    start = float(math.ceil(time.time()) + 1)
    clock_shift = 0.0  # seconds the replay waited for the retrain
    try:
        with (
            httpx.Client(base_url=base_url, timeout=30) as client,
            step(console, "Replaying Ames sales 2008–2010", len(months)) as progress,
        ):
            for index, (month, sales) in enumerate(months):
                _sleep_until(start + clock_shift + index * MONTH_SECONDS)
                _send(client, sales, story)
                if story.fired_in is None and _fired(store, start):
                    story.fired_in = month
                    _say(console, story, f"{month}: {RETRAIN_RULE['name']} firing for "
                         f"{MODEL}/{CHAMPION}: the retrain action starts")  # fmt: skip
                    waited = time.monotonic()
                    story.retrain = _wait_for_retrain(store, start)
                    clock_shift += time.monotonic() - waited
                    _told_retrain(console, story, month)
                _follow(settings, store, story, plan, month, console)
                progress.update(progress.task_ids[0], advance=1, status=month)
            # A step still under way is judged on the requests it already has: wait for it.
            deadline = time.monotonic() + DRAIN_TIMEOUT
            while story.broken_status == "running" and time.monotonic() < deadline:
                time.sleep(0.25)
                _follow(settings, store, story, plan, f"after {months[-1][0]}", console)
        # The last step's notification leaves the dispatcher after its group wait.
        if story.broken is not None and story.broken_status == "rolled_back":
            story.rollback_reason = _rollback_reason(received, story.broken)
        if story.challenger is not None:
            story.promotion_steps = _steps(store, story.challenger)
        if story.broken is not None:
            story.broken_steps = _steps(store, story.broken)
    finally:
        store.dispose()
    return story


def _send(client: httpx.Client, sales: pd.DataFrame, story: RetrainingStory) -> None:
    reply = client.post(f"/models/{MODEL}/predict", json=_bodies(sales))
    reply.raise_for_status()
    for answer in reply.json()["predictions"]:
        story.answered[answer["version"]] = story.answered.get(answer["version"], 0) + 1
    prices = [
        {"id": f"sale-{i}", AMES_TARGET: float(p)}
        for i, p in zip(sales.index, sales[AMES_TARGET], strict=True)
    ]
    client.post(f"/models/{MODEL}/feedback", json=prices).raise_for_status()


def _told_retrain(console: Console, story: RetrainingStory, month: str) -> None:
    record = story.retrain
    if record is None:
        _say(console, story, f"{month}: no retrain finished within {RETRAIN_TIMEOUT:g} s")
        return
    metrics = record.get("metrics") or {}
    figures = ""
    if metrics:
        champion, challenger = metrics["champion"]["mae"], metrics["challenger"]["mae"]
        figures = f" (held-out MAE {champion:,.0f} for {CHAMPION}, {challenger:,.0f} for it)"
    _say(console, story, f"{month}: challenger {record['challenger']} {record['status']}{figures}")
    if record["status"] == "registered":
        story.challenger = str(record["challenger"])


def _follow(
    settings: Settings,
    store: PredictionStore,
    story: RetrainingStory,
    plan: PromotionConfig,
    month: str,
    console: Console,
) -> None:
    """Tell each move of the promotions; start the broken one once the good one has finished."""
    state = load(store, MODEL)
    if state is None:
        return
    seen = (state.challenger, state.status, state.weight, state.failed_checks)
    if seen != story.last_seen:
        story.last_seen = seen
        held = f", {state.failed_checks} failed check(s)" if state.failed_checks else ""
        _say(console, story, f"{month}: promotion of {state.challenger} {state.status}, "
             f"weight {state.weight:g}%{held}")  # fmt: skip
    if state.challenger == story.challenger:
        story.promoted = state.status
    elif state.challenger == story.broken:
        story.broken_status = state.status
    if state.challenger == story.challenger and not state.active and story.broken is None:
        champion = max(state.weights, key=lambda v: state.weights[v])
        story.broken = _register_broken(settings, store)
        started = start_promotion(store, MODEL, champion, story.broken, plan)
        story.broken_status = started.status
        told = (
            f"{month}: {story.broken} (always 100) registered without gates; its promotion "
            f"started against {champion}, as `monitml promote start` does"
        )
        _say(console, story, told)
