"""Compare a current data set with a reference: drift, data quality and performance.

This is the Python API behind ``monitml drift``::

    report = compare(reference_df, current_df)
    report.dataset_drift, report.to_json(), report.save_html("drift.html")
"""

from __future__ import annotations

import os
from collections.abc import Mapping
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

import pandas as pd

from monitml.analysis.performance import PerformanceSpec
from monitml.analysis.result import ColumnDrift, DriftReport
from monitml.analysis.tables import chart_data, to_sample
from monitml.errors import DataError
from monitml.schema import ColumnMapping, ColumnSpec, dtype_family, infer_schema
from monitml.stats.catalog import get_method
from monitml.stats.quality import categorical_quality, numeric_quality
from monitml.stats.registry import DriftMethod
from monitml.stats.result import DriftResult
from monitml.stats.samples import CategoricalSample, NumericSample, Sample
from monitml.stats.summaries import NumericSummary, summarise_sample
from monitml.stats.summaries.quality import summary_quality

__all__ = ["DEFAULT_SHARE_THRESHOLD", "Comparator", "compare"]

DEFAULT_SHARE_THRESHOLD = 0.5
# Below this many cells the thread pool costs more than it saves.
_PARALLEL_MIN_CELLS = 2_000_000


@dataclass(frozen=True, slots=True)
class _ColumnOutcome:
    drift: ColumnDrift
    quality: dict[str, Any]
    issues: list[str]


def compare(
    reference: pd.DataFrame,
    current: pd.DataFrame,
    *,
    mapping: ColumnMapping | None = None,
    method: str | None = None,
    column_methods: Mapping[str, str] | None = None,
    threshold: float | None = None,
    share_threshold: float = DEFAULT_SHARE_THRESHOLD,
    sources: Mapping[str, Any] | None = None,
) -> DriftReport:
    """Compare ``current`` with ``reference`` column by column.

    ``method`` applies to every column whose kind it supports (others keep the default
    rule); ``column_methods`` names a method per column and must fit that column's kind.
    """
    common = [name for name in reference.columns if name in current.columns]
    if not common:
        raise DataError("the reference and current data share no column")
    comparator = Comparator(
        reference,
        mapping=mapping,
        method=method,
        column_methods=column_methods,
        threshold=threshold,
        share_threshold=share_threshold,
    )
    return comparator.compare(current, sources=sources)


class Comparator:
    """A reference summarised once, against which any number of data sets are compared.

    The monitor keeps one per model and scores each window with it: sorting the reference
    and fitting the methods happens once, not per window. With ``bounded_reference_rows``
    set, a reference longer than that keeps each numerical column as a mergeable summary
    (``monitml.stats.summaries``: tens of KB) instead of its sorted values; drift, quality
    and charts then come from the summary, exactly or within its stated error.
    """

    def __init__(
        self,
        reference: pd.DataFrame,
        *,
        mapping: ColumnMapping | None = None,
        method: str | None = None,
        column_methods: Mapping[str, str] | None = None,
        threshold: float | None = None,
        column_thresholds: Mapping[str, float] | None = None,
        share_threshold: float = DEFAULT_SHARE_THRESHOLD,
        bounded_reference_rows: int | None = None,
    ) -> None:
        if not 0.0 < share_threshold <= 1.0:
            raise DataError(f"share threshold must be in (0, 1], got {share_threshold}")
        self.mapping = mapping or ColumnMapping()
        self.share_threshold = share_threshold
        self.schema_ = infer_schema(reference, self.mapping)
        included = ("feature", "target", "prediction", *self.mapping.include_roles)
        self.columns_ = [column for column in self.schema_.columns if column.role in included]
        if not self.columns_:
            raise DataError("no column left to compare after roles and --ignore")
        self.reference_rows_ = len(reference)
        methods = _choose_methods(
            tuple(self.columns_), method, column_methods or {}, threshold, column_thresholds or {}
        )
        self.references_: dict[str, _FittedColumn] = {}
        for column in self.columns_:
            series = reference[column.name]
            family = dtype_family(series)
            if column.kind == "numerical" and family not in ("numeric", "empty"):
                raise DataError(
                    f"column '{column.name}' is {family}, not numerical, in the reference"
                )
            sample = to_sample(series, column.kind)
            kept: Sample | NumericSummary = sample
            bounded = bounded_reference_rows is not None and len(reference) > bounded_reference_rows
            if bounded and isinstance(sample, NumericSample) and sample.size:
                kept = summarise_sample(sample)
            fitted = methods[column.name].fit(kept) if sample.size else None
            self.references_[column.name] = _FittedColumn(column, family, kept, fitted)
        self.performance_ = PerformanceSpec.from_reference(reference, self.schema_, self.mapping)

    def compare(
        self, current: pd.DataFrame, *, sources: Mapping[str, Any] | None = None
    ) -> DriftReport:
        """Drift, quality and performance of ``current`` against the fitted reference."""
        fitted = list(self.references_.values())

        def run(column: _FittedColumn) -> _ColumnOutcome:
            return _compare_column(column, current)

        cells = (self.reference_rows_ + len(current)) * len(fitted)
        if cells >= _PARALLEL_MIN_CELLS and (os.cpu_count() or 1) > 1:
            # Sorting and merging release the GIL: columns run side by side on all cores.
            with ThreadPoolExecutor(max_workers=os.cpu_count()) as pool:
                outcomes = list(pool.map(run, fitted))
        else:
            outcomes = [run(column) for column in fitted]

        issues = [issue for outcome in outcomes for issue in outcome.issues]
        known = {column.name for column in self.schema_.columns} | set(self.mapping.ignore)
        issues += [
            f"column only in current: '{name}'"
            for name in current.columns
            if str(name) not in known
        ]
        return DriftReport(
            columns={outcome.drift.name: outcome.drift for outcome in outcomes},
            share_threshold=self.share_threshold,
            quality={
                "columns": {outcome.drift.name: outcome.quality for outcome in outcomes},
                "issues": issues,
            },
            performance=self.performance_.section(current) if self.performance_ else None,
            sources={
                "reference": {
                    "rows": self.reference_rows_,
                    **dict((sources or {}).get("reference", {})),
                },
                "current": {"rows": len(current), **dict((sources or {}).get("current", {}))},
            },
            generated_at=datetime.now(UTC).strftime("%Y-%m-%dT%H:%M:%SZ"),
        )


