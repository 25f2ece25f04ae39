"""The report's rows, for the terminal table, without pandas (issue 13, item 7)."""

from __future__ import annotations

import numpy as np
import pandas as pd

from monitml.analysis import compare
from monitml.schema import ColumnMapping


def test_rows_come_in_the_order_of_the_frame_drifted_first_ties_in_column_order() -> None:
    rng = np.random.default_rng(3)
    n = 2_000
    reference = pd.DataFrame(
        {
            "same_a": rng.normal(0, 1, n),  # the same values on both sides: effect 0
            "shifted": rng.normal(0, 1, n),
            "gone": rng.normal(0, 1, n),
            "same_b": np.zeros(n),  # constant on both sides: an effect of exactly 0
            "same_c": np.zeros(n),
            "city": rng.choice(["a", "b"], n),
            "retyped": rng.normal(0, 1, n),
            "moved": rng.normal(0, 1, n),
        }
    )
    current = reference.drop(columns=["gone"]).assign(
        shifted=rng.normal(1, 1, n),
        moved=rng.normal(0.5, 1, n),
        retyped=rng.choice(["x", "y"], n),
        city=rng.choice(["a", "b"], n, p=[0.8, 0.2]),
    )
    report = compare(reference, current, mapping=ColumnMapping(numerical=["same_b", "same_c"]))
    rows = report.rows()
    frame = report.to_frame()
    assert [row["column"] for row in rows] == frame["column"].tolist()
    names = [row["column"] for row in rows]
    assert names[:3] == ["shifted", "city", "moved"]  # drifted, by effect size
    assert names[3:5] == ["gone", "retyped"]  # drifted without an effect: after, in column order
    assert names[5:] == ["same_a", "same_b", "same_c"]  # equal effects: in column order
    assert all("chart" not in row for row in rows)
