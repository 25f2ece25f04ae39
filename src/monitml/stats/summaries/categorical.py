"""The mergeable summary of a categorical column: exact counts and a heavy-hitters sketch.

A ``Vocabulary`` fixes, from the reference, which categories are counted exactly (its most
frequent ones, up to ``cap`` = 1024): every summary counts those in one integer array, so
those counts merge exactly. Every other value goes to an "other" bucket whose total is exact
and whose frequent members are tracked by a Misra–Gries sketch of ``k`` counters.

Misra–Gries (1982; merged as in Agarwal et al., "Mergeable summaries", 2012): count exactly,
and whenever more than ``k`` values are tracked subtract the (k+1)-th largest count from all
and drop those at zero or below. Each tracked count is a lower bound, short of the truth by
at most ``error`` (the sum of what was subtracted, ≤ other / (k + 1)); a value whose share of
the other bucket exceeds 1 / (k + 1) is always tracked. While at most ``k`` distinct values
fall outside the vocabulary nothing is subtracted and the counts are exact, so merges are
associative and commutative exactly; past that, up to ``error``.
"""

from __future__ import annotations

import math
from collections import Counter
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field

import numpy as np
from numpy.typing import ArrayLike, NDArray

from monitml.errors import DataError
from monitml.stats.samples import CategoricalSample

__all__ = [
    "HEAVY_HITTERS",
    "OTHER",
    "VOCABULARY_CAP",
    "CategoricalSummary",
    "Vocabulary",
    "summarise_categorical",
    "summarise_codes",
]

IntArray = NDArray[np.int64]
VOCABULARY_CAP = 1024
HEAVY_HITTERS = 64
# The category the untracked rest of the other bucket is compared as.
OTHER = "\x00other"


@dataclass(frozen=True, slots=True, eq=False)
class Vocabulary:
    """The categories counted exactly, most frequent in the reference first."""

    categories: tuple[str, ...]
    index: dict[str, int] = field(default_factory=dict, repr=False)

    def __post_init__(self) -> None:
        if len(set(self.categories)) != len(self.categories):
            raise DataError("vocabulary categories must be distinct")
        object.__setattr__(self, "index", {c: i for i, c in enumerate(self.categories)})

    @classmethod
    def from_counts(cls, counts: Mapping[str, int], cap: int = VOCABULARY_CAP) -> Vocabulary:
        ranked = sorted(counts.items(), key=lambda item: (-item[1], item[0]))
        return cls(tuple(str(key) for key, value in ranked[:cap] if value > 0))

    @classmethod
    def from_reference(cls, values: ArrayLike, cap: int = VOCABULARY_CAP) -> Vocabulary:
        labels, counts = _labels_and_counts(values)[:2]
        return cls.from_counts(dict(zip(labels, counts.tolist(), strict=True)), cap)

    def __len__(self) -> int:
        return len(self.categories)


def _labels_and_counts(values: ArrayLike) -> tuple[list[str], IntArray, int]:
    """Distinct labels (as text), their counts, and the number of missing values."""
    array = np.asarray(values).ravel()
    if array.dtype.kind in "OUS":
        # Hashing beats sorting strings (np.unique) by four to six times.
        merged: dict[str, int] = {}
        missing = 0
        for key, count in Counter(array.tolist()).items():
            if key is None or (isinstance(key, float) and math.isnan(key)):
                missing += count
                continue
            label = str(key)
            merged[label] = merged.get(label, 0) + count
        return list(merged), np.fromiter(merged.values(), dtype=np.int64), missing
    nan = np.isnan(array) if array.dtype.kind == "f" else np.zeros(array.size, dtype=bool)
    present = array[~nan] if nan.any() else array
    labels, counts = np.unique(present, return_counts=True)
    return labels.astype(str).tolist(), counts.astype(np.int64), int(nan.sum())


