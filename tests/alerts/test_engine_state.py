"""An engine restored from another's exported state goes on where that one stopped."""

from __future__ import annotations

import json

from monitml.alerts import AlertEngine, AlertRule

from .test_engine import mean, run

RULE = AlertRule(name="Low", model="house-price", expr="prediction_mean < 10", **{"for": "20s"})


def _engine() -> AlertEngine:
    return AlertEngine([RULE], group_wait=10.0, group_interval=60.0, repeat_interval=600.0)


def test_a_standby_restored_from_the_state_neither_notifies_again_nor_forgets_to_resolve() -> None:
    active = _engine()
    sent = run(active, {0: [mean("v2", 5)], 20: [mean("v2", 5)], 30: [mean("v2", 5)]})
    assert [n.status for n in sent[30]] == ["firing"]
    state = json.loads(json.dumps(active.export_state()))  # through the store: JSON

    standby, fresh = _engine(), _engine()
    standby.restore_state(state)
    later = {t: [mean("v2", 5)] for t in (90, 110, 120, 150)} | {210: []}

    assert {t: [n.status for n in ns] for t, ns in run(standby, later).items()} == {
        210: ["resolved"]
    }
    assert standby.states() == {}
    # Without the state, the same evaluations notify the firing alert a second time.
    assert [n.status for n in run(fresh, later)[120]] == ["firing"]


def test_a_pending_alert_keeps_its_start_across_a_takeover() -> None:
    active = _engine()
    run(active, {0: [mean("v2", 5)]})
    standby = _engine()
    standby.restore_state(active.export_state())

    sent = run(standby, {20: [mean("v2", 5)], 30: [mean("v2", 5)]})

    assert standby.states() == {next(iter(standby.states())): "firing"}
    (alert,) = sent[30][0].alerts
    assert alert.starts_at == 0


def test_a_state_of_another_format_is_ignored() -> None:
    engine = _engine()
    run(engine, {0: [mean("v2", 5)]})

    engine.restore_state({"format": "something-else/9"})

    assert len(engine.states()) == 1
