"""The retrain alert action: one background retrain per firing, its outcome notified."""

from __future__ import annotations

import threading
from pathlib import Path
from typing import Any

import pytest

from monitml.alerts.notification import Notification
from monitml.alerts.settings import AlertRule
from monitml.app.models import build_served_model
from monitml.errors import ModelError
from monitml.promotion.retrain import RetrainOutcome, retrain
from monitml.promotion.retrain_action import RetrainAction
from monitml.promotion.settings import RegistryConfig
from monitml.store import PredictionStore

from .conftest import log_labelled
from .test_retrain import NOW, synthetic, synthetic_model

RULES = [
    AlertRule(name="Drifted", model="m", expr="drifted_features_ratio > 0.5", actions=["retrain"]),
    AlertRule(name="Slow", model="m", expr="latency_p95 > 1"),
]


def firing(rule: str = "Drifted", state: str = "firing") -> dict[str, Any]:
    return {"rule": rule, "state": state, "starts_at": NOW, "model": "m", "version": "v1"}


class Outbox:
    """What the action handed to the alert channels."""

    def __init__(self) -> None:
        self.sent: list[Notification] = []
        self.arrived = threading.Event()

    def __call__(self, notifications: list[Notification]) -> None:
        self.sent.extend(notifications)
        self.arrived.set()


def test_only_a_firing_event_of_a_retrain_rule_starts_one_and_not_twice_at_once() -> None:
    release = threading.Event()
    started: list[str] = []

    def slow_retrain(model: str) -> RetrainOutcome:
        started.append(model)
        release.wait(10)
        raise ModelError("stopped by the test")

    outbox = Outbox()
    action = RetrainAction(RULES, slow_retrain, notify=outbox)

    assert not action.on_event(firing(state="pending"))
    assert not action.on_event(firing(rule="Slow"))
    assert action.on_event(firing())  # returns while the retrain runs
    assert not action.on_event(firing())  # the same model is still being retrained
    release.set()
    action.join(10)
    assert started == ["m"]
    assert action.on_event(firing())  # the next firing retrains again
    action.join(10)
    assert started == ["m", "m"]

    (first, _second) = outbox.sent
    (alert,) = first.alerts
    assert alert.labels["alertname"] == "MonitmlRetrain"
    assert (alert.labels["event"], alert.labels["rule"]) == ("failed", "Drifted")
    assert alert.annotations["description"] == "stopped by the test"


def test_a_registered_and_a_refused_retrain_are_notified_with_their_figures(
    trainers: Path, tmp_path: Path
) -> None:
    store = PredictionStore.from_url(f"sqlite:///{tmp_path / 'store.db'}")
    frame = synthetic(400, seed=2, slope=3.0)
    log_labelled(store, "m", frame, ["x", "c"], "y", [NOW - 1_000 + i for i in range(400)])
    good, bad = synthetic_model(tmp_path), synthetic_model(tmp_path, min_improvement=100.0)
    registry = RegistryConfig(path=tmp_path / "registry")
    configs = iter([good, bad])

    def run(model: str) -> RetrainOutcome:
        config = next(configs)
        served = build_served_model(model, config)
        return retrain(store, served, config.training, registry, now=NOW)

    outbox = Outbox()
    action = RetrainAction(RULES, run, notify=outbox)
    try:
        for _ in range(2):
            assert action.on_event(firing())
            action.join(60)
    finally:
        store.dispose()

    registered, refused = (n.alerts[0] for n in outbox.sent)
    assert (registered.labels["event"], registered.labels["version"]) == ("registered", "v2")
    assert registered.annotations["summary"].startswith("m: challenger v2 registered (mae ")
    assert "min_rows: 400 labelled rows" in registered.annotations["description"]
    assert (refused.labels["event"], refused.labels["severity"]) == ("refused", "warning")
    assert refused.annotations["summary"].startswith("m: challenger v3 refused by improvement")


@pytest.mark.parametrize("failure", [ModelError("user's fault"), RuntimeError("our bug")])
def test_a_retrain_that_raises_is_notified_as_failed_and_frees_the_model(
    failure: Exception,
) -> None:
    def failing(model: str) -> RetrainOutcome:
        raise failure

    outbox = Outbox()
    action = RetrainAction(RULES, failing, notify=outbox)
    assert action.on_event(firing())
    action.join(10)
    (notification,) = outbox.sent
    assert notification.alerts[0].labels["event"] == "failed"
    assert str(failure) in notification.alerts[0].annotations["description"]
    assert action.on_event(firing())
    action.join(10)
