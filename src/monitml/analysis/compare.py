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

from monitml.analysis.performance import performance_section
from monitml.analysis.result import ColumnDrift, DriftReport
from monitml.analysis.tables import chart_data, to_sample
from monitml.errors import DataError
from monitml.schema import ColumnMapping, ColumnSpec, dtype_family, infer_schema
from monitml.stats.quality import categorical_quality, numeric_quality
from monitml.stats.registry import DriftMethod, get_method
from monitml.stats.result import DriftResult
from monitml.stats.samples import CategoricalSample, NumericSample, Sample

__all__ = ["DEFAULT_SHARE_THRESHOLD", "compare"]

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
    if not 0.0 < share_threshold <= 1.0:
        raise DataError(f"share threshold must be in (0, 1], got {share_threshold}")
    common = [name for name in reference.columns if name in current.columns]
    if not common:
        raise DataError("the reference and current data share no column")
    mapping = mapping or ColumnMapping()
    schema = infer_schema(reference, mapping)
    chosen = _choose_methods(schema.columns, method, column_methods or {}, threshold)
    compared = [
        column
        for column in schema.columns
        if column.role in ("feature", "target", "prediction") or column.role in mapping.include_roles
    ]
    if not compared:
        raise DataError("no column left to compare after roles and --ignore")

    def run(column: ColumnSpec) -> _ColumnOutcome:
        return _compare_column(column, reference, current, chosen[column.name])

    cells = (len(reference) + len(current)) * len(compared)
    if cells >= _PARALLEL_MIN_CELLS and (os.cpu_count() or 1) > 1:
        # Sorting and merging release the GIL: columns run side by side on all cores.
        with ThreadPoolExecutor(max_workers=os.cpu_count()) as pool:
            outcomes = list(pool.map(run, compared))
    else:
        outcomes = [run(column) for column in compared]

    issues = [issue for outcome in outcomes for issue in outcome.issues]
    known = {str(name) for name in reference.columns}
    issues += [f"column only in current: '{name}'" for name in current.columns if str(name) not in known]
    return DriftReport(
        columns={outcome.drift.name: outcome.drift for outcome in outcomes},
        share_threshold=share_threshold,
        quality={
            "columns": {outcome.drift.name: outcome.quality for outcome in outcomes},
            "issues": issues,
        },
        performance=performance_section(reference, current, schema, mapping),
        sources={
            "reference": {"rows": len(reference), **dict((sources or {}).get("reference", {}))},
            "current": {"rows": len(current), **dict((sources or {}).get("current", {}))},
        },
        generated_at=datetime.now(UTC).strftime("%Y-%m-%dT%H:%M:%SZ"),
    )


def _choose_methods(
    columns: tuple[ColumnSpec, ...],
    method: str | None,
    column_methods: Mapping[str, str],
    threshold: float | None,
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
        chosen[column.name] = picked
    return chosen


def _compare_column(
    column: ColumnSpec, reference: pd.DataFrame, current: pd.DataFrame, method: DriftMethod
) -> _ColumnOutcome:
    ref_series = reference[column.name]
    ref_family = dtype_family(ref_series)
    if column.kind == "numerical" and ref_family not in ("numeric", "empty"):
        raise DataError(f"column '{column.name}' is {ref_family}, not numerical, in the reference")
    if column.name not in current.columns:
        reason = "column is missing from current"
        return _schema_change(column, to_sample(ref_series, column.kind), None, reason, None)
    cur_series = current[column.name]
    cur_family = dtype_family(cur_series)
    ref_sample = to_sample(ref_series, column.kind)
    if ref_family == "empty" or cur_family == "empty":
        side = "reference" if ref_family == "empty" else "current"
        cur_sample = to_sample(cur_series, column.kind)
        return _schema_change(column, ref_sample, cur_sample, f"column is empty in {side}", None)
    if ref_family != cur_family:
        mismatch = f"{ref_family} in reference, {cur_family} in current"
        reason = f"type changed: {mismatch}"
        return _schema_change(column, ref_sample, None, reason, mismatch, cur_series)
    cur_sample = to_sample(cur_series, column.kind)
    result = method.fit(ref_sample).score(cur_sample, feature=column.name)
    quality = _quality(ref_sample, cur_sample)
    issues = _quality_issues(column.name, quality)
    return _ColumnOutcome(
        ColumnDrift(
            name=column.name,
            kind=column.kind,
            role=column.role,
            result=result,
            reference_count=ref_sample.size,
            reference_missing=ref_sample.missing,
            current_count=cur_sample.size,
            current_missing=cur_sample.missing,
            chart=chart_data(ref_sample, cur_sample),
        ),
        quality,
        issues,
    )


def _schema_change(
    column: ColumnSpec,
    reference: Sample,
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
    cur_missing = current.missing if current is not None else 0
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
        "current": {"count": cur_size, "missing": cur_missing},
    }
    return _ColumnOutcome(
        ColumnDrift(
            name=column.name,
            kind=column.kind,
            role=column.role,
            result=result,
            reference_count=reference.size,
            reference_missing=reference.missing,
            current_count=cur_size,
            current_missing=cur_missing,
        ),
        quality,
        [f"'{column.name}': {reason}"],
    )


def _quality(reference: Sample, current: Sample) -> dict[str, Any]:
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
        issues.append(f"'{name}': {share:.1%} of current values outside the reference range")
    unseen = quality.get("unseen_share") or 0.0
    if unseen > 0:
        issues.append(f"'{name}': {unseen:.1%} of current rows in categories unseen in reference")
    current = quality.get("current", {})
    if (current.get("missing_share") or 0.0) > 0:
        issues.append(f"'{name}': {current['missing_share']:.1%} missing in current")
    return issues
