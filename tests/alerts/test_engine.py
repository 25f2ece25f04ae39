"""The state machine and grouping, driven by injected time: no sleeping anywhere."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import pytest

from monitml.alerts import AlertEngine, AlertRule, AlertsSettings, MetricSample, Notification
from monitml.alerts.notification import fingerprint
from monitml.store import PredictionStore

RuleFactory = Callable[..., AlertRule]

MODEL = "house-price"


def mean(version: str, value: float) -> MetricSample:
    return MetricSample("prediction_mean", {"model": MODEL, "version": version}, value)


def engine_for(rules: list[Any], **timers: Any) -> tuple[AlertEngine, list[dict[str, Any]]]:
    events: list[dict[str, Any]] = []
    options: dict[str, Any] = {"group_wait": 10.0, "group_interval": 60.0, "repeat_interval": 600.0}
    options.update(timers)
    return AlertEngine(rules, on_event=events.append, **options), events


def run(
    engine: AlertEngine, steps: dict[float, list[MetricSample]]
) -> dict[float, list[Notification]]:
    """Evaluate at each time; return the notifications per time that had some."""
    sent: dict[float, list[Notification]] = {}
    for now, samples in sorted(steps.items()):
        notifications = engine.evaluate(samples, now)
        if notifications:
            sent[now] = notifications
    return sent


def test_an_alert_is_pending_until_for_elapses_then_fires_after_group_wait(
    make_rule: RuleFactory,
) -> None:
    engine, _ = engine_for([make_rule(for_="30s")])
    assert engine.evaluate([mean("v2", 100.0)], 0.0) == []
    assert list(engine.states().values()) == ["pending"]
    assert engine.evaluate([mean("v2", 100.0)], 29.0) == []
    assert engine.evaluate([mean("v2", 100.0)], 30.0) == []  # firing; the new group waits
    assert list(engine.states().values()) == ["firing"]
    assert engine.evaluate([mean("v2", 100.0)], 39.0) == []
    (notification,) = engine.evaluate([mean("v2", 100.0)], 40.0)
    assert notification.status == "firing"
    (alert,) = notification.alerts
    assert dict(alert.labels) == {
        "alertname": "LowAveragePrediction",
        "model": MODEL,
        "version": "v2",
        "severity": "warning",
    }
    assert alert.starts_at == 0.0  # when the condition first held, as Prometheus' activeAt
    assert alert.ends_at is None
    assert alert.annotations["description"] == (
        "prediction_mean < 100000 on model house-price version v2 (value 100)"
    )
    assert dict(notification.group_labels) == {"alertname": "LowAveragePrediction", "model": MODEL}
    assert notification.group_key == '{}:{alertname="LowAveragePrediction", model="house-price"}'


def test_a_pending_alert_that_clears_goes_back_to_inactive_without_a_notification(
    make_rule: RuleFactory,
) -> None:
    engine, events = engine_for([make_rule(for_="30s")])
    sent = run(engine, {0.0: [mean("v2", 100.0)], 20.0: [mean("v2", 200_000.0)], 100.0: []})
    assert sent == {}
    assert [e["state"] for e in events] == ["pending", "inactive"]
    assert engine.states() == {}


def test_the_for_clock_restarts_after_the_condition_breaks(make_rule: RuleFactory) -> None:
    engine, _ = engine_for([make_rule(for_="30s")], group_wait=0.0)
    low, high = [mean("v2", 100.0)], [mean("v2", 200_000.0)]
    sent = run(engine, {0.0: low, 20.0: high, 25.0: low, 50.0: low, 55.0: low})
    assert list(sent) == [55.0]  # 25 + 30, not 0 + 30


def test_for_zero_fires_at_the_first_evaluation(make_rule: RuleFactory) -> None:
    engine, events = engine_for([make_rule()], group_wait=0.0)
    (notification,) = engine.evaluate([mean("v2", 100.0)], 5.0)
    assert notification.status == "firing"
    assert [e["state"] for e in events] == ["pending", "firing"]


def test_a_firing_alert_resolves_when_the_condition_stops_holding(make_rule: RuleFactory) -> None:
    engine, events = engine_for([make_rule()])
    sent = run(
        engine,
        {
            0.0: [mean("v2", 100.0)],
            10.0: [mean("v2", 100.0)],  # first notification (group_wait)
            30.0: [mean("v2", 150_000.0)],  # resolved now, notified at the next group_interval
            69.0: [mean("v2", 150_000.0)],
            70.0: [mean("v2", 150_000.0)],
        },
    )
    assert list(sent) == [10.0, 70.0]
    (resolved,) = sent[70.0]
    assert resolved.status == "resolved"
    (alert,) = resolved.alerts
    assert (alert.status, alert.starts_at, alert.ends_at) == ("resolved", 0.0, 30.0)
    assert [e["state"] for e in events] == ["pending", "firing", "resolved"]
    assert engine.evaluate([mean("v2", 150_000.0)], 1000.0) == []  # the group is gone


def test_a_series_that_disappears_resolves(make_rule: RuleFactory) -> None:
    engine, _ = engine_for([make_rule()])
    sent = run(engine, {0.0: [mean("v2", 100.0)], 10.0: [mean("v2", 100.0)], 20.0: [], 70.0: []})
    assert [n.status for n in sent[70.0]] == ["resolved"]


def test_an_alert_that_resolves_before_it_was_ever_notified_sends_nothing(
    make_rule: RuleFactory,
) -> None:
    engine, _ = engine_for([make_rule()])
    assert run(engine, {0.0: [mean("v2", 100.0)], 5.0: [], 10.0: [], 100.0: []}) == {}


def test_a_still_firing_alert_is_repeated_only_after_the_repeat_interval(
    make_rule: RuleFactory,
) -> None:
    engine, _ = engine_for(
        [make_rule()], group_wait=10.0, group_interval=60.0, repeat_interval=300.0
    )
    steps = {float(t): [mean("v2", 100.0)] for t in range(0, 800, 10)}
    sent = run(engine, steps)
    # 10: first; group flushes every 60 s after that; a repeat once 300 s have passed.
    assert list(sent) == [10.0, 310.0, 610.0]
    assert all(n.status == "firing" for batch in sent.values() for n in batch)


def test_without_a_version_each_version_is_its_own_alert_in_one_group(
    make_rule: RuleFactory,
) -> None:
    engine, _ = engine_for([make_rule()], group_wait=0.0)
    (notification,) = engine.evaluate([mean("v1", 90_000.0), mean("v2", 100.0)], 0.0)
    assert sorted(a.labels["version"] for a in notification.alerts) == ["v1", "v2"]
    assert notification.common_labels == {
        "alertname": "LowAveragePrediction",
        "model": MODEL,
        "severity": "warning",
    }


def test_grouping_by_version_sends_one_notification_per_version(make_rule: RuleFactory) -> None:
    engine, _ = engine_for(
        [make_rule()], group_wait=0.0, group_by=["alertname", "model", "version"]
    )
    notifications = engine.evaluate([mean("v1", 90_000.0), mean("v2", 100.0)], 0.0)
    assert sorted(n.group_labels["version"] for n in notifications) == ["v1", "v2"]


def test_a_rule_with_a_version_watches_only_that_version(make_rule: RuleFactory) -> None:
    engine, _ = engine_for([make_rule(version="v2")], group_wait=0.0)
    (notification,) = engine.evaluate([mean("v1", 100.0), mean("v2", 100.0)], 0.0)
    assert [a.labels["version"] for a in notification.alerts] == ["v2"]


def test_other_models_and_metrics_are_ignored(make_rule: RuleFactory) -> None:
    engine, _ = engine_for([make_rule()], group_wait=0.0)
    samples = [
        MetricSample("prediction_mean", {"model": "other", "version": "v1"}, 1.0),
        MetricSample("prediction_min", {"model": MODEL, "version": "v1"}, 1.0),
    ]
    assert engine.evaluate(samples, 0.0) == []
    assert engine.states() == {}


def test_an_alert_joining_a_notified_group_waits_for_the_group_interval(
    make_rule: RuleFactory,
) -> None:
    engine, _ = engine_for([make_rule()], group_wait=10.0, group_interval=60.0)
    v1_low = [mean("v2", 100.0), mean("v1", 90_000.0)]
    sent = run(
        engine,
        {
            0.0: [mean("v2", 100.0)],
            10.0: [mean("v2", 100.0)],
            20.0: v1_low,  # v1 joins the already notified group
            69.0: v1_low,
            70.0: v1_low,
        },
    )
    assert list(sent) == [10.0, 70.0]
    assert sorted(a.labels["version"] for a in sent[70.0][0].alerts) == ["v1", "v2"]


def test_a_resolved_alert_is_sent_once_with_the_group_still_firing(make_rule: RuleFactory) -> None:
    engine, _ = engine_for([make_rule()], group_wait=0.0, group_interval=60.0)
    both = [mean("v1", 90_000.0), mean("v2", 100.0)]
    sent = run(engine, {0.0: both, 30.0: [mean("v2", 100.0)], 60.0: [mean("v2", 100.0)], 120.0: []})
    statuses = {a.labels["version"]: a.status for a in sent[60.0][0].alerts}
    assert statuses == {"v1": "resolved", "v2": "firing"}
    assert sent[60.0][0].status == "firing"
    assert [(a.labels["version"], a.status) for a in sent[120.0][0].alerts] == [("v2", "resolved")]


def test_feature_rules_alert_per_feature_and_keep_the_feature_label(make_rule: RuleFactory) -> None:
    rule = make_rule(name="FeatureDrift", expr='feature_drift_score{feature="gr_liv_area"} > 0.2')
    engine, _ = engine_for([rule], group_wait=0.0)
    base = {"model": MODEL, "version": "v1", "method": "wasserstein"}
    samples = [
        MetricSample("feature_drift_score", {**base, "feature": "gr_liv_area"}, 0.3),
        MetricSample("feature_drift_score", {**base, "feature": "lot_area"}, 0.9),
    ]
    (notification,) = engine.evaluate(samples, 0.0)
    (alert,) = notification.alerts
    assert alert.labels["feature"] == "gr_liv_area"
    assert alert.labels["method"] == "wasserstein"
    assert alert.value == 0.3


def test_plain_tuples_from_the_monitor_are_accepted(make_rule: RuleFactory) -> None:
    engine, _ = engine_for([make_rule()], group_wait=0.0)
    samples = [("prediction_mean", {"model": MODEL, "version": "v2"}, 100.0)]
    assert len(engine.evaluate(samples, 0.0)) == 1


def test_rule_labels_are_added_and_the_fingerprint_is_prometheus_style(
    make_rule: RuleFactory,
) -> None:
    engine, _ = engine_for(
        [make_rule(labels={"team": "pricing"}, severity="critical")], group_wait=0
    )
    (notification,) = engine.evaluate([mean("v2", 100.0)], 0.0)
    (alert,) = notification.alerts
    assert alert.labels["team"] == "pricing"
    assert alert.labels["severity"] == "critical"
    assert alert.fingerprint == fingerprint(alert.labels)
    assert len(alert.fingerprint) == 16


def test_history_events_have_the_store_shape(make_rule: RuleFactory) -> None:
    engine, events = engine_for([make_rule()], group_wait=0.0)
    run(engine, {100.0: [mean("v2", 100.0)], 130.0: []})
    assert [e["state"] for e in events] == ["pending", "firing", "resolved"]
    resolved = events[-1]
    assert resolved["rule"] == "LowAveragePrediction"
    assert (resolved["model"], resolved["version"]) == (MODEL, "v2")
    assert (resolved["starts_at"], resolved["ends_at"], resolved["value"]) == (100.0, 130.0, 100.0)
    assert resolved["payload"]["labels"]["version"] == "v2"


def test_history_events_save_into_the_real_store(make_rule: RuleFactory, tmp_path: Any) -> None:
    store = PredictionStore.from_url(f"sqlite:///{tmp_path / 'alerts.db'}")
    engine = AlertEngine([make_rule()], group_wait=0.0, on_event=store.save_alert_event)
    engine.evaluate([mean("v2", 100.0)], 100.0)
    engine.evaluate([], 130.0)
    saved = store.list_alert_events(model=MODEL)
    assert [e["state"] for e in saved][:1] == ["resolved"]
    assert {e["state"] for e in saved} == {"pending", "firing", "resolved"}
    store.engine.dispose()


def test_a_failing_history_sink_never_stops_evaluation(
    make_rule: RuleFactory, caplog: pytest.LogCaptureFixture
) -> None:
    def broken(event: dict[str, Any]) -> None:
        raise RuntimeError("database is down")

    engine = AlertEngine([make_rule()], group_wait=0.0, on_event=broken)
    assert len(engine.evaluate([mean("v2", 100.0)], 0.0)) == 1
    assert "could not record alert event" in caplog.text


def test_holds_judges_one_batch_of_samples_without_state(make_rule: RuleFactory) -> None:
    engine, events = engine_for([make_rule(for_="1h"), make_rule(name="HighMae", expr="mae > 5")])
    assert engine.holds([mean("v2", 100.0)]) == ["LowAveragePrediction"]
    assert engine.holds([]) == []
    assert events == []


def test_from_settings_takes_the_rules_and_timers() -> None:
    settings = AlertsSettings.model_validate(
        {
            "rules": [{"name": "X", "model": "m", "expr": "mae > 1"}],
            "group_wait": "1s",
            "group_interval": "2s",
            "repeat_interval": "3s",
            "group_by": ["alertname"],
        }
    )
    engine = AlertEngine.from_settings(settings)
    assert (engine.group_wait, engine.group_interval, engine.repeat_interval) == (1.0, 2.0, 3.0)
    assert engine.group_by == ("alertname",)


def test_negative_timers_are_rejected(make_rule: RuleFactory) -> None:
    with pytest.raises(ValueError, match="'group_wait' parameter of AlertEngine must be >= 0"):
        AlertEngine([make_rule()], group_wait=-1.0)
