"""One column compared: its reference fitted, its current scored, its quality checked.

``compare_tables`` and ``Comparator`` both take each column through ``_fit_column`` and
``_score_column``; the monitor's summarised check (``monitml.monitor.summarised``) reuses the
verdict of a column that cannot be compared (``schema_change``) and the quality checks.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, replace
from typing import Any

from monitml.analysis.charts import chart_data
from monitml.analysis.result import ColumnDrift
from monitml.analysis.tables import ColumnValues
from monitml.errors import DataError
from monitml.schema import ColumnSpec
from monitml.stats.quality import categorical_quality, numeric_quality
from monitml.stats.registry import DriftMethod
from monitml.stats.result import DriftResult
from monitml.stats.samples import CategoricalSample, NumericSample, Sample
from monitml.stats.summaries import NumericSummary, summarise_sample
from monitml.stats.summaries.quality import summary_quality


@dataclass(frozen=True, slots=True)
class _ColumnOutcome:
    drift: ColumnDrift
    quality: dict[str, Any]
    issues: list[str]


@dataclass(frozen=True, slots=True)
class _FittedColumn:
    spec: ColumnSpec
    family: str
    sample: Sample | NumericSummary
    method: DriftMethod | None  # None when the reference column is empty


def _fit_column(
    column: ColumnSpec, values: ColumnValues, method: DriftMethod, *, bounded: bool = False
) -> _FittedColumn:
    """The reference column's sample (or, ``bounded``, its summary) and the method fitted."""
    family = values.family()
    if column.kind == "numerical" and family not in ("numeric", "empty"):
        raise DataError(f"column '{column.name}' is {family}, not numerical, in the reference")
    sample = values.sample(column.kind)
    kept: Sample | NumericSummary = sample
    if bounded and isinstance(sample, NumericSample) and sample.size:
        kept = summarise_sample(sample)
    fitted = method.fit(kept) if sample.size else None
    return _FittedColumn(column, family, kept, fitted)


def _score_column(fitted: _FittedColumn, current: ColumnValues | None) -> _ColumnOutcome:
    """One column's drift, quality and issues; ``current`` is ``None`` when it is absent."""
    column, ref_sample = fitted.spec, fitted.sample
    if current is None:
        return schema_change(column, ref_sample, None, "column is missing from current", None)
    cur_family = current.family()
    if fitted.family == "empty" or cur_family == "empty" or fitted.method is None:
        side = "current" if cur_family == "empty" else "reference"
        reason = f"column is empty in {side}"
        cur_sample = current.sample(column.kind)
        return schema_change(column, ref_sample, cur_sample, reason, None)
    if fitted.family != cur_family:
        mismatch = f"{fitted.family} in reference, {cur_family} in current"
        reason = f"type changed: {mismatch}"
        return schema_change(column, ref_sample, None, reason, mismatch, current.counts())
    cur_sample = current.sample(column.kind)
    result = fitted.method.score(cur_sample, feature=column.name)
    quality = column_quality(ref_sample, cur_sample)
    return _ColumnOutcome(
        ColumnDrift.of(column, result, ref_sample, cur_sample, chart_data(ref_sample, cur_sample)),
        quality,
        quality_issues(column.name, quality),
    )


def schema_change(
    column: ColumnSpec,
    reference: Sample | NumericSummary,
    current: Sample | None,
    reason: str,
    mismatch: str | None,
    current_counts: tuple[int, int] | None = None,
) -> _ColumnOutcome:
    """A column that could not be compared; ``current_counts`` (present, missing) stand in
    for a current sample of another type."""
    if current is not None:
        cur_size, cur_missing = current.size, current.missing
    else:
        cur_size, cur_missing = current_counts or (0, 0)
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
    drift = replace(
        ColumnDrift.of(column, result, reference, None),
        current_count=cur_size,
        current_missing=cur_missing,
    )
    return _ColumnOutcome(drift, quality, [f"'{column.name}': {reason}"])


def column_quality(reference: Sample | NumericSummary, current: Sample) -> dict[str, Any]:
    if isinstance(reference, NumericSummary) and isinstance(current, NumericSample):
        return summary_quality(reference, current)
    if isinstance(reference, NumericSample) and isinstance(current, NumericSample):
        return numeric_quality(reference, current)
    if isinstance(reference, CategoricalSample) and isinstance(current, CategoricalSample):
        return categorical_quality(reference, current)
    raise DataError("reference and current samples are of different kinds")


def quality_issues(name: str, quality: Mapping[str, Any]) -> list[str]:
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
