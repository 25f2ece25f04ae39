from __future__ import annotations

import doctest
from typing import Any

import numpy as np
import pytest

import monitml.report.charts
import monitml.report.format
import monitml.report.json
import monitml.report.view
from monitml.report.format import fmt_count, fmt_number, fmt_pvalue, fmt_share


@pytest.mark.parametrize(
    ("value", "expected"),
    [
        pytest.param(0, "0", id="zero"),
        pytest.param(0.12, "0.12", id="trailing-zeros-dropped"),
        pytest.param(12.3456, "12.3", id="three-significant-digits"),
        pytest.param(123456.7, "123,457", id="large-with-separators"),
        pytest.param(0.000123, "1.23e-4", id="tiny-scientific"),
        pytest.param(-2.5, "-2.5", id="negative"),
        pytest.param(float("nan"), "—", id="nan"),
        pytest.param(float("inf"), "∞", id="infinity"),
        pytest.param(float("-inf"), "−∞", id="minus-infinity"),
        pytest.param(None, "—", id="none"),
        pytest.param("abc", "—", id="string"),
        pytest.param(np.float32(0.5), "0.5", id="numpy-float32"),
        pytest.param(np.int64(12000), "12,000", id="numpy-int64"),
    ],
)
def test_fmt_number_shows_a_few_significant_digits(value: Any, expected: str) -> None:
    assert fmt_number(value) == expected


@pytest.mark.parametrize(
    ("value", "expected"),
    [
        pytest.param(0.62, "0.62", id="plain"),
        pytest.param(0.00049, "4.9e-4", id="below-a-thousandth-is-scientific"),
        pytest.param(1e-9, "1.0e-9", id="tiny"),
        pytest.param(0.0, "< 1e-300", id="underflow-is-a-bound"),
        pytest.param(float("nan"), "—", id="nan"),
        pytest.param(None, "—", id="distance-method"),
    ],
)
def test_fmt_pvalue_uses_scientific_notation_when_tiny(value: Any, expected: str) -> None:
    assert fmt_pvalue(value) == expected


def test_fmt_share_never_rounds_a_nonzero_share_to_zero() -> None:
    assert fmt_share(0.0004) == "<0.1%"
    assert fmt_share(0.0) == "0.0%"
    assert fmt_share(0.375) == "37.5%"


def test_fmt_count_separates_thousands() -> None:
    assert fmt_count(9700.0) == "9,700"
    assert fmt_count(float("nan")) == "—"


@pytest.mark.parametrize(
    "module",
    [monitml.report.format, monitml.report.charts, monitml.report.view, monitml.report.json],
    ids=lambda m: m.__name__.rsplit(".", 1)[-1],
)
def test_docstring_examples_run(module: Any) -> None:
    failed, attempted = doctest.testmod(module)
    assert attempted > 0
    assert failed == 0


@pytest.mark.parametrize("bins", [1, 5, 12, 20, 40], ids=lambda b: f"{b}-bins")
def test_histogram_labels_the_first_and_last_edges(bins: int) -> None:
    edges = [float(i) for i in range(bins + 1)]
    chart = monitml.report.charts.build_chart(
        "chart-x",
        "x",
        {
            "type": "histogram",
            "edges": edges,
            "reference": [1 / bins] * bins,
            "current": [1 / bins] * bins,
        },
    )
    labels = [tick.label for tick in chart.x_ticks]
    assert labels[0] == "0"
    assert labels[-1] == str(bins)
    assert len(labels) <= 8
