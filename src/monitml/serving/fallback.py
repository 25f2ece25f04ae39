"""The fallback guard: a record the model would extrapolate on goes to the fallback version.

A model may name a ``fallback`` version (often a rule-based one with no routing share). A record
is handed to it instead of the routed version when one of its values lies where the reference
never went: a numerical value below the reference's minimum or above its maximum
(``out_of_range``), or a categorical value the reference never held (``unseen_category``).

>>> guard = FallbackGuard(
...     "rules", InputBounds(ranges={"area": (300.0, 5000.0)}, categories={"zone": {"A", "B"}})
... )
>>> guard.check({"area": 7500.0, "zone": "A"})
Fallback(reason='out_of_range', feature='area')
>>> guard.check({"area": 800.0, "zone": "C"})
Fallback(reason='unseen_category', feature='zone')
>>> guard.check({"area": None, "zone": "B"}) is None   # a missing value is not out of range
True

What is guaranteed: the bounds are computed once, by the composition root, from the model's
reference (``monitml.app.models``); the gateway only compares, one dict lookup and at most two
comparisons per feature and record, nothing is computed on the request path. The first feature
that fails, in the model's feature order, is the one reported. A record routed to the fallback
version itself is never "replaced". What is not: the reference's range is not a promise that the
model is right inside it, and a value the reference held once counts as seen.
"""

from __future__ import annotations

from collections.abc import Collection, Mapping
from dataclasses import dataclass, field
from typing import Any, Literal

__all__ = [
    "REASONS",
    "Fallback",
    "FallbackGuard",
    "InputBounds",
    "Reason",
    "Replacement",
    "apply_fallback",
]

Reason = Literal["out_of_range", "unseen_category"]
# The only values of ``monitml_fallback_total``'s ``reason`` label.
REASONS: tuple[Reason, ...] = ("out_of_range", "unseen_category")


@dataclass(frozen=True, slots=True)
class InputBounds:
    """What the reference saw: ``(min, max)`` per numerical feature, the set of values per
    categorical one. A feature absent from both is never checked."""

    ranges: Mapping[str, tuple[float, float]] = field(default_factory=dict)
    categories: Mapping[str, Collection[Any]] = field(default_factory=dict)


@dataclass(frozen=True, slots=True)
class Fallback:
    """Why a record went to the fallback, and which feature said so."""

    reason: Reason
    feature: str


@dataclass(frozen=True, slots=True)
class FallbackGuard:
    """Check records against ``bounds``; ``version`` answers those that fail."""

    version: str
    bounds: InputBounds
    # (feature, low, high) and (feature, seen values), frozen once for the request path.
    _ranges: tuple[tuple[str, float, float], ...] = field(init=False, repr=False)
    _categories: tuple[tuple[str, frozenset[Any]], ...] = field(init=False, repr=False)

    def __post_init__(self) -> None:
        for name, (low, high) in self.bounds.ranges.items():
            if not low <= high:
                raise ValueError(
                    f"The range of {name!r} must have min <= max. Got ({low}, {high}) instead."
                )
        ranges = tuple((n, float(lo), float(hi)) for n, (lo, hi) in self.bounds.ranges.items())
        seen = tuple((n, frozenset(v)) for n, v in self.bounds.categories.items())
        object.__setattr__(self, "_ranges", ranges)
        object.__setattr__(self, "_categories", seen)

    def check(self, row: Mapping[str, Any]) -> Fallback | None:
        """The reason ``row`` must go to the fallback, or None when the routed version may
        answer it. A feature missing from ``row``, or None, is not checked."""
        for name, low, high in self._ranges:
            value = row.get(name)
            if value is not None and (value < low or value > high):
                return Fallback("out_of_range", name)
        for name, values in self._categories:
            value = row.get(name)
            if value is not None and value not in values:
                return Fallback("unseen_category", name)
        return None


@dataclass(frozen=True, slots=True)
class Replacement:
    """A record the fallback answered: why, which feature, and the routed version it replaced."""

    reason: Reason
    feature: str
    replaced: str

    def to_json(self) -> dict[str, str]:
        """The ``fallback`` field of the record's answer."""
        return {"reason": self.reason, "feature": self.feature, "replaced": self.replaced}


def apply_fallback(
    guard: FallbackGuard, rows: list[dict[str, Any]], versions: list[str]
) -> dict[int, Replacement]:
    """Send each failing record to the fallback: ``versions`` is changed in place.

    Returns the records it moved, by index.
    """
    moved: dict[int, Replacement] = {}
    fallback = guard.version
    for index, row in enumerate(rows):
        routed = versions[index]
        if routed == fallback:
            continue
        found = guard.check(row)
        if found is not None:
            moved[index] = Replacement(found.reason, found.feature, routed)
            versions[index] = fallback
    return moved
