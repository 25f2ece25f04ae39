"""Drift scores on one scale, weighted by importance: the ranking the sentence names."""

from __future__ import annotations

import math

import pytest

from monitml.explain import drift_score, rank_features
from monitml.explain.ranking import MAX_TEST_SCORE


@pytest.mark.parametrize(
    ("column", "expected"),
    [
        pytest.param({"statistic": 0.25, "p_value": None, "threshold": 0.1}, 2.5, id="distance"),
        pytest.param(
            {
                "statistic": 0.3,
                "p_value": 1e-9,
                "threshold": 0.01,
                "effect_size": 0.2,
                "effect_threshold": 0.1,
            },
            2.0,
            id="default-rule-uses-the-effect",
        ),
        pytest.param({"statistic": 9.0, "p_value": 1e-4, "threshold": 0.01}, 2.0, id="test"),
        pytest.param(
            {"statistic": 9.0, "p_value": 0.0, "threshold": 0.01}, MAX_TEST_SCORE, id="test-capped"
        ),
        pytest.param({"statistic": None, "p_value": None, "threshold": 0.1}, None, id="none"),
    ],
)
def test_each_method_is_put_on_the_scale_where_one_is_its_threshold(
    column: dict[str, float | None], expected: float | None
) -> None:
    score = drift_score(column)
    if expected is None:
        assert score is None
    else:
        assert score is not None
        assert math.isclose(score, expected)


def column(statistic: float, drifted: bool) -> dict[str, object]:
    return {"role": "feature", "method": "wasserstein", "statistic": statistic, "p_value": None,
            "threshold": 0.1, "drift_detected": drifted}  # fmt: skip


def test_a_less_drifted_feature_the_model_relies_on_ranks_above_an_ignored_one() -> None:
    columns = {"area": column(0.2, True), "noise": column(0.6, True), "price": column(0.1, False)}
    columns["prediction"] = {**column(5.0, True), "role": "prediction"}
    ranked = rank_features(columns, {"area": 0.7, "noise": 0.0, "price": 0.3})
    assert [r.feature for r in ranked] == ["area", "price", "noise"]
    assert ranked[0].impact == pytest.approx(2.0 * 0.7)
    assert ranked[2].impact == 0.0
    assert ranked[2].drift_score == pytest.approx(6.0)


def test_without_importance_every_feature_weighs_the_same() -> None:
    ranked = rank_features({"a": column(0.2, True), "b": column(0.6, True)}, None)
    assert [r.feature for r in ranked] == ["b", "a"]
    assert all(r.importance is None for r in ranked)
    assert ranked[0].impact == pytest.approx(6.0 / 2)
