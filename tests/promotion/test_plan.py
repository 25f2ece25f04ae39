"""The step logic: every transition of the state machine, with its routing and notification."""

from __future__ import annotations

import json
from collections.abc import Callable

import pytest

from monitml.promotion.plan import (
    Check,
    Notify,
    Promotion,
    SetRouting,
    Transition,
    Verdict,
    abort,
    begin,
    is_due,
    judge,
    pause,
    resume,
)
from monitml.promotion.settings import PromotionConfig

PLAN = PromotionConfig(steps=[10, 25, 50, 100], interval=600, max_failed_checks=2)
PASS = Verdict("pass", (Check("latency", True, "latency p95 2.0 ms <= 7.0 ms"),), rows=100)
FAIL = Verdict("fail", (Check("error_rate", False, "error rate 4.1% > 1.0%", 0.041),), rows=100)
WAIT = Verdict("wait", (), rows=3)


def started(now: float = 0.0, plan: PromotionConfig = PLAN) -> Promotion:
    return begin("house-price", "v1", "v3", plan, now=now, shadow=["v0", "v3"]).state


def notes(transition: Transition) -> list[Notify]:
    return transition.notifications


def test_begin_puts_the_challenger_at_the_first_weight_and_announces_it() -> None:
    transition = begin("house-price", "v1", "v3", PLAN, now=5.0, shadow=["v0"])
    assert transition.state.status == "running"
    assert transition.state.step == 0
    assert transition.state.step_started_at == 5.0
    assert transition.routing == SetRouting({"v1": 90.0, "v3": 10.0}, ("v0",))
    assert [n.summary for n in notes(transition)] == ["Advance house-price challenger v3 weight 10"]
    assert transition.state.history[-1]["event"] == "started"


def test_begin_refuses_a_challenger_that_is_the_champion() -> None:
    with pytest.raises(ValueError, match="already the champion"):
        begin("m", "v1", "v1", PLAN, now=0)


def test_the_routing_never_shadows_the_champion_or_the_challenger() -> None:
    assert started().routing().shadow == ("v0",)


@pytest.mark.parametrize(
    ("now", "due"),
    [pytest.param(599.9, False, id="before-the-interval"), pytest.param(600, True, id="at-it")],
)
def test_a_step_is_due_once_its_interval_has_passed(now: float, due: bool) -> None:
    assert is_due(started(), now) is due


def test_a_step_that_is_not_due_is_left_as_it_is_whatever_the_verdict() -> None:
    state = started()
    for verdict in (PASS, FAIL, WAIT):
        transition = judge(state, verdict, now=599)
        assert transition.state == state
        assert transition.actions == ()


def test_a_passing_step_advances_to_the_next_weight_and_starts_a_new_window() -> None:
    transition = judge(started(), PASS, now=600)
    state = transition.state
    assert state.step == 1
    assert state.weight == 25
    assert state.step_started_at == 600
    assert transition.routing is not None
    assert transition.routing.weights == {"v1": 75, "v3": 25}
    assert [n.summary for n in notes(transition)] == ["Advance house-price challenger v3 weight 25"]
    assert state.history[-1]["checks"][0]["message"] == "latency p95 2.0 ms <= 7.0 ms"


def test_a_good_challenger_goes_through_every_step_and_then_serves_alone() -> None:
    state, now, weights = started(), 0.0, []
    for _ in range(4):
        now += 600
        transition = judge(state, PASS, now=now)
        state = transition.state
        weights.append(transition.routing.weights if transition.routing else None)
    assert weights == [
        {"v1": 75, "v3": 25},
        {"v1": 50, "v3": 50},
        {"v1": 0, "v3": 100},
        {"v1": 0, "v3": 100},
    ]
    assert state.status == "completed"
    assert not state.active
    assert notes(transition)[0].summary == "Promotion completed: house-price challenger v3 at 100"
    events = [h["event"] for h in state.history]
    assert events == ["started", "advanced", "advanced", "advanced", "completed"]


def test_a_window_with_too_few_rows_waits_without_counting_a_failure() -> None:
    transition = judge(started(), WAIT, now=700)
    assert transition.actions == ()
    assert transition.state.step == 0
    assert transition.state.failed_checks == 0
    assert transition.state.step_started_at == 0  # the window goes on growing


def test_a_failing_check_holds_the_step_and_says_why() -> None:
    transition = judge(started(), FAIL, now=600)
    state = transition.state
    assert state.status == "running"
    assert state.step == 0
    assert state.failed_checks == 1
    assert state.step_started_at == 600  # judged again on a fresh window
    assert transition.routing is None  # the weights stay
    assert notes(transition)[0].summary == (
        "Halt house-price challenger v3 advancement (1/2 failed checks): error rate 4.1% > 1.0%"
    )
    assert notes(transition)[0].description == "error rate 4.1% > 1.0%"