def _compact(counters: dict[str, int], k: int) -> tuple[dict[str, int], int]:
    """Misra–Gries compaction: subtract the (k+1)-th largest count; return it too."""
    if len(counters) <= k:
        return counters, 0
    cut = sorted(counters.values(), reverse=True)[k]
    return {key: value - cut for key, value in counters.items() if value > cut}, cut


@dataclass(frozen=True, slots=True, eq=False)
class CategoricalSummary:
    """Mergeable summary of one categorical column (see the module docstring)."""

    vocabulary: Vocabulary
    counts: IntArray
    other: int
    heavy: dict[str, int]
    error: int
    missing: int
    k: int = HEAVY_HITTERS

    @property
    def size(self) -> int:
        return int(self.counts.sum()) + self.other

    @property
    def exact(self) -> bool:
        """Whether every count, the other bucket's included, is exact."""
        return self.error == 0

    def merge(self, other: CategoricalSummary) -> CategoricalSummary:
        if self.vocabulary.categories != other.vocabulary.categories:
            raise DataError("cannot merge categorical summaries over different vocabularies")
        if self.k != other.k:
            raise DataError(f"cannot merge heavy-hitter sketches of k={self.k} and k={other.k}")
        counters = dict(self.heavy)
        for key, value in other.heavy.items():
            counters[key] = counters.get(key, 0) + value
        heavy, cut = _compact(counters, self.k)
        return CategoricalSummary(
            vocabulary=self.vocabulary,
            counts=self.counts + other.counts,
            other=self.other + other.other,
            heavy=heavy,
            error=self.error + other.error + cut,
            missing=self.missing + other.missing,
            k=self.k,
        )

    def category_counts(self) -> dict[str, int]:
        """Counts by category: the vocabulary's, the tracked others', the rest as ``OTHER``."""
        result = {
            category: int(count)
            for category, count in zip(self.vocabulary.categories, self.counts, strict=True)
            if count > 0
        }
        result.update(self.heavy)
        rest = self.other - sum(self.heavy.values())
        if rest > 0:
            result[OTHER] = rest
        return result

    def to_sample(self) -> CategoricalSample:
        """The counts as a sample the drift methods compare (exact when ``exact``)."""
        return CategoricalSample.from_counts(self.category_counts(), self.missing)


def _from_counts(
    labels: Iterable[str],
    counts: Iterable[int],
    missing: int,
    vocabulary: Vocabulary,
    k: int,
) -> CategoricalSummary:
    exact = np.zeros(len(vocabulary), dtype=np.int64)
    others: dict[str, int] = {}
    for label, count in zip(labels, counts, strict=True):
        position = vocabulary.index.get(label)
        if position is None:
            others[label] = others.get(label, 0) + int(count)
        else:
            exact[position] += int(count)
    other_total = sum(others.values())
    heavy, cut = _compact(others, k)
    return CategoricalSummary(vocabulary, exact, other_total, heavy, cut, int(missing), k)


def summarise_categorical(
    values: ArrayLike, vocabulary: Vocabulary, *, k: int = HEAVY_HITTERS
) -> CategoricalSummary:
    """Summarise values compared as text; ``None`` and NaN count as missing."""
    labels, counts, missing = _labels_and_counts(values)
    return _from_counts(labels, counts.tolist(), missing, vocabulary, k)


def summarise_codes(
    codes: ArrayLike,
    categories: Iterable[object],
    vocabulary: Vocabulary,
    *,
    k: int = HEAVY_HITTERS,
) -> CategoricalSummary:
    """Summarise integer codes into ``categories`` (code -1 is missing), as pandas gives them.

    One ``bincount`` over the codes: the fast path for a column already dictionary-encoded.
    """
    array = np.asarray(codes).ravel()
    names = [str(category) for category in categories]
    missing = int(np.count_nonzero(array < 0))
    present = array[array >= 0] if missing else array
    counts = np.bincount(present.astype(np.intp, copy=False), minlength=len(names))
    if counts.size > len(names):
        raise DataError(f"a code is out of range for {len(names)} categories")
    return _from_counts(names, counts.tolist(), missing, vocabulary, k)
