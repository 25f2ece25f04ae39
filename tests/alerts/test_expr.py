from __future__ import annotations

import math

import pytest

from monitml.alerts import METRICS, ExprError, parse_expr
from monitml.alerts.durations import format_duration, parse_duration
from monitml.errors import ConfigError


@pytest.mark.parametrize(
    ("text", "canonical"),
    [
        pytest.param("prediction_mean < 100000", "prediction_mean < 100000", id="mean"),
        pytest.param("drifted_features_ratio>=0.5", "drifted_features_ratio >= 0.5", id="ratio"),
        pytest.param(
            'feature_drift_score{feature="gr_liv_area"} > 0.2',
            'feature_drift_score{feature="gr_liv_area"} > 0.2',
            id="feature-matcher",
        ),
        pytest.param(
            'feature_drift_score{ feature = "a", method!="psi", } > 2e-1',
            'feature_drift_score{feature="a",method!="psi"} > 0.2',
            id="spaces-trailing-comma",
        ),
        pytest.param("error_rate > 0.05", "error_rate > 0.05", id="error-rate"),
        pytest.param("latency_p95 > .5", "latency_p95 > 0.5", id="latency"),
        pytest.param("r2 <= -1.5", "r2 <= -1.5", id="negative"),
        pytest.param("dataset_drift == 1", "dataset_drift == 1", id="equals"),
        pytest.param("mae != 0", "mae != 0", id="not-equals"),
        pytest.param(
            'missing_values_ratio{feature="a \\"b\\""} > 0',
            'missing_values_ratio{feature="a \\"b\\""} > 0',
            id="escaped-quote",
        ),
    ],
)
def test_expressions_parse_to_their_canonical_form(text: str, canonical: str) -> None:
    assert str(parse_expr(text)) == canonical


def test_a_matcher_value_is_unescaped() -> None:
    condition = parse_expr('missing_values_ratio{feature="a \\"b\\""} > 0')
    assert condition.matchers[0].value == 'a "b"'


@pytest.mark.parametrize(
    ("op", "value", "holds"),
    [
        pytest.param("<", 99.0, True, id="lt-true"),
        pytest.param("<", 100.0, False, id="lt-equal"),
        pytest.param("<=", 100.0, True, id="le-equal"),
        pytest.param(">", 101.0, True, id="gt-true"),
        pytest.param(">=", 99.0, False, id="ge-false"),
        pytest.param("==", 100.0, True, id="eq"),
        pytest.param("!=", 100.0, False, id="ne"),
        pytest.param("!=", math.nan, False, id="nan-never-holds"),
    ],
)
def test_conditions_compare_like_promql(op: str, value: float, holds: bool) -> None:
    assert parse_expr(f"prediction_mean {op} 100").holds(value) is holds


def test_matchers_select_samples_by_label() -> None:
    condition = parse_expr('feature_drift_score{feature="a",method!="psi"} > 0.2')
    assert condition.selects("feature_drift_score", {"feature": "a", "method": "ks"})
    assert not condition.selects("feature_drift_score", {"feature": "a", "method": "psi"})
    assert not condition.selects("feature_drift_score", {"feature": "b", "method": "ks"})
    assert not condition.selects("feature_drift_detected", {"feature": "a"})


def test_an_unknown_metric_lists_every_valid_name() -> None:
    with pytest.raises(ExprError) as caught:
        parse_expr("prediction_average < 3")
    message = str(caught.value)
    assert "unknown metric 'prediction_average'" in message
    for name in METRICS:
        assert name in message


@pytest.mark.parametrize(
    ("text", "fragment"),
    [
        pytest.param("prediction_mean < ", "cannot parse alert expr", id="no-number"),
        pytest.param("prediction_mean << 3", "cannot parse alert expr", id="bad-operator"),
        pytest.param("prediction_mean < 3 and 4", "cannot parse alert expr", id="trailing"),
        pytest.param("prediction_mean < inf", "cannot parse alert expr", id="infinite"),
        pytest.param(
            "feature_drift_score{feature=a} > 1", "cannot parse label matcher", id="unquoted"
        ),
        pytest.param(
            'prediction_mean{feature="a"} < 1', "has no label 'feature'", id="label-not-on-metric"
        ),
        pytest.param(
            'feature_drift_score{version="v2"} > 1', "set the rule's 'version'", id="version-label"
        ),
        pytest.param(
            'feature_drift_score{feature="a",feature="b"} > 1', "same label twice", id="twice"
        ),
        pytest.param('performance{metric="mae"} > 1', "unknown metric", id="performance-form"),
    ],
)
def test_bad_expressions_fail_with_a_message_saying_why(text: str, fragment: str) -> None:
    with pytest.raises(ExprError) as caught:
        parse_expr(text)
    assert fragment in str(caught.value)


def test_expr_errors_are_config_errors_and_value_errors() -> None:
    assert issubclass(ExprError, ConfigError)
    assert issubclass(ExprError, ValueError)


@pytest.mark.parametrize(
    ("text", "seconds"),
    [
        pytest.param("30s", 30.0, id="seconds"),
        pytest.param("5m", 300.0, id="minutes"),
        pytest.param("1h30m", 5400.0, id="compound"),
        pytest.param("250ms", 0.25, id="millis"),
        pytest.param("1d", 86400.0, id="day"),
        pytest.param("0", 0.0, id="zero-number-string"),
        pytest.param(12, 12.0, id="int"),
        pytest.param(1.5, 1.5, id="float"),
    ],
)
def test_durations_parse_like_prometheus(text: str | float, seconds: float) -> None:
    assert parse_duration(text) == seconds


@pytest.mark.parametrize(
    "text",
    [
        pytest.param("5 m", id="space"),
        pytest.param("30m1h", id="wrong-order"),
        pytest.param("-5s", id="negative"),
        pytest.param("", id="empty"),
        pytest.param("soon", id="word"),
        pytest.param(True, id="bool"),
    ],
)
def test_bad_durations_are_rejected(text: object) -> None:
    with pytest.raises(ValueError, match="duration"):
        parse_duration(text)


@pytest.mark.parametrize(
    ("seconds", "text"),
    [
        pytest.param(0, "0s", id="zero"),
        pytest.param(30, "30s", id="seconds"),
        pytest.param(300, "5m", id="minutes"),
        pytest.param(5400, "1h30m", id="compound"),
        pytest.param(10800, "3h", id="hours"),
        pytest.param(1.5, "1s500ms", id="millis"),
    ],
)
def test_durations_format_back_to_prometheus_text(seconds: float, text: str) -> None:
    assert format_duration(seconds) == text
    assert parse_duration(text) == seconds