def test_the_last_allowed_failed_check_rolls_back_to_the_champion_at_100() -> None:
    held = judge(started(), FAIL, now=600).state
    transition = judge(held, FAIL, now=1200)
    state = transition.state
    assert state.status == "rolled_back"
    assert state.failed_checks == 2
    assert transition.routing is not None
    assert transition.routing.weights == {"v1": 100, "v3": 0}
    assert notes(transition)[0].summary == (
        "Rolled back house-price challenger v3: error rate 4.1% > 1.0%"
    )
    assert judge(state, PASS, now=9999).actions == ()  # finished: nothing more happens


def test_failed_checks_count_over_the_whole_promotion_not_per_step() -> None:
    plan = PromotionConfig(steps=[10, 50, 100], interval=60, max_failed_checks=2)
    state = judge(started(plan=plan), FAIL, now=60).state
    state = judge(state, PASS, now=120).state
    assert state.step == 1
    assert state.failed_checks == 1
    assert judge(state, FAIL, now=180).state.status == "rolled_back"


def test_one_allowed_failure_rolls_back_at_the_first_failed_check() -> None:
    plan = PromotionConfig(steps=[10, 100], interval=60, max_failed_checks=1)
    assert judge(started(plan=plan), FAIL, now=60).state.status == "rolled_back"


def test_a_paused_promotion_keeps_its_weight_and_is_not_judged() -> None:
    transition = pause(started(), now=100)
    state = transition.state
    assert state.status == "paused"
    assert transition.routing is None
    assert not is_due(state, 10_000)
    assert judge(state, FAIL, now=10_000).state == state
    assert notes(transition)[0].summary == "Paused house-price challenger v3 at weight 10"


def test_resume_starts_the_step_window_again() -> None:
    transition = resume(pause(started(), now=100).state, now=5000)
    state = transition.state
    assert state.status == "running"
    assert state.step_started_at == 5000
    assert not is_due(state, 5599)
    assert is_due(state, 5600)
    assert transition.routing is not None
    assert transition.routing.weights == {"v1": 90, "v3": 10}


def test_abort_rolls_back_at_once_with_the_reason() -> None:
    transition = abort(judge(started(), PASS, now=600).state, now=700, reason="by the on-call")
    assert transition.state.status == "aborted"
    assert transition.routing is not None
    assert transition.routing.weights == {"v1": 100, "v3": 0}
    assert notes(transition)[0].summary == "Rolled back house-price challenger v3: by the on-call"


@pytest.mark.parametrize(
    ("change", "message"),
    [
        pytest.param(lambda s: resume(s, now=1), "not paused", id="resume-running"),
        pytest.param(
            lambda s: pause(pause(s, now=1).state, now=2), "not running", id="pause-twice"
        ),
        pytest.param(
            lambda s: abort(abort(s, now=1).state, now=2), "already aborted", id="abort-twice"
        ),
    ],
)
def test_a_change_that_does_not_fit_the_status_is_refused(
    change: Callable[[Promotion], Transition], message: str
) -> None:
    with pytest.raises(ValueError, match=message):
        change(started())


def test_a_state_survives_a_round_trip_through_json() -> None:
    state = judge(judge(started(), FAIL, now=600).state, PASS, now=1200).state
    document = json.loads(json.dumps(state.to_dict()))
    assert Promotion.from_dict(document) == state
    assert document["weights"] == {"v1": 75.0, "v3": 25.0}
    assert document["failed_checks"] == 1


def test_a_document_of_another_format_is_refused() -> None:
    with pytest.raises(ValueError, match=r"monitml\.promotion/1"):
        Promotion.from_dict({"format": "other"})


@pytest.mark.parametrize(
    ("checks", "rows", "outcome"),
    [
        pytest.param([Check("a", True, "ok")], 30, "pass", id="enough-rows-all-pass"),
        pytest.param([Check("a", None, "unknown")], 30, "pass", id="unjudged-check-passes"),
        pytest.param([Check("a", True, "ok")], 29, "wait", id="too-few-rows"),
        pytest.param([Check("a", False, "bad")], 5, "fail", id="a-failure-needs-no-min-rows"),
    ],
)
def test_a_verdict_fails_on_any_failed_check_and_waits_below_min_rows(
    checks: list[Check], rows: int, outcome: str
) -> None:
    assert Verdict.of(checks, rows=rows, min_rows=30).outcome == outcome


def test_the_reason_joins_the_failed_checks_messages() -> None:
    verdict = Verdict.of(
        [Check("a", False, "first"), Check("b", True, "fine"), Check("c", False, "second")],
        rows=100,
        min_rows=30,
    )
    assert verdict.reason == "first; second"


def test_history_is_bounded() -> None:
    plan = PromotionConfig(steps=[10, 100], interval=1, max_failed_checks=10_000)
    state = started(plan=plan)
    for i in range(1, 400):
        state = judge(state, FAIL, now=float(i)).state
    assert len(state.history) == 200
    assert state.history[-1]["event"] == "held"
