"""Mergeable summaries of columns, and drift computed from them (issue 13).

A summary is built once per column and part (a window, a chunk, a partition) and merged
with ``merge``; drift methods accept a summary wherever they accept a sample.
"""

from __future__ import annotations

from monitml.stats.summaries.binning import Binning
from monitml.stats.summaries.categorical import (
    CategoricalSummary,
    Vocabulary,
    summarise_categorical,
    summarise_codes,
)
from monitml.stats.summaries.numerical import (
    EXACT_CAP,
    NumericSummary,
    summarise_numeric,
    summarise_sample,
)
from monitml.stats.summaries.performance import (
    ClassificationSummary,
    RegressionSummary,
    summarise_classification,
    summarise_regression,
)
from monitml.stats.summaries.serialise import FORMAT, dumps, loads
from monitml.stats.summaries.sketch import QuantileSketch

__all__ = [
    "EXACT_CAP",
    "FORMAT",
    "Binning",
    "CategoricalSummary",
    "ClassificationSummary",
    "NumericSummary",
    "QuantileSketch",
    "RegressionSummary",
    "Vocabulary",
    "dumps",
    "loads",
    "summarise_categorical",
    "summarise_classification",
    "summarise_codes",
    "summarise_numeric",
    "summarise_regression",
    "summarise_sample",
]
