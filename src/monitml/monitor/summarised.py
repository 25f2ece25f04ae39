"""Batch checks from mergeable summaries: the verdicts the driver draws from the summaries
engines compute per file.

A check of a partitioned log (``monitml.store.partitions``) runs in three steps:

1. :func:`plan_for` fixes, from the monitor's reference, what every partition summarises:
   each compared column on the reference's bins (numerical, ``Binning``) or vocabulary
   (categorical, ``Vocabulary``), the chunks of the range, the task's performance counts.
2. An engine runs ``summarise_fragment`` (``monitml.monitor.chunk_summary``) on each file,
   where the file is (a worker, a Spark executor): per version and chunk, one
   ``ChunkSummary`` (tens of KB a column, whatever the rows), encoded as bytes to travel, and
   hands them back file by file, in the order of the files.
3. The driver merges each chunk's parts as they arrive (``ChunkSummary.merge``, in file
   order) and :func:`evaluate_summary` scores a chunk as ``ModelMonitor.evaluate`` scores its
   rows as soon as no file left can hold rows of it (files come sorted by version and date,
   and a file holds the rows of its ``date=`` partition); its summary is then dropped. So the
   driver holds the summaries of the chunks still open (those of the dates being read), not
   one per chunk of the range; a file holding rows of a chunk already scored (a row outside
   its date partition) is refused, naming the file.

What equals the exact check, and what is within a stated error: rows, labelled rows, missing
counts, min, max and the binned methods (PSI, Jensen–Shannon, chi-square…) are exact; a
numerical column of at most ``EXACT_CAP`` distinct values in a chunk (and every categorical
column within its vocabulary and heavy hitters) is compared as its exact sample, so its
statistic, p-value, quality and chart are the exact ones; beyond that KS, Wasserstein and the
other CDF methods are within the summaries' stated rank error, quality from the summary, and
the column has no chart. Means and the performance sums are equal up to float rounding.

Label-free estimates (``estimated`` and ``estimated_bands``), with ``estimate`` only (off by
default: DLE's two models run on every row, which on 1M rows × 20 features took summarising
from about 2 s to 5.5 s of one core; docs/scale.md): the plan carries the monitor's fitted
estimator without its reference data (``Estimator.for_workers``), each chunk's summary the
estimator's expected sums of its rows (``Estimator.expected_sums``: DLE's rows and sums of
expected absolute and squared errors, CBPE's expected confusion counts), and the driver turns
the merged sums into the chunk's estimates (``Estimator.estimate_from_sums``): equal to the
row-based check's up to float rounding, with the same sampling-error bands (the same bootstrap
at the chunk's rows), for the metrics that are ratios of sums — MAE and RMSE; F1, precision,
recall, specificity and accuracy. Rows that cannot be estimated (a score column missing or with
missing values) leave their chunk without estimates, as they leave a window of rows.

The explanation (``explanation``): the drifted features ranked by impact, each one's drift on
its method's threshold scale times the version's stored importance, as a window of rows ranks
them (``Explainer.rank``); the segments that moved and the performance per segment need the
rows, so a chunk from summaries has none.

Not computed from summaries: estimated ROC AUC (it ranks every row's score), realised ROC AUC
and log loss (they need the scores), segments, and chunks of a number of rows (they need one
global order: use a period or months).
"""

from __future__ import annotations

import copy
import itertools
import math
import time
from collections.abc import Callable, Iterable, Iterator, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

import numpy as np
import pandas as pd

from monitml.analysis import DriftReport
from monitml.analysis.column import column_quality, quality_issues, schema_change
from monitml.analysis.result import ColumnDrift
from monitml.analysis.tables import chart_data
from monitml.errors import DataError, MonitmlError
from monitml.explain import drift_columns
from monitml.monitor.batch import AlertJudge, BatchCheck, finish_check
from monitml.monitor.chunk_summary import (
    ChunkSummary,
    Part,
    SummaryPlan,
    chunk_bounds,
    summarise_fragment,
)
from monitml.monitor.chunks import ChunkSpec
from monitml.monitor.model_monitor import LABEL, PREDICTION, ModelMonitor
from monitml.monitor.result import WindowResult
from monitml.stats.registry import DriftMethod, as_comparable
from monitml.stats.samples import CategoricalSample, NumericSample, Sample
from monitml.stats.summaries import (
    Binning,
    CategoricalSummary,
    NumericSummary,
    Vocabulary,
    summarise_sample,
)
from monitml.stats.summaries.quality import summary_profile, summary_quantiles
from monitml.store import PredictionStore
from monitml.store.partitions import LogFragment

__all__ = [
    "ESTIMATE",
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
]

ColumnSummary = NumericSummary | CategoricalSummary
# Whether a check from summaries estimates performance without labels unless told: no, as the
# estimates cost more than the rest of the summarising (DLE on 1M rows × 20 features: 5.5 s of
# one core against 1.7-2.2 s; docs/scale.md).
ESTIMATE = False
# An engine: for each file, in the order given, the parts of its chunks (summarised wherever
# the engine runs).
Summariser = Callable[[SummaryPlan, Sequence[LogFragment]], Iterable[list[Part]]]


