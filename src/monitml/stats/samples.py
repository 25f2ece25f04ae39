"""Column summaries that drift methods compare: fitted once, reused by every method.

A numerical column is kept as its sorted finite values (every ECDF statistic and every
quantile bin comes from a sorted array in one pass); a categorical column as counts per
category. Missing values are counted, never fed into a test.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

import numpy as np
from numpy.typing import ArrayLike, NDArray

from monitml.errors import DataError

__all__ = ["CategoricalSample", "NumericSample", "Sample", "align_counts"]

FloatArray = NDArray[np.float64]
IntArray = NDArray[np.int64]


@dataclass(frozen=True, slots=True, eq=False)
class NumericSample:
    """Sorted finite values of a numerical column and the number of missing ones.

    >>> NumericSample.from_values([3.0, float("nan"), 1.0]).values.tolist()
    [1.0, 3.0]
    """

    values: FloatArray
    missing: int = 0
    _moments: tuple[float, float] = field(default=(np.nan, np.nan), repr=False)

    @classmethod
    def from_values(cls, values: ArrayLike) -> NumericSample:
        """Drop NaN and infinities (counted as missing) and sort once."""
        array = np.asarray(values, dtype=np.float64).ravel()
        finite = np.isfinite(array)
        kept = array[finite] if not finite.all() else array
        ordered = np.sort(kept)
        mean = float(ordered.mean()) if ordered.size else np.nan
        std = float(ordered.std()) if ordered.size else np.nan
        return cls(ordered, int(array.size - kept.size), (mean, std))

    @property
    def size(self) -> int:
        """Number of non-missing values."""
        return int(self.values.size)

    @property
    def mean(self) -> float:
        return self._moments[0]

    @property
    def std(self) -> float:
        """Population standard deviation of the non-missing values."""
        return self._moments[1]


@dataclass(frozen=True, slots=True, eq=False)
class CategoricalSample:
    """Counts per category of a categorical column and the number of missing values."""

    categories: tuple[str, ...]
    counts: IntArray
    missing: int = 0

    @classmethod
    def from_counts(cls, counts: dict[Any, int] | Any, missing: int = 0) -> CategoricalSample:
        """Build from a mapping category → count (categories are compared as strings)."""
        items = [(str(key), int(value)) for key, value in dict(counts).items() if int(value) > 0]
        items.sort(key=lambda item: (-item[1], item[0]))
        return cls(
            tuple(key for key, _ in items),
            np.array([value for _, value in items], dtype=np.int64),
            int(missing),
        )

    @classmethod
    def from_values(cls, values: ArrayLike) -> CategoricalSample:
        """Count the values of an array; ``None`` and NaN count as missing."""
        array = np.asarray(values, dtype=object).ravel()
        present = np.array([not _is_missing(v) for v in array], dtype=bool)
        labels, counts = np.unique(array[present].astype(str), return_counts=True)
        return cls.from_counts(
            dict(zip(labels.tolist(), counts.tolist(), strict=True)),
            int(array.size - present.sum()),
        )

    @property
    def size(self) -> int:
        return int(self.counts.sum())


def _is_missing(value: object) -> bool:
    return value is None or (isinstance(value, float) and np.isnan(value))


Sample = NumericSample | CategoricalSample


def align_counts(
    reference: CategoricalSample, current: CategoricalSample
) -> tuple[tuple[str, ...], IntArray, IntArray]:
    """Counts of both samples over the union of their categories, reference order first."""
    if reference.size == 0 or current.size == 0:
        raise DataError("both samples need at least one non-missing value")
    position = {category: index for index, category in enumerate(reference.categories)}
    extra = [c for c in current.categories if c not in position]
    for category in extra:
        position[category] = len(position)
    ref_counts = np.zeros(len(position), dtype=np.int64)
    cur_counts = np.zeros(len(position), dtype=np.int64)
    ref_counts[: len(reference.categories)] = reference.counts
    cur_index = np.fromiter((position[c] for c in current.categories), dtype=np.int64)
    cur_counts[cur_index] = current.counts
    return (*reference.categories, *extra), ref_counts, cur_counts
