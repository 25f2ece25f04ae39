"""Class labels as text: an integer class read back as a float is still that integer."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from monitml.schema import class_labels_as_text


@pytest.mark.parametrize(
    ("labels", "expected"),
    [
        pytest.param(pd.Series([0.0, 1.0, 1.0]), ["0", "1", "1"], id="whole-floats"),
        pytest.param(pd.Series([0.5, 1.0]), ["0.5", "1.0"], id="real-floats-kept"),
        pytest.param(pd.Series([0, 2, 1]), ["0", "2", "1"], id="integers"),
        pytest.param(pd.Series(["no", "yes"]), ["no", "yes"], id="text"),
        pytest.param(pd.Series([1.0, "b", 2], dtype=object), ["1", "b", "2"], id="objects"),
        pytest.param(pd.Series([True, False]), ["True", "False"], id="booleans"),
    ],
)
def test_labels_read_as_the_reference_names_them(labels: pd.Series, expected: list[str]) -> None:
    assert list(class_labels_as_text(labels)) == expected


def test_a_nullable_integer_column_without_its_missing_values_is_integers() -> None:
    labels = pd.Series([1, None, 0], dtype="Int64").dropna()
    assert list(class_labels_as_text(labels)) == ["1", "0"]
    assert list(class_labels_as_text(labels.astype(np.float64))) == ["1", "0"]