def plan_for(
    monitor: ModelMonitor,
    *,
    start: float,
    end: float,
    chunk: ChunkSpec,
    estimate: bool = ESTIMATE,
) -> SummaryPlan:
    """The plan of ``monitor``'s compared columns, cut on its reference's bins and vocabularies;
    with ``estimate``, each chunk's label-free estimator sums too (when the monitor has an
    estimator)."""
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
        prediction=PREDICTION,
        label=LABEL,
        estimator=(
            monitor.estimator.for_workers() if estimate and monitor.estimator is not None else None
        ),
    )


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
    explanation = None
    if summary.rows >= monitor.policy.min_rows:
        report = _report(monitor, summary, version, {} if references is None else references)
        # Features ranked by impact; segments need the rows, which a summary does not hold.
        explanation = monitor.explainer.rank(
            drift_columns(report), importance=monitor.importance.get(version)
        )
    estimated, bands = _estimate(monitor, summary) if report is not None else ({}, {})
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
        estimated=estimated,
        estimated_bands=bands,
        explanation=explanation,
    )


def _estimate(
    monitor: ModelMonitor, summary: ChunkSummary
) -> tuple[dict[str, float], dict[str, tuple[float, float]]]:
    """``ModelMonitor._estimate`` of the rows behind ``summary``, from their expected sums
    (the metrics that are ratios of sums); empty when the plan had no estimator or the rows
    cannot be estimated."""
    if monitor.estimator is None or summary.estimate is None:
        return {}, {}
    try:
        chunk = monitor.estimator.estimate_from_sums(summary.estimate)
    except MonitmlError:  # e.g. rows without the score columns
        return {}, {}
    return chunk.estimates()


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
            outcome = schema_change(spec, reference, sample, reason, None)
            columns[name], quality[name] = outcome.drift, outcome.quality
            issues += outcome.issues
            continue
        comparable = as_comparable(current)
        if isinstance(comparable, NumericSummary):
            cached = references.get(name)
            if cached is None:
                cached = references[name] = SummaryReference.of(fitted, comparable.binning)
            result = cached.method.score(comparable, feature=name)
            column_figures = _summary_quality(cached, comparable)
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
            column_figures = column_quality(reference, comparable)
            chart = chart_data(reference, comparable)
            columns[name] = ColumnDrift.of(spec, result, reference, comparable, chart)
        quality[name] = column_figures
        issues += quality_issues(name, column_figures)
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
    estimate: bool = ESTIMATE,
) -> BatchCheck:
    """``run_check`` over the files of a partitioned log, summarised by ``summarise`` (an
    engine: each file's parts, file by file) and merged and scored here as they arrive;
    ``estimate``: with the label-free estimates (``WindowResult.estimated``)."""
    plan = plan_for(monitor, start=start, end=end, chunk=chunk, estimate=estimate)
    files = sorted(
        (f for f in fragments if version is None or f.version == version),
        key=lambda f: (f.version, f.date, f.path),
    )
    parts = iter(summarise(plan, files))
    results = _scored_in_order(monitor, plan, files, parts, version)
    return finish_check(
        store, monitor, results, start=start, end=end, chunk=chunk, version=version,
        judge=judge, save=save,
    )  # fmt: skip


def _midnight(date: str) -> float:
    """Epoch seconds of 00:00 UTC on ``date`` (``YYYY-MM-DD``): where a date partition starts."""
    return datetime.strptime(date, "%Y-%m-%d").replace(tzinfo=UTC).timestamp()


def _scored_in_order(
    monitor: ModelMonitor,
    plan: SummaryPlan,
    files: Sequence[LogFragment],
    parts: Iterator[list[Part]],
    version: str | None,
) -> Iterator[WindowResult]:
    """Every chunk of each version, in time order, scored once no file left can hold its rows.

    Without ``version``, a version with files but no row in the range gets no chunks (as
    when a check reads rows: it is not in the window).
    """
    bounds = chunk_bounds(plan)
    references: dict[str, SummaryReference] = {}

    def score(name: str, index: int, summary: ChunkSummary | None) -> WindowResult:
        lower, upper = bounds[index]
        return evaluate_summary(
            monitor, summary, name, window_start=lower, window_end=upper, references=references
        )

    if version is not None and not files:
        yield from (score(version, index, None) for index in range(len(bounds)))
        return
    for name, group in itertools.groupby(files, key=lambda f: f.version):
        ordered = list(group)
        open_chunks: dict[float, ChunkSummary] = {}
        scored = 0
        held: list[WindowResult] = []  # a version's chunks while it has shown no row
        shown = version is not None
        for position, fragment in enumerate(ordered):
            found = next(parts, None)
            if found is None:
                raise DataError(f"the engine gave no summaries for {fragment.path}")
            for _, lower, data in found:
                if scored and lower < bounds[scored - 1][1]:
                    raise DataError(
                        f"{fragment.path}: rows of the chunk from "
                        f"{datetime.fromtimestamp(lower, UTC):%Y-%m-%d %H:%M} in the "
                        f"date={fragment.date} partition, after that chunk was scored: each "
                        "row must be in the partition of its UTC date (monitml.store.partitions)"
                    )
                summary = ChunkSummary.from_bytes(data)
                mine = open_chunks.get(lower)
                open_chunks[lower] = summary if mine is None else mine.merge(summary)
            # Files left hold rows from the next file's date on: chunks ending by then are whole.
            later = ordered[position + 1 :]
            horizon = _midnight(later[0].date) if later else math.inf
            while scored < len(bounds) and bounds[scored][1] <= horizon:
                held.append(score(name, scored, open_chunks.pop(bounds[scored][0], None)))
                scored += 1
            shown = shown or any(result.rows for result in held)
            if shown:
                yield from held
                held = []
        if open_chunks:
            raise DataError(f"parts outside the checked range for version {name}")
