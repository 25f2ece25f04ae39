"""One detector interface for batch drift methods, and the registry they add themselves to.

A method is fitted on a reference sample and scores a current sample; the base class owns
validation and the verdict, so a new statistic is one short ``_compute`` method.
"""

from __future__ import annotations

import math
from abc import ABC
from typing import ClassVar, Self

from monitml.errors import DataError, NotFittedError
from monitml.stats.result import ColumnKind, DriftResult
from monitml.stats.samples import CategoricalSample, NumericSample, Sample

__all__ = ["REGISTRY", "DriftMethod", "register"]

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

    def fit(self, reference: Sample) -> Self:
        """Remember the reference sample; return ``self``."""
        self._check_threshold()
        self._check_kind(reference)
        if reference.size == 0:
            raise DataError(f"{self.key}: the reference sample has no non-missing value")
        self.reference_ = reference
        return self

    def score(self, current: Sample, *, feature: str = "") -> DriftResult:
        """Compare ``current`` with the fitted reference."""
        reference = getattr(self, "reference_", None)
        if reference is None:
            raise NotFittedError(f"{type(self).__name__} is not fitted; call fit(reference) first")
        self._check_kind(current)
        if current.size == 0:
            raise DataError(f"{self.key}: the current sample has no non-missing value")
        statistic, p_value = self._compute(reference, current)
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

    def _compute(self, reference: Sample, current: Sample) -> tuple[float, float | None]:
        """Return the method's statistic and its p-value (``None`` for a distance)."""
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

    def _check_kind(self, sample: Sample) -> None:
        kind = _kind_of(sample)
        if kind not in self.kinds:
            supported = " or ".join(sorted(self.kinds))
            raise DataError(f"method '{self.key}' works on {supported} columns, not {kind} ones")


def _kind_of(sample: Sample) -> ColumnKind:
    return "numerical" if isinstance(sample, NumericSample) else "categorical"


def register(cls: type[DriftMethod]) -> type[DriftMethod]:
    """Class decorator: make a method selectable by its ``key``."""
    if cls.key in REGISTRY:
        raise ValueError(f"drift method key '{cls.key}' is registered twice")
    REGISTRY[cls.key] = cls
    return cls
