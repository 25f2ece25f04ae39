"""Column quality: profiles, out-of-range shares, unseen categories, constant columns."""

from __future__ import annotations

import json
from typing import Any

import numpy as np
import pytest

from monitml.stats.quality import (
    MAX_UNSEEN_LISTED,
    categorical_profile,
    categorical_quality,
    numeric_profile,
    numeric_quality,
)
from monitml.stats.samples import CategoricalSample, NumericSample

NAN = float("nan")


def _numeric(*values: float) -> NumericSample:
    return NumericSample.from_values(np.array(values, dtype=np.float64))


def _categorical(**counts: int) -> CategoricalSample:
    return CategoricalSample.from_counts(counts)


def _assert_plain(value: Any) -> None:
    """JSON-ready: builtin types only (no numpy scalars), no NaN or infinity."""
    json.dumps(value, allow_nan=False)
    if isinstance(value, dict):
        for item in value.values():
            _assert_plain(item)
    elif isinstance(value, list):
        for item in value:
            _assert_plain(item)
    else:
        assert value is None or type(value) in {bool, int, float, str}


def test_numeric_profile_of_a_small_column_has_worked_values() -> None:
    profile = numeric_profile(_numeric(4.0, NAN, 1.0, 3.0, 2.0))
    assert profile["count"] == 4
    assert profile["missing"] == 1
    assert profile["missing_share"] == pytest.approx(0.2)
    assert (profile["min"], profile["max"], profile["mean"]) == (1.0, 4.0, 2.5)
    assert profile["std"] == pytest.approx(np.sqrt(1.25))
    assert profile["quantiles"] == {
        "0.05": pytest.approx(1.15),
        "0.25": pytest.approx(1.75),
        "0.5": pytest.approx(2.5),
        "0.75": pytest.approx(3.25),
        "0.95": pytest.approx(3.85),
    }
    _assert_plain(profile)


@pytest.mark.parametrize("size", [1, 2, 7, 1_000], ids=lambda n: f"{n}-values")
def test_numeric_profile_quantiles_match_numpy(size: int) -> None:
    values = np.random.default_rng(size).lognormal(0.0, 1.0, size)
    quantiles = numeric_profile(NumericSample.from_values(values))["quantiles"]
    levels = [float(level) for level in quantiles]
    assert list(quantiles.values()) == pytest.approx(np.quantile(values, levels).tolist())


def test_numeric_profile_of_an_all_missing_column_is_none_but_its_missing_share() -> None:
    profile = numeric_profile(_numeric(NAN, NAN))
    assert profile["count"] == 0
    assert profile["missing"] == 2
    assert profile["missing_share"] == 1.0
    assert all(profile[key] is None for key in ("min", "max", "mean", "std"))
    assert set(profile["quantiles"].values()) == {None}
    _assert_plain(profile)


def test_missing_share_is_none_for_a_column_without_rows() -> None:
    assert numeric_profile(_numeric())["missing_share"] is None
    assert categorical_profile(_categorical())["missing_share"] is None


@pytest.mark.parametrize(
    ("current", "share"),
    [
        pytest.param((2.0, 5.0, 8.0), 0.0, id="all-inside"),
        pytest.param((0.0, 10.0), 0.0, id="bounds-are-inside"),
        pytest.param((-1.0, 0.0, 5.0, 10.0, 11.0), 0.4, id="one-below-one-above"),
        pytest.param((-3.0, -2.0, -1.0, 1.0), 0.75, id="mostly-below"),
        pytest.param((20.0, NAN), 1.0, id="missing-values-not-counted"),
    ],
)
def test_out_of_range_share_counts_current_values_outside_the_reference_range(
    current: tuple[float, ...], share: float
) -> None:
    quality = numeric_quality(_numeric(0.0, 3.0, 10.0), _numeric(*current))
    assert quality["out_of_range_share"] == pytest.approx(share)


def test_out_of_range_share_matches_a_direct_count_on_random_data() -> None:
    rng = np.random.default_rng(7)
    reference, current = rng.normal(0.0, 1.0, 5_000), rng.normal(0.5, 1.5, 3_000)
    expected = np.mean((current < reference.min()) | (current > reference.max()))
    quality = numeric_quality(
        NumericSample.from_values(reference), NumericSample.from_values(current)
    )
    assert quality["out_of_range_share"] == pytest.approx(expected)


@pytest.mark.parametrize(
    ("reference", "current"),
    [
        pytest.param((), (1.0, 2.0), id="empty-reference"),
        pytest.param((1.0, 2.0), (NAN,), id="empty-current"),
    ],
)
def test_out_of_range_share_is_none_when_either_column_is_empty(
    reference: tuple[float, ...], current: tuple[float, ...]
) -> None:
    quality = numeric_quality(_numeric(*reference), _numeric(*current))
    assert quality["out_of_range_share"] is None
    _assert_plain(quality)


