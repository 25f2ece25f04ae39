"""What an engine runs where a file of a partitioned log is: its rows summarised per chunk.

A :class:`SummaryPlan` (built on the driver by ``monitml.monitor.summarised.plan_for``) says
what every file summarises: each compared column on the reference's bins (numerical,
``Binning``) or vocabulary (categorical, ``Vocabulary``), the chunks of the range, the task's
performance counts and, when the check estimates performance without labels, the fitted
estimator (``Estimator.for_workers``: without its reference data). :func:`summarise_fragment`
reads one file with pyarrow and returns, per chunk its rows fall in, one :class:`ChunkSummary`
encoded as bytes (a ``Part``: tens of KB a column whatever the rows), for the driver to merge.

What is guaranteed: a chunk's summary is the one of its rows whichever file, engine or order
they came in (each column's values are sorted before they are summarised); the rows of a file
are read column by column from Arrow, never as a whole pandas frame (a numeric column of
integers or floats goes straight to numpy; any other type goes through pandas as a frame
would). A file is read a few columns at a time (``COLUMNS_A_READ`` compared columns, then the
label with the prediction), so memory holds a few of one file's columns, not the file's nor
the range's: a worker's peak for a 500,000-row file of 22 columns went 459 -> 338 MB (Arrow's
own 191 -> 58 MB), at the same speed. With an estimator, each chunk's
rows also go, as a frame of the estimator's columns, through ``Estimator.expected_sums`` (a
column the file lacks is missing on its rows, as when the files' rows are concatenated; an
error of the data, as a score column with missing values, is kept in the sums: then the chunk
gets no estimate, as ``ModelMonitor.evaluate`` gives none for such rows).

This module imports no more than a worker needs (numpy, pandas, pyarrow, the summaries, the
estimators' own modules: no SciPy or scikit-learn): engines import it on their workers, not
the driver's scoring code.
"""

from __future__ import annotations

import json
from collections.abc import Callable, Iterator, Sequence
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

import numpy as np
import pandas as pd
import pyarrow as pa

from monitml.errors import DataError, MonitmlError
from monitml.estimation.base import ExpectedSums
from monitml.monitor.chunks import ChunkSpec, split_chunks
from monitml.schema import class_labels_as_text
from monitml.stats.summaries import (
    Binning,
    CategoricalSummary,
    ClassificationSummary,
    NumericSummary,
    RegressionSummary,
    Vocabulary,
    summarise_categorical,
    summarise_classification,
    summarise_numeric,
    summarise_regression,
)
from monitml.stats.summaries.serialise import from_dict, to_dict
from monitml.store.partitions import TS_TYPE, LogFragment, open_fragment

if TYPE_CHECKING:
    from monitml.estimation import Estimator

__all__ = [
    "ChunkSummary",
    "Part",
    "SummaryPlan",
    "chunk_bounds",
    "summarise_fragment",
    "summarise_fragments",
    "summarise_table",
]

ColumnSummary = NumericSummary | CategoricalSummary
Performance = RegressionSummary | ClassificationSummary
# One chunk's summary from one file: (version, chunk start, encoded ChunkSummary).
Part = tuple[str, float, bytes]


@dataclass(frozen=True, slots=True)
class SummaryPlan:
    """What each partition summarises (picklable: it travels to the workers)."""

    model: str
    task: str
    start: float
    end: float
    chunk: ChunkSpec
    binnings: dict[str, Binning]
    vocabularies: dict[str, Vocabulary]
    labels: tuple[str, ...] = ()
    performance: bool = False
    prediction: str = "prediction"
    label: str = "label"
    # The label-free estimator whose expected sums each chunk gets (None: no estimate).
    estimator: Estimator | None = None

    @property
    def columns(self) -> list[str]:
        """The columns a partition reads besides ``ts``."""
        names = [*self.binnings, *self.vocabularies, self.prediction, self.label]
        if self.estimator is not None:
            names += self.estimator.input_columns
        return list(dict.fromkeys(names))


