"""One shape for every performance estimator: fit on a labelled reference, estimate per chunk.

A subclass turns a frame into its arrays (``_prepare``) and computes metrics on a set of rows,
expected (``_expected``) or realised from labels (``_realized``). The base class owns the
chunking, the sampling error and the thresholds, so every estimator reports the same way.

Sampling error (as NannyML does it: how much a metric moves between reference chunks of the
same size): the realised metric is computed on ``bootstrap`` samples of ``n`` reference rows
drawn with replacement; their standard deviation is the standard error at ``n`` rows and
scales as ``1/sqrt(n)`` to chunks of other sizes. A size above 4,096 rows is bootstrapped at
the next size of a geometric grid (:func:`bootstrap_size`, at most 19% more rows) and scaled
back: chunks of nearby sizes (a month of daily chunks, a monitor's windows) share one
bootstrap instead of paying one each, and the check from summaries and the one from rows
still get the same errors.

Mergeable estimates (for checks from summaries, where each file's rows are summarised where
the file is): ``expected_sums`` turns a set of rows into a few sufficient sums
(:class:`ExpectedSums`: DLE's rows and sums of expected absolute and squared errors; CBPE's
expected confusion counts), ``ExpectedSums.merge`` adds two sets', and ``estimate_from_sums``
turns the merged sums into the chunk's estimate: what ``estimate(rows, chunk=f"{n}rows")``
gives for its one chunk (the same expected values up to float rounding, the same sampling
error, band and thresholds), for the metrics that are ratios of sums (``summed_metrics``: not
ROC AUC, which needs every row's score) and without realised values. The row path computes
its metrics from the same sums, so the two cannot drift apart.
"""

from __future__ import annotations

import copy
import math
from abc import ABC, abstractmethod
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any, ClassVar, Self, TypeAlias

import numpy as np
from numpy.typing import NDArray

from monitml.errors import DataError, NotFittedError
from monitml.estimation.chunking import Chunk, chunk_frame, parse_chunking
from monitml.estimation.result import ChunkEstimate, EstimationResult, MetricEstimate, Task

if TYPE_CHECKING:
    import pandas as pd

    from monitml.estimation.columns import Columns

__all__ = ["Estimator", "ExpectedSums", "Frame"]

Rows = NDArray[np.int_]
# A DataFrame, or for CBPE the numeric columns the CLI reads without pandas.
Frame: TypeAlias = "pd.DataFrame | Columns"


@dataclass(frozen=True, slots=True)
class ExpectedSums:
    """Sufficient sums of a set of rows' expected metrics (``Estimator.expected_sums``): the
    sums of two sets of rows add up to those of their union (``merge``).

    ``error`` says why some of the rows could not be estimated (a score column with missing
    values…): the union of such rows with any other cannot be estimated either.
    """

    sums: dict[str, float] = field(default_factory=dict)
    error: str | None = None

    @property
    def rows(self) -> int:
        return int(self.sums.get("rows", 0))

    def merge(self, other: ExpectedSums) -> ExpectedSums:
        error = self.error or other.error
        if error is not None:
            return ExpectedSums({}, error)
        keys = dict.fromkeys([*self.sums, *other.sums])
        return ExpectedSums({k: self.sums.get(k, 0.0) + other.sums.get(k, 0.0) for k in keys})

    def to_dict(self) -> dict[str, Any]:
        return {"sums": dict(self.sums), "error": self.error}

    @classmethod
    def from_dict(cls, data: Mapping[str, Any]) -> ExpectedSums:
        sums = {str(k): float(v) for k, v in data["sums"].items()}
        error = data.get("error")
        return cls(sums, None if error is None else str(error))


# Up to this many rows a chunk's sampling error is bootstrapped at its own size (cheap); above,
# at the next size of a geometric grid of this ratio.
EXACT_BOOTSTRAP_ROWS = 4_096
BOOTSTRAP_GRID = 2**0.25


def bootstrap_size(rows: int) -> int:
    """The size the sampling error of a chunk of ``rows`` rows is bootstrapped at: ``rows`` up
    to ``EXACT_BOOTSTRAP_ROWS``, else the smallest size of the grid ``4,096 × 2^(k/4)`` that
    holds it. Rounding up keeps each draw at least as large as the chunk."""
    if rows <= EXACT_BOOTSTRAP_ROWS:
        return max(rows, 1)
    step = max(math.floor(math.log(rows / EXACT_BOOTSTRAP_ROWS, BOOTSTRAP_GRID)), 0)
    size = round(EXACT_BOOTSTRAP_ROWS * BOOTSTRAP_GRID**step)
    while size < rows:  # the floor, or a rounding, fell short
        step += 1
        size = round(EXACT_BOOTSTRAP_ROWS * BOOTSTRAP_GRID**step)
    return size


