"""Segments of a column, learned from the reference: its common categories, or quantile bins.

A categorical column's segments are its ``MAX_CATEGORIES`` most frequent reference categories
(a category the reference never had, or a rare one past those, belongs to none); a numerical
column with at most ``MAX_CATEGORIES`` distinct integer values is cut at each value, any other
numerical column into ``QUANTILE_BINS`` bins at the reference's quantiles (ties merged, so a
column with few distinct values has fewer bins). Missing values belong to no segment.

Per-segment sums are one ``np.bincount`` per column and signal: a window of 10,000 rows and
a few dozen columns is segmented in milliseconds.

>>> import pandas as pd
>>> column = SegmentColumn.fit("x", pd.Series(range(101)), "numerical")
>>> column.labels()
('< 20', '[20, 40)', '[40, 60)', '[60, 80)', '≥ 80')
>>> column.codes(pd.Series([5, 45, 99, None])).tolist()
[0, 2, 4, -1]
"""

from __future__ import annotations

from dataclasses import dataclass
from itertools import pairwise
from typing import Any, Literal

import numpy as np
import pandas as pd
from numpy.typing import NDArray

__all__ = ["MAX_CATEGORIES", "QUANTILE_BINS", "SegmentColumn", "SegmentSums", "category_text"]

MAX_CATEGORIES = 20
QUANTILE_BINS = 5

Kind = Literal["categorical", "numerical"]
Codes = NDArray[np.intp]
Floats = NDArray[np.float64]


def category_text(series: pd.Series) -> pd.Series:
    """Values as category names; integral numbers without ``.0`` (JSON gives 3.0 for 3)."""
    if pd.api.types.is_numeric_dtype(series) and not pd.api.types.is_bool_dtype(series):
        numbers = pd.to_numeric(series, errors="coerce")
        finite = numbers.dropna()
        if len(finite) and bool((finite == finite.round()).all()):
            return numbers.astype("Int64").astype("string")
        return numbers.astype("string")
    return series.astype("string")


def _edge_text(value: float) -> str:
    return f"{value:.4g}"


@dataclass(frozen=True, slots=True)
class SegmentColumn:
    """How one column is cut into segments (``categories`` or inner ``edges``)."""

    name: str
    kind: Kind
    categories: tuple[str, ...] = ()
    edges: tuple[float, ...] = ()

    @classmethod
    def fit(cls, name: str, reference: pd.Series, kind: Kind | None = None) -> SegmentColumn:
        """Segments from the reference's values; the kind is inferred when not given."""
        numeric = pd.api.types.is_numeric_dtype(reference) and not pd.api.types.is_bool_dtype(
            reference
        )
        if kind is None:
            kind = "numerical" if numeric else "categorical"
        if kind == "numerical" and numeric:
            values = pd.to_numeric(reference, errors="coerce").dropna().to_numpy(np.float64)
            distinct = np.unique(values)
            integral = bool(np.all(distinct == np.round(distinct)))
            if 0 < distinct.size <= MAX_CATEGORIES and integral:
                kind = "categorical"  # a count or a grade: each value is its own segment
            elif values.size:
                quantiles = np.linspace(0.0, 1.0, QUANTILE_BINS + 1)[1:-1]
                edges = np.unique(np.quantile(values, quantiles))
                edges = edges[edges > values.min()]  # no empty first bin
                return cls(name, "numerical", edges=tuple(float(e) for e in edges))
            else:
                return cls(name, "numerical")
        counts = category_text(reference).dropna().value_counts()
        ordered = sorted(counts.items(), key=lambda item: (-int(item[1]), str(item[0])))
        common = tuple(str(c) for c, _ in ordered[:MAX_CATEGORIES])
        return cls(name, "categorical", categories=common)

    @property
    def size(self) -> int:
        return len(self.categories) if self.kind == "categorical" else len(self.edges) + 1

    def labels(self) -> tuple[str, ...]:
        """Each segment's name: the category, or the bin as ``[a, b)``."""
        if self.kind == "categorical":
            return self.categories
        if not self.edges:
            return ("all",)
        texts = [_edge_text(e) for e in self.edges]
        middle = [f"[{a}, {b})" for a, b in pairwise(texts)]
        return (f"< {texts[0]}", *middle, f"≥ {texts[-1]}")

    def codes(self, values: pd.Series) -> Codes:
        """Each value's segment index, -1 for a missing value or one in no segment."""
        if self.kind == "categorical":
            # Each distinct value is named once (factorize hashes), not each of the rows.
            codes, uniques = pd.factorize(values, use_na_sentinel=True)
            names = pd.Index(category_text(pd.Series(uniques, dtype=values.dtype)))
            lookup = np.append(pd.Index(self.categories).get_indexer(names), -1)
            return np.asarray(lookup[codes], dtype=np.intp)  # code -1 (missing) -> last: -1
        numbers = pd.to_numeric(values, errors="coerce").to_numpy(np.float64, na_value=np.nan)
        codes = np.searchsorted(np.asarray(self.edges, np.float64), numbers, side="right")
        return np.where(np.isnan(numbers), -1, codes).astype(np.intp)

    def to_dict(self) -> dict[str, Any]:
        return {"column": self.name, "kind": self.kind, "segments": list(self.labels())}


@dataclass(frozen=True, slots=True)
class SegmentSums:
    """Count, mean and variance of one signal per segment of one column."""

    count: Floats
    mean: Floats
    variance: Floats

    @classmethod
    def of(cls, codes: Codes, values: Floats, size: int) -> SegmentSums:
        """Per-segment figures of ``values`` (NaN values and code -1 are left out)."""
        kept = (codes >= 0) & np.isfinite(values)
        where, numbers = codes[kept], values[kept]
        count = np.bincount(where, minlength=size).astype(np.float64)[:size]
        total = np.bincount(where, weights=numbers, minlength=size)[:size]
        squares = np.bincount(where, weights=numbers * numbers, minlength=size)[:size]
        with np.errstate(invalid="ignore", divide="ignore"):
            mean = np.where(count > 0, total / np.maximum(count, 1), np.nan)
            # Sample variance from the sums; clipped, as rounding can leave it just below 0.
            variance = np.where(
                count > 1,
                np.clip((squares - count * mean * mean) / np.maximum(count - 1, 1), 0, None),
                np.nan,
            )
        return cls(count, mean, variance)
