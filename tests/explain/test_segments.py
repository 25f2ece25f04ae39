"""Segments learned from the reference: common categories, grades, quantile bins."""

from __future__ import annotations

import numpy as np
import pandas as pd

from monitml.explain.segments import MAX_CATEGORIES, SegmentColumn, SegmentSums


def test_a_continuous_column_is_cut_at_its_reference_quintiles() -> None:
    rng = np.random.default_rng(0)
    values = pd.Series(rng.normal(size=10_000))
    column = SegmentColumn.fit("x", values, "numerical")
    assert column.kind == "numerical"
    assert column.size == 5
    counts = np.bincount(column.codes(values), minlength=5)
    assert np.all(np.abs(counts - 2_000) <= 1)


def test_a_grade_is_a_category_per_value_and_json_floats_find_their_segment() -> None:
    column = SegmentColumn.fit("overall_qual", pd.Series([5, 6, 6, 7, 7, 7]), "numerical")
    assert column.kind == "categorical"
    assert column.categories == ("7", "6", "5")
    assert column.codes(pd.Series([7.0, 5.0, 9.0, None])).tolist() == [0, 2, -1, -1]


def test_rare_and_unseen_categories_belong_to_no_segment() -> None:
    names = [f"c{i:02d}" for i in range(MAX_CATEGORIES + 5)]
    reference = pd.Series(np.repeat(names, np.arange(len(names), 0, -1)))
    column = SegmentColumn.fit("n", reference)
    assert column.size == MAX_CATEGORIES
    assert column.categories[0] == "c00"
    assert column.codes(pd.Series(["c00", names[-1], "never", None])).tolist() == [0, -1, -1, -1]


def test_segment_sums_match_a_groupby() -> None:
    rng = np.random.default_rng(1)
    codes = rng.integers(-1, 4, 1_000).astype(np.intp)
    values = rng.normal(10, 3, 1_000)
    values[::7] = np.nan
    sums = SegmentSums.of(codes, values, 4)
    frame = pd.DataFrame({"code": codes, "value": values}).dropna()
    expected = frame[frame.code >= 0].groupby("code")["value"].agg(["count", "mean", "var"])
    assert np.allclose(sums.count, expected["count"])
    assert np.allclose(sums.mean, expected["mean"])
    assert np.allclose(sums.variance, expected["var"])