class Estimator(ABC):
    """Base of CBPE and DLE."""

    method: ClassVar[str]
    metrics: ClassVar[tuple[str, ...]]
    summed_metrics: ClassVar[tuple[str, ...]]  # those that ``estimate_from_sums`` gives
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
    def _expected_sums(self, data: Any, rows: Rows) -> dict[str, float]:
        """The sums ``_from_sums`` turns into the expected ``summed_metrics`` of ``rows``."""

    @abstractmethod
    def _from_sums(self, sums: dict[str, float]) -> dict[str, float]:
        """The ``summed_metrics`` from ``_expected_sums`` (of one set of rows, or added up)."""

    @property
    @abstractmethod
    def input_columns(self) -> tuple[str, ...]:
        """The columns ``_prepare`` reads from an analysis frame (the target among them: its
        labels, when present, are checked and give realised values)."""

    @abstractmethod
    def _realized(self, data: Any, rows: Rows) -> dict[str, float] | None:
        """Realised metrics on the labelled ``rows``; ``None`` when none is labelled."""

    def _realized_summed(self, data: Any, rows: Rows) -> dict[str, float] | None:
        """Realised ``summed_metrics`` on the labelled ``rows`` (at least those); by default
        ``_realized``'s, for an estimator whose every metric is summed."""
        return self._realized(data, rows)

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
        self._summed_errors: dict[int, dict[str, float]] = {}
        return self

    def _require_fitted(self, what: str = "reference_metrics_") -> None:
        if not hasattr(self, what):
            if hasattr(self, "reference_metrics_"):
                raise NotFittedError(
                    f"this {type(self).__name__} only computes expected_sums (a copy for workers)"
                )
            raise NotFittedError(f"{type(self).__name__} is not fitted; call fit(reference) first")

    def for_workers(self) -> Self:
        """A copy that only computes ``expected_sums``: without the reference's data (kept for
        the sampling error, on the driver), so it is smaller to send to workers."""
        self._require_fitted()
        mine = copy.copy(self)
        for name in ("reference_data_", "reference_rows_", "_errors", "_summed_errors"):
            mine.__dict__.pop(name, None)
        return mine

    def expected_sums(self, analysis: Frame) -> ExpectedSums:
        """The sufficient sums of the expected ``summed_metrics`` of ``analysis``'s rows."""
        self._require_fitted()
        data = self._prepare(analysis)
        return ExpectedSums(self._expected_sums(data, np.arange(len(analysis))))

    def estimate_from_sums(self, sums: ExpectedSums) -> ChunkEstimate:
        """The one chunk of ``estimate(rows, chunk=f"{n}rows")`` of the ``n`` rows behind
        ``sums`` (merged from their parts), with its ``summed_metrics`` only and no realised
        value (``labelled_rows`` 0); ``DataError`` when some of the rows could not be
        estimated (``ExpectedSums.error``) or there are none."""
        self._require_fitted("reference_data_")
        if sums.error is not None:
            raise DataError(sums.error)
        if sums.rows == 0:
            raise DataError("the analysis data has no row")
        errors = self.standard_error(sums.rows, summed_only=True)
        expected = self._from_sums(sums.sums)
        metrics = {
            name: self._metric(name, expected[name], None, errors[name])
            for name in self.summed_metrics
        }
        return ChunkEstimate(0, 0, sums.rows, sums.rows, 0, metrics)

    def standard_error(self, rows: int, *, summed_only: bool = False) -> dict[str, float]:
        """Each metric's standard error on a chunk of ``rows`` rows: bootstrapped at
        ``bootstrap_size(rows)`` (once per size) and scaled to ``rows``; ``summed_only``: the
        ``summed_metrics``' only, the same values, without the others' cost (CBPE's ROC AUC
        sorts every draw, once per class)."""
        self._require_fitted("reference_data_")
        size = bootstrap_size(rows)
        if size in self._errors:  # every metric's: the summed ones among them
            errors = self._errors[size]
        elif not summed_only:
            errors = self._errors[size] = self._bootstrap(size, self.metrics, self._realized)
        elif size in self._summed_errors:
            errors = self._summed_errors[size]
        else:
            errors = self._summed_errors[size] = self._bootstrap(
                size, self.summed_metrics, self._realized_summed
            )
        scale = math.sqrt(size / max(rows, 1))
        return {name: value * scale for name, value in errors.items()}

    def _bootstrap(
        self,
        size: int,
        metrics: Sequence[str],
        realized: Callable[[Any, Rows], dict[str, float] | None],
    ) -> dict[str, float]:
        """The standard deviation of ``metrics`` over ``bootstrap`` draws of ``size`` labelled
        reference rows (the same draws whatever ``metrics``: one seed)."""
        rng = np.random.default_rng(self.seed)
        draws: dict[str, list[float]] = {name: [] for name in metrics}
        for _ in range(self.bootstrap):
            sample = rng.choice(self.reference_rows_, size=size, replace=True)
            values = realized(self.reference_data_, sample) or {}
            for name in metrics:
                draws[name].append(values.get(name, float("nan")))
        return {
            name: float(np.nanstd(values, ddof=1))
            if np.isfinite(values).sum() > 1
            else float("nan")
            for name, values in draws.items()
        }

    def estimate(
        self, analysis: Frame, *, chunk: str = "5000rows", timestamp: str | None = None
    ) -> EstimationResult:
        """Estimated performance of ``analysis`` per chunk (realised too where it has labels)."""
        self._require_fitted("reference_data_")
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
            truth = None if realized is None else realized.get(name)
            metrics[name] = self._metric(name, expected[name], truth, errors[name] * scale)
        start, end = part.bounds()
        return ChunkEstimate(part.index, start, end, part.size, int(with_labels.size), metrics)

    def _metric(self, name: str, value: float, truth: float | None, error: float) -> MetricEstimate:
        """A metric's estimate ``value`` with its band and thresholds at standard error
        ``error`` (``truth``: the realised value, if any)."""
        reference = self.reference_metrics_[name]
        return MetricEstimate(
            estimated=value,
            lower=self._clip(value - self.sigmas * error),
            upper=self._clip(value + self.sigmas * error),
            realized=truth if truth is not None and math.isfinite(truth) else None,
            sampling_error=error,
            lower_threshold=self._clip(reference - self.sigmas * error),
            upper_threshold=self._clip(reference + self.sigmas * error),
        )

    def _clip(self, value: float) -> float:
        if not math.isfinite(value):
            return value
        return min(max(value, 0.0), 1.0) if self.bounded else max(value, 0.0)
