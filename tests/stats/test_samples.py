"""Column samples (monitml.stats.samples): missing values, ordering, alignment."""

from __future__ import annotations

import numpy as np
import pytest

from monitml.errors import DataError
from monitml.stats.samples import CategoricalSample, NumericSample, align_counts


def test_nan_and_infinities_are_counted_as_missing_and_left_out() -> None:
    sample = NumericSample.from_values([3.0, np.nan, -np.inf, 1.0, np.inf, 2.0])
    assert sample.values.tolist() == [1.0, 2.0, 3.0]
    assert sample.missing == 3
    assert sample.size == 3


def test_numeric_values_are_sorted_and_moments_use_the_population_std() -> None:
    rng = np.random.default_rng(21)
    raw = rng.normal(5, 2, 1_000)
    sample = NumericSample.from_values(raw)
    assert np.all(np.diff(sample.values) >= 0)
    assert sample.mean == pytest.approx(raw.mean())
    assert sample.std == pytest.approx(np.std(raw))  # ddof 0


def test_an_all_missing_numeric_column_has_size_zero_and_no_moments() -> None:
    sample = NumericSample.from_values([np.nan, np.inf])
    assert sample.size == 0
    assert sample.missing == 2
    assert np.isnan(sample.mean)
    assert np.isnan(sample.std)


def test_from_counts_orders_by_count_then_name_and_drops_zero_counts() -> None:
    sample = CategoricalSample.from_counts({"b": 5, "a": 5, "c": 9, "z": 0, 7: 1})
    assert sample.categories == ("c", "a", "b", "7")
    assert sample.counts.tolist() == [9, 5, 5, 1]
    assert sample.size == 20


def test_categorical_none_and_nan_are_counted_as_missing() -> None:
    sample = CategoricalSample.from_values(["x", None, "y", float("nan"), "x", np.nan])
    assert dict(zip(sample.categories, sample.counts.tolist(), strict=True)) == {"x": 2, "y": 1}
    assert sample.missing == 3


def test_categories_are_compared_as_strings() -> None:
    sample = CategoricalSample.from_values([1, "1", 2])
    assert sample.categories == ("1", "2")
    assert sample.counts.tolist() == [2, 1]


def test_align_counts_puts_reference_categories_first_then_new_ones() -> None:
    reference = CategoricalSample.from_counts({"a": 10, "b": 5, "only-ref": 2})
    current = CategoricalSample.from_counts({"new": 7, "a": 3, "b": 1})
    categories, ref, cur = align_counts(reference, current)
    assert categories == ("a", "b", "only-ref", "new")
    assert ref.tolist() == [10, 5, 2, 0]
    assert cur.tolist() == [3, 1, 0, 7]


@pytest.mark.parametrize("empty_side", ["reference", "current"])
def test_align_counts_refuses_an_empty_sample(empty_side: str) -> None:
    full = CategoricalSample.from_counts({"a": 1})
    empty = CategoricalSample.from_values([None, None])
    pair = (empty, full) if empty_side == "reference" else (full, empty)
    with pytest.raises(DataError, match="non-missing"):
        align_counts(*pair)
