"""Batch checks from mergeable summaries: what an engine computes per partition, and the
verdicts the driver draws from the merged summaries.

A check of a partitioned log (``monitml.store.partitions``) runs in three steps:

1. :func:`plan_for` fixes, from the monitor's reference, what every partition summarises:
   each compared column on the reference's bins (numerical, ``Binning``) or vocabulary
   (categorical, ``Vocabulary``), the chunks of the range, the task's performance counts.
2. An engine runs :func:`summarise_fragment` on each file, where the file is (a worker, a
   Spark executor): per version and chunk, one :class:`ChunkSummary` (tens of KB a column,
   whatever the rows), encoded as bytes to travel.
3. The driver merges them per version and chunk (``ChunkSummary.merge``, in file order) and
   :func:`evaluate_summary` scores each chunk as ``ModelMonitor.evaluate`` scores its rows.

What equals the exact check, and what is within a stated error: rows, labelled rows, missing
counts, min, max and the binned methods (PSI, Jensen–Shannon, chi-square…) are exact; a
numerical column of at most ``EXACT_CAP`` distinct values in a chunk (and every categorical
column within its vocabulary and heavy hitters) is compared as its exact sample, so its
statistic, p-value, quality and chart are the exact ones; beyond that KS, Wasserstein and the
other CDF methods are within the summaries' stated rank error, quality from the summary, and
the column has no chart. Means and the performance sums are equal up to float rounding. Not
computed from summaries: label-free estimates (``estimated`` stays empty), ROC AUC and log
loss (they need the scores), and chunks of a number of rows (they need one global order:
use a period or months).
"""

from __future__ import annotations

import copy
import json
import time
from collections.abc import Callable, Iterable, Iterator, Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any

import numpy as np
import pandas as pd

from monitml.analysis import DriftReport
from monitml.analysis.compare import _quality, _quality_issues, _schema_change
from monitml.analysis.result import ColumnDrift
from monitml.analysis.tables import chart_data
from monitml.errors import DataError
from monitml.monitor.batch import AlertJudge, BatchCheck, finish_check
from monitml.monitor.chunks import ChunkSpec, split_chunks
from monitml.monitor.model_monitor import LABEL, PREDICTION, ModelMonitor
from monitml.monitor.result import WindowResult
from monitml.stats.registry import DriftMethod, as_comparable
from monitml.stats.samples import CategoricalSample, NumericSample, Sample
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
    summarise_sample,
)
from monitml.stats.summaries.quality import summary_profile, summary_quantiles
from monitml.stats.summaries.serialise import from_dict, to_dict
from monitml.store import PredictionStore
from monitml.store.partitions import LogFragment, read_fragment

__all__ = [
    "ChunkSummary",
    "Part",
    "Summariser",
    "SummaryPlan",
    "SummaryReference",
    "chunk_bounds",
    "decode_parts",
    "evaluate_summary",
    "merge_parts",
    "plan_for",
    "run_summary_check",
    "summarise_fragment",
    "summarise_frame",
]

ColumnSummary = NumericSummary | CategoricalSummary
Performance = RegressionSummary | ClassificationSummary
# One partition's output: (version, chunk start, encoded ChunkSummary).
Part = tuple[str, float, bytes]
# An engine: the parts of every file, summarised wherever the engine runs.
Summariser = Callable[["SummaryPlan", Sequence[LogFragment]], Iterable[Part]]


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

    @property
    def columns(self) -> list[str]:
        """The columns a partition reads besides ``ts``."""
        names = [*self.binnings, *self.vocabularies]
        return list(dict.fromkeys([*names, PREDICTION, LABEL]))


def plan_for(monitor: ModelMonitor, *, start: float, end: float, chunk: ChunkSpec) -> SummaryPlan:
    """The plan of ``monitor``'s compared columns, cut on its reference's bins and vocabularies."""
    if chunk.rows is not None:
        raise DataError(
            f"chunks of {chunk.rows} rows need one global order: with --engine, use a period "
            "(1h, 1d) or months (1mo)"
        )
    binnings: dict[str, Binning] = {}
    vocabularies: dict[str, Vocabulary] = {}
    for name, fitted in monitor.comparator.references_.items():
        kept = fitted.sample
        if isinstance(kept, NumericSummary):
            binnings[name] = kept.binning
        elif isinstance(kept, NumericSample) and kept.size:
            binnings[name] = Binning.from_reference(kept.values)
        elif isinstance(kept, CategoricalSample):
            counts = dict(zip(kept.categories, (int(n) for n in kept.counts), strict=True))
            vocabularies[name] = Vocabulary.from_counts(counts)
    spec = monitor.comparator.performance_
    return SummaryPlan(
        model=monitor.model,
        task=monitor.task,
        start=start,
        end=end,
        chunk=chunk,
        binnings=binnings,
        vocabularies=vocabularies,
        labels=spec.labels if spec is not None else (),
        performance=spec is not None,
    )


