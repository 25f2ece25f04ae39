"""The gates: rows, schema, improvement on the chosen metric, bounded degradation of the others."""

from __future__ import annotations

import pytest

from monitml.promotion.gates import (
    check_metric,
    default_metric,
    metric_gates,
    relative_improvement,
    rows_gate,
    schema_gate,
)
from monitml.promotion.settings import GatesConfig


@pytest.mark.parametrize(
    ("metric", "champion", "challenger", "expected"),
    [
        pytest.param("mae", 100.0, 90.0, 0.1, id="lower-is-better-improves"),
        pytest.param("mae", 100.0, 120.0, -0.2, id="lower-is-better-worsens"),
        pytest.param("r2", 0.5, 0.6, 0.2, id="higher-is-better-improves"),
        pytest.param("r2", -0.5, -0.25, 0.5, id="negative-champion-uses-its-size"),
        pytest.param("mae", 0.0, 0.25, -0.25, id="zero-champion-uses-the-difference"),
    ],
)
def test_relative_improvement_follows_the_metrics_direction(
    metric: str, champion: float, challenger: float, expected: float
) -> None:
    assert relative_improvement(metric, champion, challenger) == pytest.approx(expected)


def test_a_tie_passes_a_zero_minimum_improvement_and_fails_a_positive_one() -> None:
    metrics = {"mae": 10.0}
    (tie,) = metric_gates(GatesConfig(), "mae", metrics, metrics)
    (short,) = metric_gates(GatesConfig(min_improvement=0.01), "mae", metrics, metrics)
    assert (tie.value, tie.passed) == (0.0, True)
    assert (short.value, short.threshold, short.passed) == (0.0, 0.01, False)


def test_each_other_metric_may_be_worse_by_at_most_the_bound() -> None:
    champion = {"mae": 100.0, "rmse": 150.0, "mape": 0.10, "r2": 0.80}
    challenger = {"mae": 90.0, "rmse": 156.0, "mape": 0.11, "r2": 0.79}
    gates = {g.name: g for g in metric_gates(GatesConfig(), "mae", champion, challenger)}

    assert list(gates) == ["improvement", "degradation.mape", "degradation.r2", "degradation.rmse"]
    assert gates["degradation.rmse"].value == pytest.approx(0.04)
    assert gates["degradation.rmse"].passed
    assert gates["degradation.mape"].value == pytest.approx(0.10)
    assert not gates["degradation.mape"].passed  # 10% worse, bound 5%
    assert gates["degradation.r2"].value == pytest.approx(0.0125)


def test_an_undefined_chosen_metric_fails_and_an_undefined_other_one_is_not_compared() -> None:
    gates = metric_gates(GatesConfig(), "r2", {"r2": None, "mae": 1.0}, {"r2": 0.5, "mae": None})
    assert [(g.name, g.value, g.passed) for g in gates] == [("improvement", None, False)]


@pytest.mark.parametrize(
    ("training", "held_out", "passed"),
    [
        pytest.param(150, 50, True, id="enough"),
        pytest.param(149, 50, False, id="one-short"),
        pytest.param(300, 0, False, id="nothing-held-out"),
    ],
)
def test_the_rows_gate_counts_training_and_held_out_rows(
    training: int, held_out: int, passed: bool
) -> None:
    gate = rows_gate(GatesConfig(min_rows=200), training, held_out)
    assert (gate.value, gate.threshold, gate.passed) == (training + held_out, 200.0, passed)


def test_the_schema_gate_names_added_removed_and_unlogged_features() -> None:
    gate = schema_gate(GatesConfig(), ["a", "b"], ["b", "c"], ["b"])
    assert (gate.value, gate.passed) == (3.0, False)
    assert gate.detail == "features differ: +c, -a, b never logged"
    assert schema_gate(GatesConfig(allow_schema_change=True), ["a"], ["c"]).passed
    assert schema_gate(GatesConfig(), ["a", "b"], ["b", "a"]).detail == "same features"


def test_the_default_metric_is_mae_f1_or_accuracy_and_a_metric_of_another_task_is_refused() -> None:
    assert [default_metric("regression", 0), default_metric("classification", 2)] == ["mae", "f1"]
    assert default_metric("classification", 3) == "accuracy"
    check_metric("classification", "roc_auc")
    with pytest.raises(ValueError, match="'mae' is not a classification metric"):
        check_metric("classification", "mae")