@dataclass(frozen=True, slots=True)
class _FittedColumn:
    spec: ColumnSpec
    family: str
    sample: Sample | NumericSummary
    method: DriftMethod | None  # None when the reference column is empty


def _choose_methods(
    columns: tuple[ColumnSpec, ...],
    method: str | None,
    column_methods: Mapping[str, str],
    threshold: float | None,
    column_thresholds: Mapping[str, float],
) -> dict[str, DriftMethod]:
    names = {column.name for column in columns}
    unknown = sorted(set(column_methods) - names)
    if unknown:
        raise DataError(f"unknown column(s) in --method: {', '.join(unknown)}")
    global_method = get_method(method, threshold) if method else None
    chosen: dict[str, DriftMethod] = {}
    for column in columns:
        if column.name in column_methods:
            picked = get_method(column_methods[column.name], threshold)
            if column.kind not in picked.kinds:
                raise DataError(
                    f"method '{picked.key}' does not work on {column.kind} column '{column.name}'"
                )
        elif global_method is not None and column.kind in global_method.kinds:
            picked = get_method(global_method.key, threshold)
        else:
            picked = get_method("auto", threshold if global_method is None else None)
        if column.name in column_thresholds:
            picked.threshold = column_thresholds[column.name]
        chosen[column.name] = picked
    return chosen


def _compare_column(fitted: _FittedColumn, current: pd.DataFrame) -> _ColumnOutcome:
    column, ref_sample = fitted.spec, fitted.sample
    if column.name not in current.columns:
        return _schema_change(column, ref_sample, None, "column is missing from current", None)
    cur_series = current[column.name]
    cur_family = dtype_family(cur_series)
    if fitted.family == "empty" or cur_family == "empty" or fitted.method is None:
        side = "current" if cur_family == "empty" else "reference"
        reason = f"column is empty in {side}"
        cur_sample = to_sample(cur_series, column.kind)
        return _schema_change(column, ref_sample, cur_sample, reason, None)
    if fitted.family != cur_family:
        mismatch = f"{fitted.family} in reference, {cur_family} in current"
        reason = f"type changed: {mismatch}"
        return _schema_change(column, ref_sample, None, reason, mismatch, cur_series)
    cur_sample = to_sample(cur_series, column.kind)
    result = fitted.method.score(cur_sample, feature=column.name)
    quality = _quality(ref_sample, cur_sample)
    return _ColumnOutcome(
        ColumnDrift.of(column, result, ref_sample, cur_sample, chart_data(ref_sample, cur_sample)),
        quality,
        _quality_issues(column.name, quality),
    )


def _schema_change(
    column: ColumnSpec,
    reference: Sample | NumericSummary,
    current: Sample | None,
    reason: str,
    mismatch: str | None,
    current_series: pd.Series | None = None,
) -> _ColumnOutcome:
    if current is None and current_series is not None:
        current = CategoricalSample.from_counts(
            current_series.dropna().astype(str).value_counts().to_dict(),
            int(current_series.isna().sum()),
        )
    cur_size = current.size if current is not None else 0
    result = DriftResult(
        feature=column.name,
        method="schema",
        kind=column.kind,
        statistic=None,
        p_value=None,
        threshold=None,
        drift_detected=True,
        reference_size=reference.size,
        current_size=cur_size,
        reason=reason,
    )
    quality: dict[str, Any] = {
        "kind": column.kind,
        "type_mismatch": mismatch,
        "reference": {"count": reference.size, "missing": reference.missing},
        "current": {"count": cur_size, "missing": current.missing if current is not None else 0},
    }
    return _ColumnOutcome(
        ColumnDrift.of(column, result, reference, current), quality, [f"'{column.name}': {reason}"]
    )


def _quality(reference: Sample | NumericSummary, current: Sample) -> dict[str, Any]:
    if isinstance(reference, NumericSummary) and isinstance(current, NumericSample):
        return summary_quality(reference, current)
    if isinstance(reference, NumericSample) and isinstance(current, NumericSample):
        return numeric_quality(reference, current)
    if isinstance(reference, CategoricalSample) and isinstance(current, CategoricalSample):
        return categorical_quality(reference, current)
    raise DataError("reference and current samples are of different kinds")


def _quality_issues(name: str, quality: Mapping[str, Any]) -> list[str]:
    issues: list[str] = []
    if quality.get("constant"):
        issues.append(f"'{name}': constant column")
    share = quality.get("out_of_range_share") or 0.0
    if share > 0:
        issues.append(f"'{name}': {_percent(share)} of current values outside the reference range")
    unseen = quality.get("unseen_share") or 0.0
    if unseen > 0:
        issues.append(
            f"'{name}': {_percent(unseen)} of current rows in categories unseen in reference"
        )
    current = quality.get("current", {})
    if (current.get("missing_share") or 0.0) > 0:
        issues.append(f"'{name}': {_percent(current['missing_share'])} missing in current")
    return issues


def _percent(share: float) -> str:
    """``0.0003`` → ``0.03%``: a small share must not read as zero."""
    return f"{100 * share:.2g}%"
