"""Comparing data sets: drift, data quality and performance."""

from monitml.analysis.compare import (
    DEFAULT_SHARE_THRESHOLD,
    Comparator,
    compare,
    compare_tables,
)
from monitml.analysis.result import FORMAT, ColumnDrift, DriftReport
from monitml.analysis.tables import read_table

__all__ = [
    "DEFAULT_SHARE_THRESHOLD",
    "FORMAT",
    "ColumnDrift",
    "Comparator",
    "DriftReport",
    "compare",
    "compare_tables",
    "read_table",
]
