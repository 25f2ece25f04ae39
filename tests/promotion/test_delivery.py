"""The promotion driver on a real store (SQLite and PostgreSQL) with logged predictions.

Traffic is routed with the routing the store holds, as a gateway replica routes it, so each
step's weights decide which version answers the next requests; the clock is the tests'.
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import replace
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd
import pytest
from prometheus_client import CollectorRegistry

from monitml.alerts import Dispatcher, WebhookChannel, WebhookChannelSettings
from monitml.alerts.notification import Notification
from monitml.promotion.delivery import (
    PromotionError,
    abort_promotion,
    load,
    pause_promotion,
    resume_promotion,
    start_promotion,
)
from monitml.promotion.driver import PromotionDriver, gateway_counters
from monitml.promotion.estimated import LabelFreeEstimates
from monitml.promotion.settings import PromotionConfig
from monitml.store import PredictionStore

from .traffic import (
    BACKENDS,
    FEATURES,
    MODEL,
    Flaky,
    Traffic,
    classifiers,
    events,
    houses,
    open_store,
    setup_of,
    versions,
)
from .traffic import weights_of as weights

T0 = 1_800_000_000.0
PLAN = PromotionConfig(steps=[10, 25, 50, 100], interval=600, max_failed_checks=2, min_rows=20)
REQUESTS = 400  # per step: about 40 challenger requests at 10%


@pytest.fixture(params=BACKENDS)
def store(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[PredictionStore]:
    opened = open_store(request, tmp_path)
    opened.save_routing(MODEL, {"v1": 100.0})  # the config's routing, as the gateway saved it
    yield opened
    opened.dispose()


class Sent(list[Notification]):
    """A notifier that keeps what it was given."""

    def __call__(self, notifications: list[Notification]) -> None:
        self.extend(notifications)

    @property
    def summaries(self) -> list[str]:
        return [n.alerts[0].annotations["summary"] for n in self]


def driver_for(store: PredictionStore, traffic: Traffic, notify: Any = None) -> PromotionDriver:
    setup = setup_of(traffic.versions)
    return PromotionDriver(
        store,
        lambda model: setup if model == MODEL else None,
        notify=notify,
        read_gateway_metrics=traffic.read_metrics,
    )


def run_steps(
    driver: PromotionDriver, traffic: Traffic, start: float, steps: int, **send: Any
) -> float:
    """Each step: its requests, then the tick that judges it; returns the clock after."""
    now = start
    for _ in range(steps):
        traffic.send(now + 1, REQUESTS, **send)
        now += PLAN.interval
        driver.tick(now)
    return now


def test_a_good_challenger_goes_10_25_50_100_and_is_then_the_only_version(
    store: PredictionStore,
) -> None:
    traffic, sent = Traffic(store, versions()), Sent()
    driver = driver_for(store, traffic, sent)
    start_promotion(store, MODEL, "v1", "v3", PLAN, now=T0, notify=sent)
    driver.tick(T0)  # the monitor's next pass: the step's error-rate baseline
    seen = [weights(store)]
    now = T0
    for _ in range(4):
        now = run_steps(driver, traffic, now, 1)
        seen.append(weights(store))
    assert seen == [
        {"v1": 90, "v3": 10},
        {"v1": 75, "v3": 25},
        {"v1": 50, "v3": 50},
        {"v1": 0, "v3": 100},
        {"v1": 0, "v3": 100},
    ]
    state = load(store, MODEL)
    assert state is not None
    assert state.status == "completed"
    assert events(state.history) == ["started", "advanced", "advanced", "advanced", "completed"]
    assert sent.summaries == [
        "Advance house-price challenger v3 weight 10",
        "Advance house-price challenger v3 weight 25",
        "Advance house-price challenger v3 weight 50",
        "Advance house-price challenger v3 weight 100",
        "Promotion completed: house-price challenger v3 at 100",
    ]
    traffic.send(now + 1, 200)
    assert traffic.share(200) == {"v3": 1.0}  # the champion answers nothing any more
    # Every check had figures to judge on at the first step (labels arrived at once).
    first = state.history[1]["checks"]
    judged = {c["name"]: c["passed"] for c in first}
    assert judged == {
        "error_rate": True,
        "latency": True,
        "prediction_drift": True,
        "performance": True,
    }
    driver.tick(now + PLAN.interval)  # a finished promotion is left alone
    assert len(sent) == 5


def test_the_weights_decide_which_version_answers(store: PredictionStore) -> None:
    traffic = Traffic(store, versions())
    driver = driver_for(store, traffic)
    start_promotion(store, MODEL, "v1", "v3", PLAN, now=T0)
    traffic.send(T0 + 1, 2000)
    assert traffic.share(2000)["v3"] == pytest.approx(0.10, abs=0.025)
    driver.tick(T0 + PLAN.interval)
    now = run_steps(driver, traffic, T0 + PLAN.interval, 1)
    assert weights(store) == {"v1": 50, "v3": 50}
    traffic.send(now + 1, 2000)
    assert traffic.share(2000)["v3"] == pytest.approx(0.50, abs=0.04)


def test_a_challenger_that_always_answers_100_is_rolled_back_at_the_first_step_with_the_reason(
    store: PredictionStore, webhook: Any
) -> None:
    traffic = Traffic(store, versions())
    channel = WebhookChannel(WebhookChannelSettings(url=webhook.url))
    with Dispatcher({"webhook": channel}, registry=CollectorRegistry()) as dispatcher:
        driver = driver_for(store, traffic, dispatcher.submit)
        start_promotion(store, MODEL, "v1", "v9", PLAN, now=T0, notify=dispatcher.submit)
        driver.tick(T0)
        run_steps(driver, traffic, T0, 1)
        state = load(store, MODEL)
        assert state is not None
        assert state.status == "running"
        assert state.failed_checks == 1
        assert weights(store) == {"v1": 90, "v9": 10}  # held, not advanced
        run_steps(driver, traffic, T0 + PLAN.interval, 1)
        dispatcher.join()
    state = load(store, MODEL)
    assert state is not None
    assert state.status == "rolled_back"
    assert state.step == 0
    assert weights(store) == {"v1": 100, "v9": 0}
    body = webhook.wait_for(
        lambda b: b["commonLabels"].get("event") == "rolled_back", timeout=5, what="the rollback"
    )
    summary = body["alerts"][0]["annotations"]["summary"]
    assert summary.startswith("Rolled back house-price challenger v9: prediction mean 100 vs ")
    assert "realised on" in summary  # the labels said so too
    assert body["commonLabels"]["model"] == MODEL
    assert body["commonLabels"]["version"] == "v9"
    held = next(b for b in webhook.bodies if b["commonLabels"].get("event") == "held")
    assert held["alerts"][0]["annotations"]["summary"].startswith(
        "Halt house-price challenger v9 advancement (1/2 failed checks): prediction mean 100"
    )


def test_a_challenger_that_fails_10_percent_of_requests_is_held_on_its_error_rate(
    store: PredictionStore,
) -> None:
    flaky = dict(versions(), v3=Flaky(versions()["v3"], every=10))
    traffic, sent = Traffic(store, flaky), Sent()
    driver = driver_for(store, traffic, sent)
    start_promotion(store, MODEL, "v1", "v3", PLAN, now=T0)
    driver.tick(T0)
    run_steps(driver, traffic, T0, 1)
    (summary,) = sent.summaries
    assert summary.startswith(
        "Halt house-price challenger v3 advancement (1/2 failed checks): error rate "
    )
    assert summary.endswith("% > 1.0%")
    counted = gateway_counters(traffic.read_metrics(), MODEL)
    state = load(store, MODEL)
    assert state is not None
    (error_rate,) = [c for c in state.last_checks if c.name == "error_rate"]
    assert error_rate.challenger == counted["errors"]["v3"] / counted["requests"]["v3"]
    assert error_rate.challenger is not None
    assert error_rate.challenger > 0.01


def test_a_step_with_too_few_challenger_requests_waits_for_more(store: PredictionStore) -> None:
    traffic, sent = Traffic(store, versions()), Sent()
    driver = driver_for(store, traffic, sent)
    start_promotion(store, MODEL, "v1", "v3", PLAN, now=T0)
    traffic.send(T0 + 1, 50)  # about 5 challenger requests: fewer than min_rows
    driver.tick(T0 + PLAN.interval)
    state = load(store, MODEL)
    assert state is not None
    assert (state.step, state.failed_checks, sent) == (0, 0, [])
    traffic.send(T0 + PLAN.interval + 1, REQUESTS, gap=0.1)
    driver.tick(T0 + PLAN.interval + 60)  # the same window, grown: judged now
    assert weights(store) == {"v1": 75, "v3": 25}


def test_a_restart_mid_promotion_goes_on_from_the_store(store_url_of: Any) -> None:
    store = store_url_of()
    traffic = Traffic(store, versions())
    start_promotion(store, MODEL, "v1", "v3", PLAN, now=T0)
    now = run_steps(driver_for(store, traffic), traffic, T0, 2)
    assert weights(store) == {"v1": 50, "v3": 50}
    store.dispose()  # the monitor process dies

    reopened = store_url_of()
    state = load(reopened, MODEL)
    assert state is not None
    assert (state.step, state.step_started_at) == (2, now)
    traffic = Traffic(reopened, versions())
    run_steps(driver_for(reopened, traffic), traffic, now, 2)  # a new process's driver
    final = load(reopened, MODEL)
    assert final is not None
    assert final.status == "completed"
    assert events(final.history) == ["started", "advanced", "advanced", "advanced", "completed"]


@pytest.fixture(params=BACKENDS)
def store_url_of(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[Any]:
    """Opens the same store again each call (another process's view of it)."""
    url = f"sqlite:///{tmp_path / 'store.db'}"
    if request.param == "postgres":
        url = request.getfixturevalue("postgres_url")
    opened: list[PredictionStore] = []

    def open_again() -> PredictionStore:
        store = PredictionStore.from_url(url)
        if not opened:
            store.save_routing(MODEL, {"v1": 100.0})
        opened.append(store)
        return store

    yield open_again
    for store in opened:
        store.dispose()


def test_pause_freezes_the_weights_resume_starts_the_step_again_abort_rolls_back(
    store: PredictionStore,
) -> None:
    traffic, sent = Traffic(store, versions()), Sent()
    driver = driver_for(store, traffic, sent)
    start_promotion(store, MODEL, "v1", "v3", PLAN, now=T0)
    pause_promotion(store, MODEL, now=T0 + 10, notify=sent)
    run_steps(driver, traffic, T0, 3)  # three intervals of good traffic: nothing moves
    assert weights(store) == {"v1": 90, "v3": 10}
    resumed = resume_promotion(store, MODEL, now=T0 + 1800, notify=sent)
    assert resumed.step_started_at == T0 + 1800
    run_steps(driver, traffic, T0 + 1800, 1)
    assert weights(store) == {"v1": 75, "v3": 25}
    abort_promotion(store, MODEL, now=T0 + 2500, reason="by the on-call", notify=sent)
    assert weights(store) == {"v1": 100, "v3": 0}
    run_steps(driver, traffic, T0 + 2500, 1)
    assert weights(store) == {"v1": 100, "v3": 0}
    assert sent.summaries == [
        "Paused house-price challenger v3 at weight 10",
        "Resumed house-price challenger v3 at weight 10",
        "Advance house-price challenger v3 weight 25",
        "Rolled back house-price challenger v3: by the on-call",
    ]


def test_a_change_that_does_not_fit_is_a_promotion_error(store: PredictionStore) -> None:
    with pytest.raises(PromotionError, match="no promotion was ever started"):
        pause_promotion(store, MODEL)
    start_promotion(store, MODEL, "v1", "v3", PLAN, now=T0)
    with pytest.raises(PromotionError, match="already running; abort it first"):
        start_promotion(store, MODEL, "v1", "v9", PLAN, now=T0)
    with pytest.raises(PromotionError, match="not paused"):
        resume_promotion(store, MODEL)
    abort_promotion(store, MODEL)
    with pytest.raises(PromotionError, match="already aborted"):
        abort_promotion(store, MODEL)
    start_promotion(store, MODEL, "v1", "v9", PLAN, now=T0 + 1)  # a finished one is replaced


def test_a_routing_changed_by_hand_during_a_promotion_is_put_back(store: PredictionStore) -> None:
    traffic = Traffic(store, versions())
    start_promotion(store, MODEL, "v1", "v3", PLAN, now=T0)
    store.save_routing(MODEL, {"v1": 100.0})
    driver_for(store, traffic).tick(T0 + 1)
    assert weights(store) == {"v1": 90, "v3": 10}


def test_each_judged_step_is_recorded_with_its_figures(store: PredictionStore) -> None:
    traffic = Traffic(store, versions())
    start_promotion(store, MODEL, "v1", "v3", PLAN, now=T0)
    run_steps(driver_for(store, traffic), traffic, T0, 1)
    (result,) = store.list_monitor_results(MODEL, kind="promotion")
    assert result["version"] == "v3"
    assert result["window_start"] == T0
    assert result["window_end"] == T0 + PLAN.interval
    payload = result["payload"]
    assert (payload["outcome"], payload["weight"], payload["status"]) == ("pass", 10, "running")
    drift = next(c for c in payload["checks"] if c["name"] == "prediction_drift")
    assert drift["challenger"] is not None
    assert drift["threshold"] == PLAN.max_prediction_drift


def test_without_labels_the_estimated_performance_judges_the_step(store: PredictionStore) -> None:
    x, y = houses(np.random.default_rng(11), 1000)
    reference = pd.DataFrame(x, columns=list(FEATURES.names)).assign(sale_price=y)
    estimates = LabelFreeEstimates(
        reference, features=list(FEATURES.names), target="sale_price", task="regression"
    )
    setup = replace(setup_of(versions()), estimates=estimates)
    traffic = Traffic(store, versions())
    driver = PromotionDriver(store, lambda model: setup if model == MODEL else None)
    start_promotion(store, MODEL, "v1", "v3", PLAN, now=T0)
    run_steps(driver, traffic, T0, 1, labelled=False)
    good = load(store, MODEL)
    assert good is not None
    assert good.step == 1
    (estimated,) = [c for c in good.last_checks if c.name == "estimated_performance"]
    assert estimated.passed is True
    assert estimated.message.startswith("estimated mae ")
    assert estimated.champion is not None
    assert 5_000 < estimated.champion < 20_000  # the noise's MAE is 12,000

    abort_promotion(store, MODEL, now=T0 + 1000)
    start_promotion(store, MODEL, "v1", "v9", PLAN, now=T0 + 1000)
    run_steps(driver, traffic, T0 + 1000, 1, labelled=False)
    broken = load(store, MODEL)
    assert broken is not None
    (estimated,) = [c for c in broken.last_checks if c.name == "estimated_performance"]
    assert estimated.passed is False
    assert "beyond 5.0%" in estimated.message


def test_a_classifier_that_always_says_cheap_is_rolled_back_and_a_good_one_advances(
    store: PredictionStore,
) -> None:
    models = classifiers()
    traffic = Traffic(store, models, task="classification")
    setup = setup_of(models, task="classification")
    driver = PromotionDriver(store, lambda model: setup if model == MODEL else None)
    start_promotion(store, MODEL, "v1", "v3", PLAN, now=T0)
    run_steps(driver, traffic, T0, 1)
    good = load(store, MODEL)
    assert good is not None
    assert good.step == 1, good.last_checks
    abort_promotion(store, MODEL, now=T0 + 1000)

    plan = PLAN.model_copy(update={"max_failed_checks": 1})
    start_promotion(store, MODEL, "v1", "v9", plan, now=T0 + 1000)
    run_steps(driver, traffic, T0 + 1000, 1)
    broken = load(store, MODEL)
    assert broken is not None
    assert broken.status == "rolled_back"
    failed = {c.name: c.message for c in broken.last_checks if c.passed is False}
    assert set(failed) == {"prediction_drift", "performance"}
    assert failed["performance"].startswith("realised on ")
    assert "accuracy" in failed["performance"]
