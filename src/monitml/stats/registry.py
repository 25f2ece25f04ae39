"""One detector interface for batch drift methods, and the registry they add themselves to.

A method is fitted on a reference sample and scores a current sample; the base class owns
validation and the verdict, so a new statistic is one short ``_compute`` method.

Either side may also be a mergeable summary (``monitml.stats.summaries``). A categorical
summary, or a numerical one that still holds its values, is compared as the sample it stands
for (exactly); a numerical summary that does not goes to ``_numerical_summaries``,
which a numerical method implements from the summaries' histograms and sketches. A fitted
method keeps a numerical reference summary as it is (bounded in size) and expands it into
its sample only for the duration of a comparison.
"""

from __future__ import annotations

import math
from abc import ABC
from typing import ClassVar, Self

from monitml.errors import DataError, NotFittedError
from monitml.stats.result import ColumnKind, DriftResult
from monitml.stats.samples import CategoricalSample, NumericSample, Sample
from monitml.stats.summaries.categorical import CategoricalSummary
from monitml.stats.summaries.compare import pair_summaries
from monitml.stats.summaries.numerical import NumericSummary

__all__ = ["REGISTRY", "Comparable", "DriftMethod", "as_comparable", "register"]

# What a method compares: a sample, or a numerical summary that no longer holds its values.
Comparable = Sample | NumericSummary
# An exact numerical summary of up to this many rows is compared as the sample itself (8 MB);
# a longer one (a discrete column) as a summary, which is then exact as well.
SAMPLE_FROM_SUMMARY_UP_TO = 1_000_000


def as_comparable(data: Sample | NumericSummary | CategoricalSummary) -> Comparable:
    """A summary that stands for an exact sample becomes that sample; others stay summaries."""
    if isinstance(data, CategoricalSummary):
        return data.to_sample()
    if isinstance(data, NumericSummary) and data.exact and data.count <= SAMPLE_FROM_SUMMARY_UP_TO:
        return data.to_sample()
    return data


# Filled by ``@register`` as the method modules are imported (see ``monitml.stats.catalog``).
REGISTRY: dict[str, type[DriftMethod]] = {}


class DriftMethod(ABC):
    """Base of every batch drift method.

    Subclasses set ``key``, ``kinds``, ``default_threshold`` and ``is_test`` and implement
    ``_compute(reference, current) -> (statistic, p_value)``. A test (``is_test``) flags drift
    when its p-value is below the threshold; a distance when its statistic reaches it.
    """

    key: ClassVar[str]
    kinds: ClassVar[frozenset[ColumnKind]]
    default_threshold: ClassVar[float]
    is_test: ClassVar[bool]
    summary: ClassVar[str]

    def __init__(self, threshold: float | None = None) -> None:
        self.threshold = threshold

    @property
    def threshold_(self) -> float:
        """The threshold in use: the one given, else the method's default."""
        return self.default_threshold if self.threshold is None else self.threshold

    def fit(self, reference: Sample | NumericSummary | CategoricalSummary) -> Self:
        """Remember the reference sample (or summary); return ``self``."""
        if isinstance(reference, CategoricalSummary):
            reference = reference.to_sample()
        self._check_threshold()
        self._check_kind(reference)
        if reference.size == 0:
            raise DataError(f"{self.key}: the reference sample has no non-missing value")
        self.reference_ = reference
        return self

    def score(
        self, current: Sample | NumericSummary | CategoricalSummary, *, feature: str = ""
    ) -> DriftResult:
        """Compare ``current`` (a sample or a summary) with the fitted reference."""
        current = as_comparable(current)
        reference = getattr(self, "reference_", None)
        if reference is None:
            raise NotFittedError(f"{type(self).__name__} is not fitted; call fit(reference) first")
        self._check_kind(current)
        if current.size == 0:
            raise DataError(f"{self.key}: the current sample has no non-missing value")
        statistic, p_value = self._compute(as_comparable(reference), current)
        threshold = self.threshold_
        if self.is_test:
            detected = p_value is not None and p_value < threshold
        else:
            detected = math.isfinite(statistic) and statistic >= threshold
        return DriftResult(
            feature=feature,
            method=self.key,
            kind=_kind_of(current),
            statistic=statistic,
            p_value=p_value,
            threshold=threshold,
            drift_detected=bool(detected),
            reference_size=reference.size,
            current_size=current.size,
        )

    def _compute(self, reference: Comparable, current: Comparable) -> tuple[float, float | None]:
        """Return the method's statistic and its p-value (``None`` for a distance)."""
        if isinstance(reference, NumericSummary) or isinstance(current, NumericSummary):
            if isinstance(reference, CategoricalSample) or isinstance(current, CategoricalSample):
                raise DataError(f"{self.key}: reference and current columns are of different kinds")
            return self._numerical_summaries(*pair_summaries(reference, current))
        if isinstance(reference, NumericSample) and isinstance(current, NumericSample):
            return self._numerical(reference, current)
        if isinstance(reference, CategoricalSample) and isinstance(current, CategoricalSample):
            return self._categorical(reference, current)
        raise DataError(f"{self.key}: reference and current columns are of different kinds")

    def _numerical(
        self, reference: NumericSample, current: NumericSample
    ) -> tuple[float, float | None]:
        raise DataError(f"method '{self.key}' does not work on numerical columns")

    def _categorical(
        self, reference: CategoricalSample, current: CategoricalSample
    ) -> tuple[float, float | None]:
        raise DataError(f"method '{self.key}' does not work on categorical columns")

    def _numerical_summaries(
        self, reference: NumericSummary, current: NumericSummary
    ) -> tuple[float, float | None]:
        raise DataError(f"method '{self.key}' cannot compare numerical summaries")

    def _check_threshold(self) -> None:
        value = self.threshold_
        if self.is_test and not 0.0 < value < 1.0:
            raise ValueError(
                f"The 'threshold' parameter of {self.key} must be a p-value in (0, 1). "
                f"Got {value!r} instead."
            )
        if not self.is_test and not (math.isfinite(value) and value >= 0.0):
            raise ValueError(
                f"The 'threshold' parameter of {self.key} must be a finite number >= 0. "
                f"Got {value!r} instead."
            )

    def _check_kind(self, sample: Comparable) -> None:
        kind = _kind_of(sample)
        if kind not in self.kinds:
            supported = " or ".join(sorted(self.kinds))
            raise DataError(f"method '{self.key}' works on {supported} columns, not {kind} ones")


def _kind_of(sample: Comparable) -> ColumnKind:
    return "numerical" if isinstance(sample, NumericSample | NumericSummary) else "categorical"


def register(cls: type[DriftMethod]) -> type[DriftMethod]:
    """Class decorator: make a method selectable by its ``key``."""
    if cls.key in REGISTRY:
        raise ValueError(f"drift method key '{cls.key}' is registered twice")
    REGISTRY[cls.key] = cls
    return cls
