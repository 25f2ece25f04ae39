"""The method registry and the shared DriftMethod contract, over every built-in key."""

from __future__ import annotations

import math

import numpy as np
import pytest

from monitml.errors import DataError, NotFittedError, UnknownMethodError
from monitml.stats.catalog import get_method, method_keys, methods_for
from monitml.stats.result import DriftResult
from monitml.stats.samples import CategoricalSample, NumericSample, Sample

# The keys issue 3 asks for, by family.
P_VALUE_KEYS = ["ks", "chisquare", "ztest", "fisher", "anderson", "cvm"]
DISTANCE_KEYS = ["wasserstein", "jensenshannon", "psi", "hellinger", "kl", "energy"]
ISSUE_KEYS = P_VALUE_KEYS + DISTANCE_KEYS
NUMERICAL_ONLY = ["ks", "anderson", "cvm", "wasserstein", "energy"]
CATEGORICAL_ONLY = ["chisquare", "ztest", "fisher"]


def _numeric(seed: int, shift: float = 0.0) -> NumericSample:
    return NumericSample.from_values(np.random.default_rng(seed).normal(shift, 1.0, 300))


def _binary(yes: int, no: int) -> CategoricalSample:
    return CategoricalSample.from_counts({"yes": yes, "no": no})


def _samples_for(key: str) -> tuple[Sample, Sample]:
    """A reference and a somewhat different current sample the method accepts."""
    if "numerical" in get_method(key).kinds:
        return _numeric(1), _numeric(2, shift=0.2)
    return _binary(30, 70), _binary(40, 60)


def test_every_method_the_issue_lists_is_registered() -> None:
    assert set(ISSUE_KEYS) <= set(method_keys())


def test_method_keys_are_sorted_and_unique() -> None:
    keys = method_keys()
    assert keys == sorted(set(keys))


def test_methods_for_a_kind_are_those_that_accept_it() -> None:
    numerical, categorical = set(methods_for("numerical")), set(methods_for("categorical"))
    assert set(NUMERICAL_ONLY) <= numerical - categorical
    assert set(CATEGORICAL_ONLY) <= categorical - numerical
    assert {"jensenshannon", "psi", "hellinger", "kl"} <= numerical & categorical
    assert numerical | categorical == set(method_keys())


def test_an_unknown_key_fails_listing_every_valid_key() -> None:
    with pytest.raises(UnknownMethodError) as caught:
        get_method("nope")
    message = str(caught.value)
    assert message.startswith("unknown drift method 'nope'")
    for key in method_keys():
        assert key in message
    assert isinstance(caught.value, KeyError)  # callers may catch it as a lookup failure


@pytest.mark.parametrize("key", ISSUE_KEYS)
def test_the_default_threshold_is_the_one_the_class_declares(key: str) -> None:
    method = get_method(key)
    assert method.threshold is None
    assert method.threshold_ == type(method).default_threshold
    reference, current = _samples_for(key)
    assert method.fit(reference).score(current).threshold == type(method).default_threshold


@pytest.mark.parametrize("key", ISSUE_KEYS)
def test_a_given_threshold_replaces_the_default(key: str) -> None:
    reference, current = _samples_for(key)
    assert get_method(key, threshold=0.2).fit(reference).score(current).threshold == 0.2


@pytest.mark.parametrize("key", P_VALUE_KEYS)
def test_p_value_methods_are_tests_and_distance_methods_are_not(key: str) -> None:
    assert get_method(key).is_test
    reference, current = _samples_for(key)
    assert get_method(key).fit(reference).score(current).p_value is not None


@pytest.mark.parametrize("key", DISTANCE_KEYS)
def test_distance_methods_report_no_p_value(key: str) -> None:
    assert not get_method(key).is_test
    reference, current = _samples_for(key)
    assert get_method(key).fit(reference).score(current).p_value is None


@pytest.mark.parametrize("threshold", [0.0, 1.0, -0.1, 1.5, math.nan], ids=repr)
@pytest.mark.parametrize("key", P_VALUE_KEYS)
def test_a_p_value_threshold_outside_zero_one_is_refused(key: str, threshold: float) -> None:
    reference, _ = _samples_for(key)
    with pytest.raises(ValueError, match=rf"'threshold' parameter of {key} must be a p-value"):
        get_method(key, threshold=threshold).fit(reference)


@pytest.mark.parametrize("threshold", [-0.1, -math.inf, math.inf, math.nan], ids=repr)
@pytest.mark.parametrize("key", DISTANCE_KEYS)
def test_a_negative_or_non_finite_distance_threshold_is_refused(key: str, threshold: float) -> None:
    reference, _ = _samples_for(key)
    with pytest.raises(ValueError, match=rf"'threshold' parameter of {key} must be a finite"):
        get_method(key, threshold=threshold).fit(reference)


@pytest.mark.parametrize("key", DISTANCE_KEYS)
def test_a_zero_distance_threshold_is_allowed(key: str) -> None:
    reference, current = _samples_for(key)
    assert get_method(key, threshold=0.0).fit(reference).score(current).drift_detected