@dataclass(frozen=True, slots=True)
class ChunkSummary:
    """The rows of one chunk of one version, summarised; ``merge`` adds two parts of it."""

    rows: int
    labelled: int
    columns: dict[str, ColumnSummary] = field(default_factory=dict)
    performance: Performance | None = None
    estimate: ExpectedSums | None = None  # the label-free estimator's sums, when planned

    def merge(self, other: ChunkSummary) -> ChunkSummary:
        columns = dict(self.columns)
        for name, summary in other.columns.items():
            mine = columns.get(name)
            columns[name] = summary if mine is None else _merge(mine, summary)
        performance = self.performance
        if other.performance is not None:
            performance = (
                other.performance if performance is None else _merge(performance, other.performance)
            )
        estimate = self.estimate
        if other.estimate is not None:
            estimate = other.estimate if estimate is None else estimate.merge(other.estimate)
        return ChunkSummary(
            self.rows + other.rows, self.labelled + other.labelled, columns, performance, estimate
        )

    def to_bytes(self) -> bytes:
        """Compact JSON (``monitml.chunk-summary/1``): the columns as ``monitml.summary/1``."""
        payload: dict[str, Any] = {
            "format": "monitml.chunk-summary/1",
            "rows": self.rows,
            "labelled": self.labelled,
            "columns": {name: to_dict(summary) for name, summary in self.columns.items()},
            "performance": _performance_to_dict(self.performance),
            "estimate": None if self.estimate is None else self.estimate.to_dict(),
        }
        return json.dumps(payload, separators=(",", ":")).encode("utf-8")

    @classmethod
    def from_bytes(cls, data: bytes) -> ChunkSummary:
        payload = json.loads(data)
        if payload.get("format") != "monitml.chunk-summary/1":
            raise DataError("not a monitml.chunk-summary/1 payload")
        estimate = payload.get("estimate")
        return cls(
            int(payload["rows"]),
            int(payload["labelled"]),
            {name: from_dict(entry) for name, entry in payload["columns"].items()},
            _performance_from_dict(payload["performance"]),
            None if estimate is None else ExpectedSums.from_dict(estimate),
        )


def _merge(left: Any, right: Any) -> Any:
    return left.merge(right)


def _performance_to_dict(summary: Performance | None) -> dict[str, Any] | None:
    if summary is None:
        return None
    if isinstance(summary, RegressionSummary):
        return {
            "task": "regression",
            **{k: getattr(summary, k) for k in summary.__dataclass_fields__},
        }
    return {
        "task": "classification",
        "labels": list(summary.labels),
        "matrix": summary.matrix.tolist(),
        "missing": summary.missing,
        "positive_label": summary.positive_label,
    }


def _performance_from_dict(data: dict[str, Any] | None) -> Performance | None:
    if data is None:
        return None
    if data["task"] == "regression":
        return RegressionSummary(**{k: v for k, v in data.items() if k != "task"})
    return ClassificationSummary(
        tuple(data["labels"]),
        np.asarray(data["matrix"], dtype=np.int64),
        int(data["missing"]),
        data["positive_label"],
    )


def chunk_bounds(plan: SummaryPlan) -> list[tuple[float, float]]:
    """Every chunk of the plan's range as (start, end), empty ones included."""
    return _chunk_slices(plan, np.empty(0), start=plan.start, end=plan.end)[0]


def _chunk_slices(
    plan: SummaryPlan, times: np.ndarray, *, start: float, end: float
) -> tuple[list[tuple[float, float]], list[int]]:
    """The chunks of ``[start, end)`` and where each begins in ``times`` (sorted), the way
    ``split_chunks`` cuts a frame (the same edges, the same comparisons)."""
    bounds: list[tuple[float, float]] = []
    offsets = [0]
    frame = pd.DataFrame({"timestamp": times})
    for lower, upper, part in split_chunks(frame, plan.chunk, start=start, end=end):
        bounds.append((lower, upper))
        offsets.append(offsets[-1] + len(part))
    return bounds, offsets


