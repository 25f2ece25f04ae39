"""Serialised summaries: versioned, at most 100 KB a column, and read back unchanged."""

from __future__ import annotations

import json

import numpy as np
import pytest

from monitml.errors import DataError
from monitml.stats.summaries import (
    FORMAT,
    Binning,
    Vocabulary,
    dumps,
    loads,
    summarise_categorical,
    summarise_numeric,
)
from monitml.stats.summaries.numerical import EXACT_CAP

MAX_BYTES = 100 * 1024


def _numeric_cases() -> dict[str, np.ndarray]:
    rng = np.random.default_rng(0)
    return {
        "1M-continuous": rng.lognormal(0.0, 2.0, 1_000_000),
        "cap-distinct": rng.permutation(np.arange(EXACT_CAP, dtype=float) * np.pi),
        "discrete": rng.poisson(30.0, 500_000).astype(float),
        "empty": np.array([np.nan, np.nan]),
    }


@pytest.mark.parametrize("case", list(_numeric_cases()))
def test_a_numerical_column_serialises_within_100_kb_and_reads_back_unchanged(case: str) -> None:
    values = _numeric_cases()[case]
    binning = Binning.from_reference(np.random.default_rng(1).lognormal(0.0, 2.0, 100_000))
    summary = summarise_numeric(values, binning)
    data = dumps(summary)
    back = loads(data)
    assert len(data) <= MAX_BYTES
    assert json.loads(data)["format"] == FORMAT == "monitml.summary/1"
    assert back.binning.same_as(summary.binning)
    for name in ["count", "missing", "total", "m2"]:
        assert getattr(back, name) == getattr(summary, name)
    assert back.counts.tolist() == summary.counts.tolist()
    assert (back.distinct is None) == (summary.distinct is None)
    if summary.count:
        levels = np.linspace(0, 1, 11)
        assert back.sketch.quantiles(levels).tolist() == summary.sketch.quantiles(levels).tolist()
        assert (back.minimum, back.maximum) == (summary.minimum, summary.maximum)


def test_a_categorical_column_with_a_full_vocabulary_serialises_within_100_kb() -> None:
    rng = np.random.default_rng(2)
    reference = rng.integers(0, 5_000, 200_000).astype(str)
    vocabulary = Vocabulary.from_reference(reference)
    summary = summarise_categorical(rng.integers(0, 6_000, 200_000).astype(str), vocabulary)
    data = dumps(summary)
    back = loads(data)
    assert len(data) <= MAX_BYTES
    assert back.category_counts() == summary.category_counts()
    assert back.vocabulary.categories == summary.vocabulary.categories


def test_an_unknown_format_is_refused_with_its_name() -> None:
    with pytest.raises(DataError, match=r"format is 'monitml\.summary/99'"):
        loads(json.dumps({"format": "monitml.summary/99", "kind": "numerical"}))


def test_a_truncated_summary_is_a_data_error() -> None:
    summary = summarise_numeric(np.arange(10_000.0), Binning.from_reference(np.arange(100.0)))
    data = json.loads(dumps(summary))
    del data["counts"]
    with pytest.raises(DataError, match="malformed"):
        loads(json.dumps(data))
