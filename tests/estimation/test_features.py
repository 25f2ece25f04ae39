"""Feature matrices for gradient boosting: the same codes from a DataFrame and from Columns."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from monitml.errors import DataError
from monitml.estimation.columns import Columns, Labels
from monitml.estimation.features import FeatureEncoder


def _columns(words: list[str | None], numbers: list[float]) -> Columns:
    values = tuple(sorted({w for w in words if w is not None}))
    codes = np.array([-1 if w is None else values.index(w) for w in words], dtype=np.int64)
    return Columns({"x": np.array(numbers)}, {"kind": Labels(codes, values)}, order=["kind", "x"])


REFERENCE = ["b", "a", "c", "a", None, "b", "d", "a"]  # a: 3, b: 2, then c and d once each


@pytest.mark.parametrize(
    "source",
    [
        pd.DataFrame({"kind": REFERENCE, "x": np.arange(8.0)}),
        _columns(REFERENCE, list(np.arange(8.0))),
    ],
    ids=["data-frame", "columns"],
)
def test_categories_are_most_frequent_first_with_ties_in_text_order(
    source: pd.DataFrame | Columns,
) -> None:
    encoder = FeatureEncoder.fit(source, ["kind", "x"])
    assert encoder.categories == {"kind": ("a", "b", "c", "d")}
    assert encoder.categorical.tolist() == [True, False]


def test_unseen_and_missing_categories_are_nan_and_numbers_stay_numbers() -> None:
    encoder = FeatureEncoder.fit(
        pd.DataFrame({"kind": REFERENCE, "x": np.arange(8.0)}), ["kind", "x"]
    )
    current = ["d", "new", None, "a"]
    for frame in (
        pd.DataFrame({"kind": current, "x": [0.5, np.nan, 2.0, 3.0]}),
        _columns(current, [0.5, np.nan, 2.0, 3.0]),
    ):
        np.testing.assert_array_equal(
            encoder.matrix(frame), [[3, 0.5], [np.nan, np.nan], [np.nan, 2.0], [0, 3.0]]
        )


def test_numbers_where_the_reference_had_text_are_matched_as_text() -> None:
    encoder = FeatureEncoder.fit(pd.DataFrame({"kind": ["1", "2", "2"], "x": [0.0] * 3}), ["kind"])
    table = Columns({"kind": np.array([2, 1, 7])})
    assert encoder.matrix(table).ravel().tolist()[:2] == [0.0, 1.0]
    assert np.isnan(encoder.matrix(table)[2, 0])


def test_text_where_the_reference_had_numbers_is_refused_naming_the_column() -> None:
    encoder = FeatureEncoder.fit(pd.DataFrame({"x": [1.0, 2.0]}), ["x"])
    table = Columns({}, {"x": Labels(np.array([0, 0]), ("high",))})
    with pytest.raises(
        DataError, match="column 'x' is numerical in the reference, not in analysis"
    ):
        encoder.matrix(table)
