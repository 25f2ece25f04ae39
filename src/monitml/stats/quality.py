"""Per-column data quality from the same samples drift methods use.

A profile describes one sample (counts, missing share, range, quantiles or top category); a
quality check sets a current profile against its reference: values outside the reference
range, categories the reference never had, constant columns. Every number is a plain Python
``int`` or ``float`` and undefined ones are ``None``, never NaN, so the result is JSON-ready.
"""

from __future__ import annotations

from typing import Any

import numpy as np

from monitml.stats.ecdf import sorted_quantiles
from monitml.stats.samples import CategoricalSample, NumericSample

__all__ = [
    "MAX_UNSEEN_LISTED",
    "QUANTILE_LEVELS",
    "categorical_profile",
    "categorical_quality",
    "numeric_profile",
    "numeric_quality",
]

QUANTILE_LEVELS = (0.05, 0.25, 0.5, 0.75, 0.95)
MAX_UNSEEN_LISTED = 20


def _share(part: int, whole: int) -> float | None:
    return part / whole if whole else None


def numeric_profile(sample: NumericSample) -> dict[str, Any]:
    """Count, missing share, range, moments and quantiles of a numerical sample.

    >>> profile = numeric_profile(NumericSample.from_values([1.0, 2.0, 3.0, float("nan")]))
    >>> profile["count"], profile["missing_share"], profile["min"], profile["quantiles"]["0.5"]
    (3, 0.25, 1.0, 2.0)
    """
    values, count = sample.values, sample.size
    empty = count == 0
    quantiles = (
        [None] * len(QUANTILE_LEVELS)
        if empty
        else sorted_quantiles(values, list(QUANTILE_LEVELS)).tolist()
    )
    return {
        "count": count,
        "missing": int(sample.missing),
        "missing_share": _share(int(sample.missing), count + int(sample.missing)),
        "min": None if empty else float(values[0]),
        "max": None if empty else float(values[-1]),
        "mean": None if empty else float(sample.mean),
        "std": None if empty else float(sample.std),
        "quantiles": {
            str(level): value for level, value in zip(QUANTILE_LEVELS, quantiles, strict=True)
        },
    }


def categorical_profile(sample: CategoricalSample) -> dict[str, Any]:
    """Count, missing share, number of distinct categories and the most frequent one.

    Ties for the most frequent category go to the first in the sample's order (``from_counts``
    orders by count, then name).

    >>> profile = categorical_profile(CategoricalSample.from_values(["a", "b", "b", None]))
    >>> profile["count"], profile["missing_share"], profile["unique"], profile["top"]
    (3, 0.25, 2, 'b')
    """
    count, missing = sample.size, int(sample.missing)
    return {
        "count": count,
        "missing": missing,
        "missing_share": _share(missing, count + missing),
        "unique": int(np.count_nonzero(sample.counts)),
        "top": sample.categories[int(np.argmax(sample.counts))] if count else None,
    }


def _is_constant_numeric(sample: NumericSample) -> bool:
    return sample.size > 0 and bool(sample.values[0] == sample.values[-1])


def numeric_quality(reference: NumericSample, current: NumericSample) -> dict[str, Any]:
    """Both profiles, the share of current values outside the reference range, constancy.

    ``out_of_range_share`` is over the current non-missing values, and ``None`` when either
    sample is empty (there is no range, or nothing to place in it). ``constant`` is true when
    either sample has exactly one distinct value: a drift test on it says little.

    >>> reference = NumericSample.from_values([0.0, 10.0])
    >>> numeric_quality(reference, NumericSample.from_values([-1.0, 5.0, 10.0, 11.0]))[
    ...     "out_of_range_share"
    ... ]
    0.5
    """
    out_of_range: float | None = None
    if reference.size and current.size:
        low, high = reference.values[0], reference.values[-1]
        below = int(np.searchsorted(current.values, low, side="left"))
        above = current.size - int(np.searchsorted(current.values, high, side="right"))
        out_of_range = (below + above) / current.size
    return {
        "kind": "numerical",
        "reference": numeric_profile(reference),
        "current": numeric_profile(current),
        "out_of_range_share": out_of_range,
        "constant": _is_constant_numeric(reference) or _is_constant_numeric(current),
        "type_mismatch": None,
    }


def categorical_quality(reference: CategoricalSample, current: CategoricalSample) -> dict[str, Any]:
    """Both profiles, the categories only current has and the share of rows in them.

    ``unseen_categories`` lists at most :data:`MAX_UNSEEN_LISTED`, most frequent first;
    ``unseen_count`` counts them all. ``unseen_share`` is over current non-missing rows. With
    an empty reference nothing counts as unseen and the share is ``None``: there is nothing to
    compare against. ``constant`` is true when either sample has exactly one category.

    >>> reference = CategoricalSample.from_values(["a", "b"])
    >>> current = CategoricalSample.from_values(["a", "c", "c", "d"])
    >>> quality = categorical_quality(reference, current)
    >>> quality["unseen_categories"], quality["unseen_count"], quality["unseen_share"]
    (['c', 'd'], 2, 0.75)
    """
    unseen: list[tuple[int, str]] = []
    unseen_share: float | None = None
    if reference.size and current.size:
        known = {c for c, n in zip(reference.categories, reference.counts, strict=True) if n > 0}
        unseen = sorted(
            (-int(n), c)
            for c, n in zip(current.categories, current.counts, strict=True)
            if n > 0 and c not in known
        )
        unseen_share = sum(-n for n, _ in unseen) / current.size
    return {
        "kind": "categorical",
        "reference": categorical_profile(reference),
        "current": categorical_profile(current),
        "unseen_categories": [c for _, c in unseen[:MAX_UNSEEN_LISTED]],
        "unseen_count": len(unseen),
        "unseen_share": unseen_share,
        "constant": any(int(np.count_nonzero(s.counts)) == 1 for s in (reference, current)),
        "type_mismatch": None,
    }