def _first_chunk_start(plan: SummaryPlan, first: float) -> float:
    """The start of the chunk holding the time ``first`` (chunks are aligned to the epoch)."""
    if plan.chunk.months is not None:
        moment = pd.Timestamp(first, unit="s", tz="UTC")
        edge = pd.Timestamp(year=moment.year, month=moment.month, day=1, tz="UTC").timestamp()
    else:
        period = float(plan.chunk.seconds or 0.0)
        edge = float(np.floor(first / period) * period)
    return max(edge, plan.start)


def summarise_table(plan: SummaryPlan, table: pa.Table) -> dict[float, ChunkSummary]:
    """Per chunk start, the summary of ``table``'s rows in the plan's range (``ts`` a
    timestamp; rows in any order)."""

    def read(columns: Sequence[str]) -> pa.Table:
        picked = [c for c in dict.fromkeys(columns) if c in table.column_names]
        return table.select(picked or ["ts"])

    return _summarise(plan, table["ts"], read)


# Compared columns decoded together: Arrow decodes a read's columns on its threads, and a
# read of 4 holds ~30 MB for a 500,000-row file where the whole file's 22 held ~190 MB.
COLUMNS_A_READ = 4

# The columns of a file in the plan's range, those of the given names it has (``ts`` alone
# when it has none): how a summary reads a file, a few columns at a time.
ColumnReader = Callable[[Sequence[str]], pa.Table]


def _summarise(
    plan: SummaryPlan, ts: pa.ChunkedArray, read: ColumnReader
) -> dict[float, ChunkSummary]:
    """Per chunk start, the summary of the rows whose times are ``ts``, their columns read
    through ``read`` a group at a time: the compared columns ``COLUMNS_A_READ`` at a time, the
    label with the prediction, the estimator's columns together. Only one group's buffers are
    alive at once."""
    if len(ts) == 0:
        return {}
    micros = ts.cast(TS_TYPE).cast(pa.int64()).to_numpy(zero_copy_only=False)
    order: np.ndarray | None = None
    if micros.size > 1 and not bool(np.all(micros[1:] >= micros[:-1])):
        order = np.argsort(micros, kind="stable")
        micros = micros[order]
    times = micros / 1_000_000
    start = _first_chunk_start(plan, float(times[0]))
    end = min(plan.end, float(np.nextafter(times[-1], np.inf)))
    bounds, offsets = _chunk_slices(plan, times, start=start, end=end)
    chunks = [
        (lower, first, last - first)
        for (lower, _), first, last in zip(bounds, offsets[:-1], offsets[1:], strict=True)
        if last > first
    ]

    def per_chunk(columns: Sequence[str]) -> Iterator[tuple[float, pa.Table]]:
        rows = read(columns)
        if order is not None:
            rows = rows.take(order)
        for lower, first, count in chunks:
            yield lower, rows.slice(first, count)

    compared: dict[float, dict[str, ColumnSummary]] = {lower: {} for lower, _, _ in chunks}
    names = [*plan.binnings, *plan.vocabularies]
    for first in range(0, len(names), COLUMNS_A_READ):
        batch = names[first : first + COLUMNS_A_READ]
        for lower, rows in per_chunk(batch):
            for name in batch:
                compared[lower][name] = _summarise_column(plan, rows, name)
    outcomes = {
        lower: _outcome(plan, rows) for lower, rows in per_chunk([plan.label, plan.prediction])
    }
    estimates: dict[float, ExpectedSums] = {}
    if plan.estimator is not None:
        for lower, rows in per_chunk(plan.estimator.input_columns):
            estimates[lower] = _expected_sums(plan.estimator, rows)
    found: dict[float, ChunkSummary] = {}
    for lower, _, count in chunks:
        labelled, performance = outcomes[lower]
        found[lower] = ChunkSummary(
            count, labelled, compared[lower], performance, estimates.get(lower)
        )
    return found


