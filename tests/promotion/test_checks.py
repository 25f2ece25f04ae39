"""Each step check on worked values: what passes, what fails, what cannot be judged, and why."""

from __future__ import annotations

import numpy as np
import pytest

from monitml.promotion.checks import (
    LATENCY_SLACK_SECONDS,
    error_rate_check,
    estimated_check,
    latency_check,
    performance_check,
    prediction_drift_check,
)


def counters(v1: tuple[float, float], v3: tuple[float, float]) -> dict[str, dict[str, float]]:
    return {"requests": {"v1": v1[0], "v3": v3[0]}, "errors": {"v1": v1[1], "v3": v3[1]}}


def test_the_error_rate_counts_only_the_requests_since_the_step_started() -> None:
    before = counters((1000, 50), (0, 0))  # the champion's old errors do not count
    after = counters((1900, 50), (100, 0))
    check = error_rate_check(before, after, champion="v1", challenger="v3", max_error_rate=0.01)
    assert check.passed is True
    assert check.challenger == 0.0
    assert check.champion == 0.0


def test_a_challenger_failing_4_percent_of_requests_fails_a_1_percent_bound() -> None:
    before = counters((0, 0), (0, 0))
    after = counters((900, 0), (1000, 41))
    check = error_rate_check(before, after, champion="v1", challenger="v3", max_error_rate=0.01)
    assert check.passed is False
    assert check.message == "error rate 4.1% > 1.0%"
    assert check.challenger == pytest.approx(0.041)


def test_the_bound_sits_above_the_champions_own_error_rate() -> None:
    before = counters((0, 0), (0, 0))
    after = counters((1000, 30), (1000, 35))  # 3.5% against the champion's 3%
    check = error_rate_check(before, after, champion="v1", challenger="v3", max_error_rate=0.01)
    assert check.passed is True
    assert check.threshold == pytest.approx(0.04)
    assert "above the champion's 3.0%" in check.message


@pytest.mark.parametrize(
    ("before", "after", "why"),
    [
        pytest.param(None, None, "no gateway metrics", id="no-metrics"),
        pytest.param(
            counters((500, 0), (100, 0)), counters((10, 0), (5, 0)), "reset", id="restarted"
        ),
        pytest.param(
            counters((0, 0), (0, 0)), counters((10, 0), (0, 0)), "no challenger", id="no-traffic"
        ),
    ],
)
def test_an_error_rate_that_cannot_be_measured_is_not_judged(
    before: dict[str, dict[str, float]] | None, after: dict[str, dict[str, float]] | None, why: str
) -> None:
    check = error_rate_check(before, after, champion="v1", challenger="v3", max_error_rate=0.01)
    assert check.passed is None
    assert why in check.message


def test_latency_fails_when_the_challengers_p95_is_over_the_ratio() -> None:
    champion = np.full(100, 0.050)
    check = latency_check(np.full(100, 0.080), champion, max_ratio=1.5)
    assert check.passed is False
    assert check.message == "latency p95 80.0 ms > 75.0 ms"
    assert latency_check(np.full(100, 0.070), champion, max_ratio=1.5).passed is True


def test_sub_millisecond_latencies_are_not_failed_for_their_ratio() -> None:
    check = latency_check(np.full(50, 0.003), np.full(50, 0.0005), max_ratio=1.5)
    assert check.passed is True
    assert check.threshold == pytest.approx(0.0005 + LATENCY_SLACK_SECONDS)


def test_latency_without_champion_requests_is_not_judged() -> None:
    assert latency_check(np.full(5, 0.01), np.array([]), max_ratio=1.5).passed is None
    assert latency_check(np.array([]), np.full(5, 0.01), max_ratio=1.5).passed is None


def test_a_challenger_that_always_predicts_100_drifts_far_from_the_champion() -> None:
    rng = np.random.default_rng(0)
    champion = rng.normal(180_000, 60_000, 400)
    check = prediction_drift_check(np.full(400, 100.0), champion, task="regression", max_effect=0.5)
    assert check.passed is False
    assert check.message.startswith("prediction mean 100 vs the champion's 1")
    assert check.challenger is not None
    assert check.challenger > 2


def test_a_retrained_challenger_a_little_off_the_champion_passes() -> None:
    rng = np.random.default_rng(1)
    champion = rng.normal(180_000, 60_000, 2000)
    challenger = champion * 0.93 + rng.normal(0, 5_000, 2000)  # prices 7% lower after the crash
    check = prediction_drift_check(challenger, champion, task="regression", max_effect=0.5)
    assert check.passed is True
    assert check.challenger is not None
    assert 0 < check.challenger < 0.5


def test_a_classifier_predicting_one_class_only_fails_the_drift_check() -> None:
    rng = np.random.default_rng(2)
    champion = rng.choice(["late", "on-time"], size=500, p=[0.3, 0.7])
    check = prediction_drift_check(
        np.full(500, "on-time"), champion, task="classification", max_effect=0.5
    )
    assert check.passed is False
    assert "agree on" in check.message


def test_no_paired_request_is_not_judged() -> None:
    check = prediction_drift_check(np.array([]), np.array([]), task="regression", max_effect=0.5)
    assert check.passed is None


def test_realised_mae_worse_than_the_bound_fails() -> None:
    truth = np.array([100.0, 200.0, 300.0, 400.0])
    champion = truth + 10  # MAE 10
    challenger = truth + 12  # MAE 12: 20% worse
    check = performance_check(truth, challenger, champion, task="regression", max_drop=0.05)
    assert check.passed is False
    assert check.message == (
        "realised on 4 rows: mae 12 vs the champion's 10 (+20.0%, beyond 5.0%)"
    )
    better = performance_check(truth, truth + 1, champion, task="regression", max_drop=0.05)
    assert better.passed is True


def test_realised_accuracy_is_compared_on_the_same_labelled_rows() -> None:
    truth = np.array(["a", "b", "a", "b", "a"])
    champion = np.array(["a", "b", "a", "b", "b"])  # 80%
    challenger = np.array(["a", "b", "b", "a", "b"])  # 40%
    check = performance_check(truth, challenger, champion, task="classification", max_drop=0.05)
    assert check.passed is False
    assert check.challenger == pytest.approx(0.4)
    assert check.champion == pytest.approx(0.8)


def test_no_labels_is_not_judged() -> None:
    check = performance_check(np.array([]), np.array([]), np.array([]), task="regression",
                              max_drop=0.05)  # fmt: skip
    assert check.passed is None


def test_estimates_are_compared_like_realised_figures_and_unknown_ones_not_at_all() -> None:
    assert estimated_check("mae", 11.0, 10.0, max_drop=0.05).passed is False
    assert estimated_check("mae", 10.4, 10.0, max_drop=0.05).passed is True
    assert estimated_check("accuracy", 0.70, 0.80, max_drop=0.05).passed is False
    assert estimated_check("mae", None, 10.0, max_drop=0.05).passed is None