@pytest.mark.parametrize(
    ("reference", "current", "constant"),
    [
        pytest.param((1.0, 2.0), (1.0, 3.0), False, id="neither"),
        pytest.param((1.0, 2.0), (4.0, 4.0, NAN), True, id="current-constant"),
        pytest.param((5.0, 5.0), (1.0, 3.0), True, id="reference-constant"),
        pytest.param((7.0,), (1.0, 3.0), True, id="single-reference-value"),
        pytest.param((1.0, 2.0), (NAN,), False, id="empty-current-is-not-constant"),
    ],
)
def test_numeric_quality_flags_a_column_with_one_distinct_value_on_either_side(
    reference: tuple[float, ...], current: tuple[float, ...], constant: bool
) -> None:
    assert numeric_quality(_numeric(*reference), _numeric(*current))["constant"] is constant


def test_numeric_quality_has_both_profiles_and_no_type_mismatch() -> None:
    quality = numeric_quality(_numeric(1.0, 2.0), _numeric(3.0, NAN))
    assert quality["kind"] == "numerical"
    assert quality["type_mismatch"] is None
    assert quality["reference"]["count"] == 2
    assert quality["current"]["missing_share"] == 0.5
    _assert_plain(quality)


def test_categorical_profile_of_a_small_column_has_worked_values() -> None:
    profile = categorical_profile(CategoricalSample.from_values(["b", "a", "b", None, "c", "b"]))
    assert profile == {
        "count": 5,
        "missing": 1,
        "missing_share": pytest.approx(1 / 6),
        "unique": 3,
        "top": "b",
    }
    _assert_plain(profile)


def test_categorical_profile_of_an_all_missing_column_has_no_top() -> None:
    profile = categorical_profile(CategoricalSample.from_values([None, None]))
    assert profile == {"count": 0, "missing": 2, "missing_share": 1.0, "unique": 0, "top": None}


def test_unseen_categories_are_listed_most_frequent_first_with_their_share() -> None:
    quality = categorical_quality(_categorical(a=10, b=5), _categorical(a=4, b=1, z=2, y=3, x=2))
    assert quality["unseen_categories"] == ["y", "x", "z"]
    assert quality["unseen_count"] == 3
    assert quality["unseen_share"] == pytest.approx(7 / 12)
    assert quality["kind"] == "categorical"
    assert quality["type_mismatch"] is None
    _assert_plain(quality)


def test_unseen_categories_are_capped_but_all_are_counted() -> None:
    current = {f"new-{i:02d}": 100 - i for i in range(30)} | {"a": 1}
    quality = categorical_quality(_categorical(a=3), CategoricalSample.from_counts(current))
    assert len(quality["unseen_categories"]) == MAX_UNSEEN_LISTED
    assert quality["unseen_categories"][:2] == ["new-00", "new-01"]
    assert quality["unseen_count"] == 30
    assert quality["unseen_share"] == pytest.approx(1 - 1 / (sum(current.values())))


def test_no_unseen_categories_when_current_only_has_known_ones() -> None:
    quality = categorical_quality(_categorical(a=1, b=1, c=1), _categorical(b=4, c=1))
    assert quality["unseen_categories"] == []
    assert quality["unseen_count"] == 0
    assert quality["unseen_share"] == 0.0


@pytest.mark.parametrize(
    ("reference", "current"),
    [
        pytest.param({}, {"a": 2}, id="empty-reference"),
        pytest.param({"a": 2}, {}, id="empty-current"),
    ],
)
def test_unseen_share_is_none_when_either_column_is_empty(
    reference: dict[str, int], current: dict[str, int]
) -> None:
    quality = categorical_quality(
        CategoricalSample.from_counts(reference, missing=1),
        CategoricalSample.from_counts(current, missing=1),
    )
    assert quality["unseen_share"] is None
    assert quality["unseen_categories"] == []
    _assert_plain(quality)


@pytest.mark.parametrize(
    ("reference", "current", "constant"),
    [
        pytest.param({"a": 1, "b": 1}, {"a": 2, "c": 1}, False, id="neither"),
        pytest.param({"a": 1, "b": 1}, {"a": 9}, True, id="current-constant"),
        pytest.param({"a": 5}, {"a": 1, "b": 1}, True, id="reference-constant"),
        pytest.param({"a": 1, "b": 1}, {}, False, id="empty-current-is-not-constant"),
    ],
)
def test_categorical_quality_flags_a_column_with_one_category_on_either_side(
    reference: dict[str, int], current: dict[str, int], constant: bool
) -> None:
    quality = categorical_quality(
        CategoricalSample.from_counts(reference), CategoricalSample.from_counts(current)
    )
    assert quality["constant"] is constant