def _floats(table: pa.Table, name: str) -> np.ndarray:
    """The column as float64 with NaN for missing: ``pd.to_numeric(…, errors="coerce")`` of
    it, without building a frame when the column is already numeric."""
    if name not in table.column_names:
        # A column a file lacks is missing on its rows, as when files' rows are concatenated.
        return np.full(table.num_rows, np.nan)
    column = table[name]
    kind = column.type
    if pa.types.is_floating(kind) or pa.types.is_integer(kind):
        values = column.to_numpy(zero_copy_only=False)
        return np.asarray(values, dtype=np.float64)
    coerced = pd.to_numeric(column.to_pandas(), errors="coerce")
    return np.asarray(coerced.to_numpy(np.float64, na_value=np.nan), dtype=np.float64)


def _labels(table: pa.Table, name: str) -> np.ndarray:
    if name not in table.column_names:
        return np.full(table.num_rows, None, dtype=object)
    return np.asarray(table[name].to_pandas().to_numpy(object))


def _summarise_column(plan: SummaryPlan, rows: pa.Table, name: str) -> ColumnSummary:
    binning = plan.binnings.get(name)
    if binning is not None:
        return summarise_numeric(_floats(rows, name), binning)
    return summarise_categorical(_labels(rows, name), plan.vocabularies[name])


def _outcome(plan: SummaryPlan, rows: pa.Table) -> tuple[int, Performance | None]:
    """How many of ``rows`` are labelled, and their performance counts (when planned and the
    rows have both the label and the prediction)."""
    present = rows.column_names
    label, prediction = plan.label, plan.prediction
    labelled = 0
    if label in present:
        labelled = int(rows[label].to_pandas().notna().sum())
    if not (plan.performance and label in present and prediction in present):
        return labelled, None
    if plan.task == "classification":
        truth_all, predicted_all = rows[label].to_pandas(), rows[prediction].to_pandas()
        keep = truth_all.notna() & predicted_all.notna()
        truth = class_labels_as_text(truth_all[keep])
        predicted = class_labels_as_text(predicted_all[keep])
        return labelled, summarise_classification(truth, predicted, labels=list(plan.labels))
    return labelled, summarise_regression(_floats(rows, label), _floats(rows, prediction))


def _expected_sums(estimator: Estimator, rows: pa.Table) -> ExpectedSums:
    """The estimator's sums of ``rows``, read as the frame of its columns that a window of
    these rows would be (a column the file lacks: missing on its rows); an error of the data
    is kept, not raised (``ModelMonitor.evaluate`` gives such rows no estimate)."""
    wanted = estimator.input_columns
    present = [name for name in wanted if name in rows.column_names]
    frame = rows.select(present).to_pandas()
    for name in wanted:
        if name not in present:
            frame[name] = np.full(rows.num_rows, np.nan)
    try:
        return estimator.expected_sums(frame)
    except MonitmlError as error:
        return ExpectedSums({}, str(error))


def summarise_fragment(plan: SummaryPlan, fragment: LogFragment) -> list[Part]:
    """What an engine runs per file: its rows in the range, summarised per chunk, encoded;
    the file is read a few columns at a time (``open_fragment``)."""
    with open_fragment(fragment, start=plan.start, end=plan.end, once=True) as file:
        found = _summarise(plan, file.ts, file.read)
    return [(fragment.version, lower, summary.to_bytes()) for lower, summary in found.items()]


def summarise_fragments(plan: SummaryPlan, fragments: Sequence[LogFragment]) -> list[list[Part]]:
    """:func:`summarise_fragment` of each file, in order (what a task of several files runs)."""
    return [summarise_fragment(plan, fragment) for fragment in fragments]
