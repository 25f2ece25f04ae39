"""Categorical summaries: exact vocabulary counts, the heavy-hitters bound, merge laws."""

from __future__ import annotations

from collections import Counter

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from monitml.errors import DataError
from monitml.stats.samples import CategoricalSample
from monitml.stats.summaries import (
    CategoricalSummary,
    Vocabulary,
    summarise_categorical,
    summarise_codes,
)
from monitml.stats.summaries.categorical import OTHER

VOCABULARY = Vocabulary(("a", "b", "c"))
K = 3  # few counters, so merges do compact
values = st.lists(st.sampled_from([*"abcdefghij", None]), max_size=60)
laws = settings(max_examples=200, deadline=None)


def _summary(items: list[str | None]) -> CategoricalSummary:
    return summarise_categorical(np.array(items, dtype=object), VOCABULARY, k=K)


def _fields(summary: CategoricalSummary) -> tuple[object, ...]:
    return (summary.counts.tolist(), summary.other, summary.heavy, summary.error, summary.missing)


def _assert_bounds(summary: CategoricalSummary, items: list[str | None]) -> None:
    truth = Counter(item for item in items if item is not None)
    assert summary.counts.tolist() == [truth[c] for c in VOCABULARY.categories]
    others = {key: count for key, count in truth.items() if key not in VOCABULARY.index}
    assert summary.other == sum(others.values())
    assert summary.missing == sum(item is None for item in items)
    assert summary.error <= summary.other // (K + 1)
    for key, count in others.items():
        estimate = summary.heavy.get(key, 0)
        assert count - summary.error <= estimate <= count
        if count > summary.other / (K + 1):
            assert key in summary.heavy


@laws
@given(values, values)
def test_merge_is_commutative(a: list[str | None], b: list[str | None]) -> None:
    assert _fields(_summary(a).merge(_summary(b))) == _fields(_summary(b).merge(_summary(a)))


@laws
@given(values, values, values)
def test_merge_is_associative_within_the_heavy_hitter_bound(
    a: list[str | None], b: list[str | None], c: list[str | None]
) -> None:
    left = _summary(a).merge(_summary(b)).merge(_summary(c))
    right = _summary(a).merge(_summary(b).merge(_summary(c)))
    assert left.counts.tolist() == right.counts.tolist()
    assert (left.other, left.missing) == (right.other, right.missing)
    _assert_bounds(left, a + b + c)
    _assert_bounds(right, a + b + c)
    if left.exact and right.exact:
        assert _fields(left) == _fields(right)


@laws
@given(st.lists(values, min_size=1, max_size=6))
def test_merged_parts_keep_exact_counts_and_the_bound(pieces: list[list[str | None]]) -> None:
    merged = _summary(pieces[0])
    for piece in pieces[1:]:
        merged = merged.merge(_summary(piece))
    _assert_bounds(merged, [item for piece in pieces for item in piece])


def test_with_few_other_values_the_summary_is_the_exact_sample() -> None:
    rng = np.random.default_rng(0)
    column = rng.choice(["a", "b", "c", "new1", "new2"], size=10_000)
    summary = summarise_categorical(column, VOCABULARY)
    sample, expected = summary.to_sample(), CategoricalSample.from_values(column)
    assert summary.exact
    assert sample.categories == expected.categories
    assert sample.counts.tolist() == expected.counts.tolist()


def test_the_untracked_rest_of_the_other_bucket_is_compared_as_one_category() -> None:
    column = np.array(["a"] * 50 + [f"rare{i}" for i in range(20)], dtype=object)
    summary = summarise_categorical(column, VOCABULARY, k=4)
    counts = summary.category_counts()
    assert not summary.exact
    assert counts["a"] == 50
    assert sum(counts.values()) == 70
    assert counts[OTHER] == 20 - sum(summary.heavy.values())


def test_the_vocabulary_keeps_the_most_frequent_reference_categories_up_to_its_cap() -> None:
    reference = ["x"] * 5 + ["y"] * 3 + ["z"] * 1 + [None]
    vocabulary = Vocabulary.from_reference(np.array(reference, dtype=object), cap=2)
    assert vocabulary.categories == ("x", "y")


def test_codes_are_summarised_like_the_values_they_stand_for() -> None:
    rng = np.random.default_rng(1)
    categories = ["a", "b", "c", "d", "e"]
    codes = rng.integers(-1, len(categories), size=5_000)
    column = np.array([None if code < 0 else categories[code] for code in codes], dtype=object)
    by_codes = summarise_codes(codes, categories, VOCABULARY, k=K)
    by_values = summarise_categorical(column, VOCABULARY, k=K)
    assert _fields(by_codes) == _fields(by_values)


def test_summaries_over_different_vocabularies_do_not_merge() -> None:
    other = summarise_categorical(["a"], Vocabulary(("a",)))
    with pytest.raises(DataError, match="different vocabularies"):
        _summary(["a"]).merge(other)
