"""One shape for every performance estimator: fit on a labelled reference, estimate per chunk.

A subclass turns a frame into its arrays (``_prepare``) and computes metrics on a set of rows,
expected (``_expected``) or realised from labels (``_realized``). The base class owns the
chunking, the sampling error and the thresholds, so every estimator reports the same way.

Sampling error (as NannyML does it: how much a metric moves between reference chunks of the
same size): the realised metric is computed on ``bootstrap`` samples of ``n`` reference rows
drawn with replacement; their standard deviation is the standard error at ``n`` rows and
scales as ``1/sqrt(n)`` to chunks of other sizes.
"""

from __future__ import annotations

import math
from abc import ABC, abstractmethod
from typing import TYPE_CHECKING, Any, ClassVar, Self, TypeAlias

import numpy as np
from numpy.typing import NDArray

from monitml.errors import DataError, NotFittedError
from monitml.estimation.chunking import Chunk, chunk_frame, parse_chunking
from monitml.estimation.result import ChunkEstimate, EstimationResult, MetricEstimate, Task

if TYPE_CHECKING:
    import pandas as pd

    from monitml.estimation.columns import Columns

__all__ = ["Estimator", "Frame"]

Rows = NDArray[np.int_]
# A DataFrame, or for CBPE the numeric columns the CLI reads without pandas.
Frame: TypeAlias = "pd.DataFrame | Columns"


class Estimator(ABC):
    """Base of CBPE and DLE."""

    method: ClassVar[str]
    metrics: ClassVar[tuple[str, ...]]
    bounded: ClassVar[bool]  # metrics live in [0, 1]

    def __init__(self, *, sigmas: float = 3.0, bootstrap: int = 50, seed: int = 0) -> None:
        self.sigmas = sigmas
        self.bootstrap = bootstrap
        self.seed = seed

    @property
    @abstractmethod
    def task(self) -> Task: ...

    @abstractmethod
    def _fit(self, reference: Frame) -> Any:
        """Learn what the estimate needs; return the reference's prepared data."""

    @abstractmethod
    def _prepare(self, frame: Frame) -> Any:
        """The analysis frame's arrays."""

    @abstractmethod
    def _expected(self, data: Any, rows: Rows) -> dict[str, float]: ...

    @abstractmethod
    def _realized(self, data: Any, rows: Rows) -> dict[str, float] | None:
        """Realised metrics on the labelled ``rows``; ``None`` when none is labelled."""

    @abstractmethod
    def _labelled(self, data: Any) -> NDArray[np.bool_]: ...

    def fit(self, reference: Frame) -> Self:
        """Fit on the labelled reference; return ``self``."""
        if not math.isfinite(self.sigmas) or self.sigmas <= 0:
            raise ValueError(
                f"The 'sigmas' parameter of {type(self).__name__} must be a number > 0. "
                f"Got {self.sigmas!r} instead."
            )
        if len(reference) == 0:
            raise DataError("the reference data has no row")
        data = self._fit(reference)
        labelled = np.flatnonzero(self._labelled(data))
        if labelled.size < 2:
            raise DataError("the reference needs labels: fewer than 2 rows have a target")
        self.reference_data_ = data
        self.reference_rows_ = labelled
        realized = self._realized(data, labelled) or {}
        self.reference_metrics_ = {name: realized.get(name, float("nan")) for name in self.metrics}
        self._errors: dict[int, dict[str, float]] = {}
        return self

    def standard_error(self, rows: int) -> dict[str, float]:
        """Each metric's standard error on a chunk of ``rows`` rows."""
        if not hasattr(self, "reference_data_"):
            raise NotFittedError(f"{type(self).__name__} is not fitted; call fit(reference) first")
        base = max(rows, 1)
        if base not in self._errors:
            rng = np.random.default_rng(self.seed)
            draws: dict[str, list[float]] = {name: [] for name in self.metrics}
            for _ in range(self.bootstrap):
                sample = rng.choice(self.reference_rows_, size=base, replace=True)
                values = self._realized(self.reference_data_, sample) or {}
                for name in self.metrics:
                    draws[name].append(values.get(name, float("nan")))
            self._errors[base] = {
                name: float(np.nanstd(values, ddof=1))
                if np.isfinite(values).sum() > 1
                else float("nan")
                for name, values in draws.items()
            }
        return self._errors[base]

    def estimate(
        self, analysis: Frame, *, chunk: str = "5000rows", timestamp: str | None = None
    ) -> EstimationResult:
        """Estimated performance of ``analysis`` per chunk (realised too where it has labels)."""
        if not hasattr(self, "reference_data_"):
            raise NotFittedError(f"{type(self).__name__} is not fitted; call fit(reference) first")
        rule = parse_chunking(chunk)
        frame, chunks = chunk_frame(analysis, rule, timestamp)
        if not chunks:
            raise DataError("the analysis data has no row")
        data = self._prepare(frame)
        labelled = self._labelled(data)
        # One bootstrap at the usual chunk size; other sizes scale as 1/sqrt(n).
        base = max(part.size for part in chunks)
        errors = self.standard_error(base)
        results = tuple(self._chunk(data, labelled, part, errors, base) for part in chunks)
        return EstimationResult(
            task=self.task,
            method=self.method,
            chunking=rule.describe(),
            sigmas=self.sigmas,
            chunks=results,
            reference=self._reference_summary(),
        )

    def _reference_summary(self) -> dict[str, Any]:
        return {
            "rows": int(self.reference_rows_.size),
            "metrics": {
                name: value if math.isfinite(value) else None
                for name, value in self.reference_metrics_.items()
            },
        }

    def _chunk(
        self,
        data: Any,
        labelled: NDArray[np.bool_],
        part: Chunk,
        errors: dict[str, float],
        base: int,
    ) -> ChunkEstimate:
        rows = np.arange(part.first, part.stop)
        expected = self._expected(data, rows)
        with_labels = rows[labelled[part.first : part.stop]]
        realized = self._realized(data, with_labels) if with_labels.size else None
        scale = math.sqrt(base / part.size)
        metrics: dict[str, MetricEstimate] = {}
        for name in self.metrics:
            value = expected[name]
            error = errors[name] * scale
            reference = self.reference_metrics_[name]
            low, high = (
                self._clip(value - self.sigmas * error),
                self._clip(value + self.sigmas * error),
            )
            truth = None if realized is None else realized.get(name)
            metrics[name] = MetricEstimate(
                estimated=value,
                lower=low,
                upper=high,
                realized=truth if truth is not None and math.isfinite(truth) else None,
                sampling_error=error,
                lower_threshold=self._clip(reference - self.sigmas * error),
                upper_threshold=self._clip(reference + self.sigmas * error),
            )
        start, end = part.bounds()
        return ChunkEstimate(part.index, start, end, part.size, int(with_labels.size), metrics)

    def _clip(self, value: float) -> float:
        if not math.isfinite(value):
            return value
        return min(max(value, 0.0), 1.0) if self.bounded else max(value, 0.0)