@pytest.mark.parametrize("key", ISSUE_KEYS)
def test_scoring_before_fit_raises_not_fitted(key: str) -> None:
    _, current = _samples_for(key)
    with pytest.raises(NotFittedError, match="fit"):
        get_method(key).score(current)


@pytest.mark.parametrize("key", NUMERICAL_ONLY)
def test_a_categorical_sample_to_a_numerical_method_is_a_data_error(key: str) -> None:
    with pytest.raises(DataError, match=rf"'{key}' works on numerical columns"):
        get_method(key).fit(_binary(3, 4))
    with pytest.raises(DataError, match=rf"'{key}' works on numerical columns"):
        get_method(key).fit(_numeric(1)).score(_binary(3, 4))


@pytest.mark.parametrize("key", CATEGORICAL_ONLY)
def test_a_numerical_sample_to_a_categorical_method_is_a_data_error(key: str) -> None:
    with pytest.raises(DataError, match=rf"'{key}' works on categorical columns"):
        get_method(key).fit(_numeric(1))


@pytest.mark.parametrize("key", ["psi", "jensenshannon"])
def test_reference_and_current_of_different_kinds_are_a_data_error(key: str) -> None:
    with pytest.raises(DataError, match="different kinds"):
        get_method(key).fit(_numeric(1)).score(_binary(3, 4))


def _all_missing_like(sample: Sample) -> Sample:
    if isinstance(sample, NumericSample):
        return NumericSample.from_values([math.nan])
    return CategoricalSample.from_values([None])


@pytest.mark.parametrize("key", ["ks", "chisquare"])
def test_an_all_missing_reference_is_a_data_error(key: str) -> None:
    reference, _ = _samples_for(key)
    with pytest.raises(DataError, match="reference sample has no non-missing value"):
        get_method(key).fit(_all_missing_like(reference))


@pytest.mark.parametrize("key", ["ks", "chisquare"])
def test_an_all_missing_current_sample_is_a_data_error(key: str) -> None:
    reference, current = _samples_for(key)
    method = get_method(key).fit(reference)
    with pytest.raises(DataError, match="current sample has no non-missing value"):
        method.score(_all_missing_like(current))


@pytest.mark.parametrize("key", P_VALUE_KEYS)
def test_a_test_flags_drift_only_when_p_is_below_the_threshold(key: str) -> None:
    reference, current = _samples_for(key)
    p_value = get_method(key).fit(reference).score(current).p_value
    assert p_value is not None
    assert 0.0 < p_value < 1.0
    at_threshold = get_method(key, threshold=p_value).fit(reference).score(current)
    just_above = get_method(key, threshold=np.nextafter(p_value, 1.0)).fit(reference)
    assert not at_threshold.drift_detected  # p == threshold is not "below"
    assert just_above.score(current).drift_detected


@pytest.mark.parametrize("key", DISTANCE_KEYS)
def test_a_distance_flags_drift_when_the_statistic_reaches_the_threshold(key: str) -> None:
    reference, current = _samples_for(key)
    statistic = get_method(key).fit(reference).score(current).statistic
    assert statistic is not None
    assert statistic > 0.0
    at_threshold = get_method(key, threshold=statistic).fit(reference).score(current)
    just_above = get_method(key, threshold=np.nextafter(statistic, math.inf)).fit(reference)
    assert at_threshold.drift_detected  # statistic == threshold counts as drift
    assert not just_above.score(current).drift_detected


def test_the_result_names_the_method_feature_kind_and_sizes() -> None:
    reference = NumericSample.from_values([1.0, 2.0, math.nan, 3.0])
    result = get_method("ks").fit(reference).score(_numeric(5), feature="age")
    assert (result.method, result.feature, result.kind) == ("ks", "age", "numerical")
    assert (result.reference_size, result.current_size) == (3, 300)


def test_to_dict_turns_infinite_and_nan_numbers_into_none() -> None:
    result = DriftResult(
        feature="x",
        method="fisher",
        kind="categorical",
        statistic=math.inf,
        p_value=math.nan,
        threshold=0.05,
        drift_detected=True,
        reference_size=10,
        current_size=7,
        effect_size=-math.inf,
    )
    data = result.to_dict()
    assert data["statistic"] is None
    assert data["p_value"] is None
    assert data["effect_size"] is None
    assert data["threshold"] == 0.05
    assert data["drift_detected"] is True


def test_fishers_infinite_odds_ratio_is_none_in_the_dict() -> None:
    # A category only in the current sample: the odds ratio 10·4 / (0·3) is infinite.
    reference = CategoricalSample.from_counts({"a": 10})
    result = get_method("fisher").fit(reference).score(_counts(a=3, b=4))
    assert result.statistic == math.inf
    assert result.to_dict()["statistic"] is None
    assert result.to_dict()["p_value"] == pytest.approx(result.p_value)


def _counts(**counts: int) -> CategoricalSample:
    return CategoricalSample.from_counts(counts)