@dataclass(frozen=True, slots=True)
class ChunkSummary:
    """The rows of one chunk of one version, summarised; ``merge`` adds two parts of it."""

    rows: int
    labelled: int
    columns: dict[str, ColumnSummary] = field(default_factory=dict)
    performance: Performance | None = None

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
        return ChunkSummary(
            self.rows + other.rows, self.labelled + other.labelled, columns, performance
        )

    def to_bytes(self) -> bytes:
        """Compact JSON (``monitml.chunk-summary/1``): the columns as ``monitml.summary/1``."""
        payload: dict[str, Any] = {
            "format": "monitml.chunk-summary/1",
            "rows": self.rows,
            "labelled": self.labelled,
            "columns": {name: to_dict(summary) for name, summary in self.columns.items()},
            "performance": _performance_to_dict(self.performance),
        }
        return json.dumps(payload, separators=(",", ":")).encode("utf-8")

    @classmethod
    def from_bytes(cls, data: bytes) -> ChunkSummary:
        payload = json.loads(data)
        if payload.get("format") != "monitml.chunk-summary/1":
            raise DataError("not a monitml.chunk-summary/1 payload")
        return cls(
            int(payload["rows"]),
            int(payload["labelled"]),
            {name: from_dict(entry) for name, entry in payload["columns"].items()},
            _performance_from_dict(payload["performance"]),
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
    empty = pd.DataFrame({"timestamp": np.empty(0)})
    return [
        (lo, hi) for lo, hi, _ in split_chunks(empty, plan.chunk, start=plan.start, end=plan.end)
    ]


def _first_chunk_start(plan: SummaryPlan, first: float) -> float:
    """The start of the chunk holding the time ``first`` (chunks are aligned to the epoch)."""
    if plan.chunk.months is not None:
        moment = pd.Timestamp(first, unit="s", tz="UTC")
        edge = pd.Timestamp(year=moment.year, month=moment.month, day=1, tz="UTC").timestamp()
    else:
        period = float(plan.chunk.seconds or 0.0)
        edge = float(np.floor(first / period) * period)
    return max(edge, plan.start)


def summarise_frame(plan: SummaryPlan, frame: pd.DataFrame) -> dict[float, ChunkSummary]:
    """Per chunk start, the summary of ``frame``'s rows (``timestamp`` sorted, in the range)."""
    if frame.empty:
        return {}
    times = frame["timestamp"].to_numpy(np.float64)
    start = _first_chunk_start(plan, float(times[0]))
    end = min(plan.end, float(np.nextafter(times[-1], np.inf)))
    found: dict[float, ChunkSummary] = {}
    for lower, _, part in split_chunks(frame, plan.chunk, start=start, end=end):
        if len(part):
            found[lower] = _summarise_rows(plan, part)
    return found


def _summarise_rows(plan: SummaryPlan, rows: pd.DataFrame) -> ChunkSummary:
    columns: dict[str, ColumnSummary] = {}
    # A column a file lacks is missing on its rows, as when the rows of files are concatenated.
    for name, binning in plan.binnings.items():
        if name in rows.columns:
            values = pd.to_numeric(rows[name], errors="coerce").to_numpy(
                np.float64, na_value=np.nan
            )
        else:
            values = np.full(len(rows), np.nan)
        columns[name] = summarise_numeric(values, binning)
    for name, vocabulary in plan.vocabularies.items():
        if name in rows.columns:
            labels = rows[name].to_numpy(object)
        else:
            labels = np.full(len(rows), None, dtype=object)
        columns[name] = summarise_categorical(labels, vocabulary)
    labelled = int(rows[LABEL].notna().sum()) if LABEL in rows.columns else 0
    performance: Performance | None = None
    if plan.performance and LABEL in rows.columns and PREDICTION in rows.columns:
        if plan.task == "classification":
            keep = rows[LABEL].notna() & rows[PREDICTION].notna()
            truth = rows.loc[keep, LABEL].astype(str).to_numpy()
            predicted = rows.loc[keep, PREDICTION].astype(str).to_numpy()
            performance = summarise_classification(truth, predicted, labels=list(plan.labels))
        else:
            truth = pd.to_numeric(rows[LABEL], errors="coerce").to_numpy(
                np.float64, na_value=np.nan
            )
            predicted = pd.to_numeric(rows[PREDICTION], errors="coerce").to_numpy(
                np.float64, na_value=np.nan
            )
            performance = summarise_regression(truth, predicted)
    return ChunkSummary(len(rows), labelled, columns, performance)


def summarise_fragment(plan: SummaryPlan, fragment: LogFragment) -> list[Part]:
    """What an engine runs per file: its rows in the range, summarised per chunk, encoded."""
    table = read_fragment(fragment, start=plan.start, end=plan.end, columns=plan.columns)
    micros = table["ts"].cast("int64").to_numpy(zero_copy_only=False)
    frame: pd.DataFrame = table.drop_columns(["ts"]).to_pandas()
    frame.insert(0, "timestamp", micros / 1_000_000)
    order = np.argsort(micros, kind="stable")
    frame = frame.iloc[order].reset_index(drop=True)
    return [
        (fragment.version, lower, summary.to_bytes())
        for lower, summary in summarise_frame(plan, frame).items()
    ]


def decode_parts(parts: Iterable[Part]) -> Iterator[tuple[str, float, ChunkSummary]]:
    for version, lower, data in parts:
        yield version, float(lower), ChunkSummary.from_bytes(data)


def merge_parts(parts: Iterable[Part]) -> dict[tuple[str, float], ChunkSummary]:
    """The parts merged per version and chunk start, one at a time (in the order given)."""
    merged: dict[tuple[str, float], ChunkSummary] = {}
    for version, lower, summary in decode_parts(parts):
        key = (version, lower)
        mine = merged.get(key)
        merged[key] = summary if mine is None else mine.merge(summary)
    return merged


def evaluate_summary(
    monitor: ModelMonitor,
    summary: ChunkSummary | None,
    version: str,
    *,
    window_start: float,
    window_end: float,
    references: dict[str, SummaryReference] | None = None,
) -> WindowResult:
    """``monitor.evaluate`` of the rows behind ``summary`` (None: a chunk without rows).

    ``references`` caches, across the chunks of one check, each numerical reference as a
    summary on the chunks' bins (see :class:`SummaryReference`).
    """
    started = time.perf_counter()
    summary = summary or ChunkSummary(0, 0)
    report = None
    if summary.rows >= monitor.policy.min_rows:
        report = _report(monitor, summary, version, {} if references is None else references)
    return WindowResult(
        model=monitor.model,
        version=version,
        run_at=time.time(),
        window_start=window_start,
        window_end=window_end,
        rows=summary.rows,
        min_rows=monitor.policy.min_rows,
        labelled_rows=summary.labelled,
        prediction=_prediction_statistics(summary.columns.get(PREDICTION), monitor.task),
        report=report,
        compute_seconds=time.perf_counter() - started,
    )


def _prediction_statistics(summary: ColumnSummary | None, task: str) -> dict[str, Any]:
    """``prediction_statistics`` from the prediction column's summary."""
    if summary is None or summary.size == 0:
        return {"count": 0}
    if isinstance(summary, CategoricalSummary) or task == "classification":
        sample = summary.to_sample() if isinstance(summary, CategoricalSummary) else None
        if sample is None:
            return {"count": summary.size}
        shares = pd.Series(dict(zip(sample.categories, sample.counts, strict=True)), dtype=float)
        shares = shares[shares > 0].sort_values(ascending=False, kind="stable") / sample.size
        return {"count": int(sample.size), "class_shares": shares.to_dict()}
    p05, p50, p95 = summary_quantiles(summary, [0.05, 0.5, 0.95]).tolist()
    return {
        "count": int(summary.count),
        "mean": float(summary.mean),
        "min": float(summary.minimum),
        "max": float(summary.maximum),
        "p05": p05,
        "p50": p50,
        "p95": p95,
    }


@dataclass(frozen=True, slots=True)
class SummaryReference:
    """A numerical reference as a summary on the chunks' bins, with the column's method fitted
    on it: what a chunk that no longer holds its values is compared with (summarising the
    reference once per check, not once per chunk as comparing its sample would)."""

    summary: NumericSummary
    method: DriftMethod
    profile: dict[str, Any]

    @classmethod
    def of(cls, fitted: Any, binning: Binning) -> SummaryReference:
        kept = fitted.sample
        if isinstance(kept, NumericSummary):
            return cls(kept, fitted.method, summary_profile(kept))
        summary = summarise_sample(kept, binning)
        method = copy.copy(fitted.method).fit(summary)
        profile = summary_profile(summary)
        return cls(summary, method, profile)


def _report(
    monitor: ModelMonitor,
    summary: ChunkSummary,
    version: str,
    references: dict[str, SummaryReference],
) -> DriftReport:
    comparator = monitor.comparator
    columns: dict[str, ColumnDrift] = {}
    quality: dict[str, Any] = {}
    issues: list[str] = []
    for name, fitted in comparator.references_.items():
        spec, reference = fitted.spec, fitted.sample
        current = summary.columns.get(name)
        if current is None or current.size == 0 or fitted.method is None:
            empty = current is not None and current.size == 0
            reason = f"column is empty in {'current' if empty else 'reference'}"
            sample: Sample | None = None
            if isinstance(current, CategoricalSummary):
                sample = current.to_sample()
            elif isinstance(current, NumericSummary):
                sample = NumericSample(np.empty(0), current.missing, (np.nan, np.nan))
            outcome = _schema_change(spec, reference, sample, reason, None)
            columns[name], quality[name] = outcome.drift, outcome.quality
            issues += outcome.issues
            continue
        comparable = as_comparable(current)
        if isinstance(comparable, NumericSummary):
            cached = references.get(name)
            if cached is None:
                cached = references[name] = SummaryReference.of(fitted, comparable.binning)
            result = cached.method.score(comparable, feature=name)
            column_quality = _summary_quality(cached, comparable)
            columns[name] = ColumnDrift(
                name=name,
                kind=spec.kind,
                role=spec.role,
                result=result,
                reference_count=reference.size,
                reference_missing=reference.missing,
                current_count=comparable.size,
                current_missing=comparable.missing,
            )
        else:
            result = fitted.method.score(comparable, feature=name)
            column_quality = _quality(reference, comparable)
            chart = chart_data(reference, comparable)
            columns[name] = ColumnDrift.of(spec, result, reference, comparable, chart)
        quality[name] = column_quality
        issues += _quality_issues(name, column_quality)
    performance: dict[str, Any] | None = None
    if comparator.performance_ is not None and summary.performance is not None:
        wanted = comparator.performance_
        performance = {
            "task": wanted.task,
            "target": wanted.target,
            "prediction": wanted.prediction,
        }
        if wanted.task == "classification":
            performance["labels"] = list(wanted.labels)
        performance["reference"] = wanted.reference
        performance["current"] = summary.performance.metrics()
    return DriftReport(
        columns=columns,
        share_threshold=comparator.share_threshold,
        quality={"columns": quality, "issues": issues},
        performance=performance,
        sources={
            "reference": {
                "rows": comparator.reference_rows_,
                "source": f"{monitor.model} reference",
            },
            "current": {"rows": summary.rows, "source": f"{monitor.model}/{version} window"},
        },
        generated_at=datetime.now(UTC).strftime("%Y-%m-%dT%H:%M:%SZ"),
    )


def _summary_quality(reference: SummaryReference, current: NumericSummary) -> dict[str, Any]:
    """``numeric_quality`` with the current side a summary (no longer holding its values)."""
    low, high, profile = reference.summary.minimum, reference.summary.maximum, reference.profile
    out_of_range = None
    if reference.summary.count and current.count:
        below, within = current.cdf([float(np.nextafter(low, -np.inf)), high]).tolist()
        out_of_range = float(below + (1.0 - within))
    return {
        "kind": "numerical",
        "reference": profile,
        "current": summary_profile(current),
        "out_of_range_share": out_of_range,
        "constant": bool(low == high) or bool(current.minimum == current.maximum),
        "type_mismatch": None,
    }


def run_summary_check(
    store: PredictionStore,
    monitor: ModelMonitor,
    fragments: Sequence[LogFragment],
    summarise: Summariser,
    *,
    start: float,
    end: float,
    chunk: ChunkSpec,
    version: str | None = None,
    judge: AlertJudge | None = None,
    save: bool = True,
) -> BatchCheck:
    """``run_check`` over the files of a partitioned log, summarised by ``summarise`` (an
    engine: it returns every file's parts) and merged here, one part at a time."""
    plan = plan_for(monitor, start=start, end=end, chunk=chunk)
    merged = merge_parts(summarise(plan, fragments))
    names = [version] if version is not None else sorted({name for name, _ in merged})
    bounds = chunk_bounds(plan)
    references: dict[str, SummaryReference] = {}
    results = (
        evaluate_summary(
            monitor,
            merged.get((name, lo)),
            name,
            window_start=lo,
            window_end=hi,
            references=references,
        )
        for name in names
        for lo, hi in bounds
    )
    return finish_check(
        store, monitor, results, start=start, end=end, chunk=chunk, version=version,
        judge=judge, save=save,
    )  # fmt: skip
