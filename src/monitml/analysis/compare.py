"""Compare a current data set with a reference: drift, data quality and performance.

This is the Python API behind ``monitml drift``::

    report = compare(reference_df, current_df)
    report.dataset_drift, report.to_json(), report.save_html("drift.html")

A single comparison (``compare``, ``compare_tables``) goes column by column: a column's
reference and current values are read, compared and dropped before the next, so its memory is
that of the columns in flight, not of both data sets. ``Comparator`` keeps a fitted reference
for any number of comparisons (the monitor). Both take each column through the same
``_fit_column`` and ``_score_column``, so they give the same report.
"""

from __future__ import annotations

import os
from collections.abc import Callable, Hashable, Iterable, Mapping, Sequence
from concurrent.futures import ThreadPoolExecutor
from datetime import UTC, datetime
from typing import TYPE_CHECKING, Any, TypeVar

from monitml.analysis.column import (
    _ColumnOutcome,
    _fit_column,
    _FittedColumn,
    _score_column,
)
from monitml.analysis.result import DriftReport
from monitml.analysis.tables import ColumnTable, FrameTable, SeriesValues
from monitml.errors import DataError
from monitml.schema import ColumnMapping, ColumnSpec, Schema, infer_schema, infer_schema_of
from monitml.stats.catalog import get_method
from monitml.stats.registry import DriftMethod

if TYPE_CHECKING:
    import pandas as pd

    from monitml.analysis.performance import PerformanceSpec

__all__ = ["DEFAULT_SHARE_THRESHOLD", "Comparator", "compare", "compare_tables"]

DEFAULT_SHARE_THRESHOLD = 0.5
# Below this many cells the thread pool costs more than it saves.
_PARALLEL_MIN_CELLS = 2_000_000

_Item = TypeVar("_Item")
_Outcome = TypeVar("_Outcome")


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
    return compare_tables(
        FrameTable(reference),
        FrameTable(current),
        mapping=mapping,
        method=method,
        column_methods=column_methods,
        threshold=threshold,
        share_threshold=share_threshold,
        sources=sources,
    )


def compare_tables(
    reference: ColumnTable,
    current: ColumnTable,
    *,
    mapping: ColumnMapping | None = None,
    method: str | None = None,
    column_methods: Mapping[str, str] | None = None,
    threshold: float | None = None,
    share_threshold: float = DEFAULT_SHARE_THRESHOLD,
    sources: Mapping[str, Any] | None = None,
) -> DriftReport:
    """:func:`compare` of any two tables (DataFrames, Parquet files), one column at a time."""
    if not any(name in current for name in reference.names):
        raise DataError("the reference and current data share no column")
    _check_share_threshold(share_threshold)
    mapping = mapping or ColumnMapping()
    schema = infer_schema_of(reference.names, reference.facts, mapping)
    columns = _compared_columns(schema, mapping)
    methods = _choose_methods(
        tuple(columns), method, column_methods or {}, threshold, column_thresholds={}
    )

    def run(column: ColumnSpec) -> _ColumnOutcome:
        # Popped, so the fitted method (it holds the reference sample) goes with the column.
        method = methods.pop(column.name)
        fitted = _fit_column(column, reference.values(column.name), method)
        present = column.name in current
        return _score_column(fitted, current.values(column.name) if present else None)

    outcomes = _each(run, columns, (len(reference) + len(current)) * len(columns))
    performance = None
    if mapping.target is not None and mapping.prediction is not None:
        wanted = [mapping.target, mapping.prediction]
        spec = _performance(reference.frame(wanted), schema, mapping)
        performance = spec.section(current.frame(wanted)) if spec else None
    return _report(
        outcomes,
        schema,
        mapping,
        share_threshold,
        performance,
        rows=(len(reference), len(current)),
        current_names=current.names,
        sources=sources,
    )


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
        _check_share_threshold(share_threshold)
        self.mapping = mapping or ColumnMapping()
        self.share_threshold = share_threshold
        self.schema_ = infer_schema(reference, self.mapping)
        self.columns_ = _compared_columns(self.schema_, self.mapping)
        self.reference_rows_ = len(reference)
        methods = _choose_methods(
            tuple(self.columns_), method, column_methods or {}, threshold, column_thresholds or {}
        )
        bounded = bounded_reference_rows is not None and len(reference) > bounded_reference_rows
        self.references_: dict[str, _FittedColumn] = {}
        for column in self.columns_:
            values = SeriesValues(reference[column.name])
            fitted = _fit_column(column, values, methods[column.name], bounded=bounded)
            self.references_[column.name] = fitted
        self.performance_ = _performance(reference, self.schema_, self.mapping)

    def compare(
        self, current: pd.DataFrame, *, sources: Mapping[str, Any] | None = None
    ) -> DriftReport:
        """Drift, quality and performance of ``current`` against the fitted reference."""
        fitted = list(self.references_.values())

        def run(column: _FittedColumn) -> _ColumnOutcome:
            present = column.spec.name in current.columns
            values = SeriesValues(current[column.spec.name]) if present else None
            return _score_column(column, values)

        outcomes = _each(run, fitted, (self.reference_rows_ + len(current)) * len(fitted))
        return _report(
            outcomes,
            self.schema_,
            self.mapping,
            self.share_threshold,
            self.performance_.section(current) if self.performance_ else None,
            rows=(self.reference_rows_, len(current)),
            current_names=current.columns,
            sources=sources,
        )


def _check_share_threshold(share_threshold: float) -> None:
    if not 0.0 < share_threshold <= 1.0:
        raise DataError(f"share threshold must be in (0, 1], got {share_threshold}")


def _compared_columns(schema: Schema, mapping: ColumnMapping) -> list[ColumnSpec]:
    included = ("feature", "target", "prediction", *mapping.include_roles)
    columns = [column for column in schema.columns if column.role in included]
    if not columns:
        raise DataError("no column left to compare after roles and --ignore")
    return columns


def _performance(
    reference: pd.DataFrame, schema: Schema, mapping: ColumnMapping
) -> PerformanceSpec | None:
    if mapping.target is None or mapping.prediction is None:
        return None
    from monitml.analysis.performance import PerformanceSpec  # noqa: PLC0415  # needs pandas

    return PerformanceSpec.from_reference(reference, schema, mapping)


def _each(run: Callable[[_Item], _Outcome], items: Sequence[_Item], cells: int) -> list[_Outcome]:
    """``run`` on every item, in order; side by side on all cores for a large comparison."""
    if cells >= _PARALLEL_MIN_CELLS and (os.cpu_count() or 1) > 1:
        # Reading, sorting and merging release the GIL: columns run side by side.
        with ThreadPoolExecutor(max_workers=os.cpu_count()) as pool:
            return list(pool.map(run, items))
    return [run(item) for item in items]


def _report(
    outcomes: list[_ColumnOutcome],
    schema: Schema,
    mapping: ColumnMapping,
    share_threshold: float,
    performance: dict[str, Any] | None,
    *,
    rows: tuple[int, int],
    current_names: Iterable[Hashable],
    sources: Mapping[str, Any] | None,
) -> DriftReport:
    issues = [issue for outcome in outcomes for issue in outcome.issues]
    known = {column.name for column in schema.columns} | set(mapping.ignore)
    issues += [
        f"column only in current: '{name}'" for name in current_names if str(name) not in known
    ]
    given = sources or {}
    return DriftReport(
        columns={outcome.drift.name: outcome.drift for outcome in outcomes},
        share_threshold=share_threshold,
        quality={
            "columns": {outcome.drift.name: outcome.quality for outcome in outcomes},
            "issues": issues,
        },
        performance=performance,
        sources={
            "reference": {"rows": rows[0], **dict(given.get("reference", {}))},
            "current": {"rows": rows[1], **dict(given.get("current", {}))},
        },
        generated_at=datetime.now(UTC).strftime("%Y-%m-%dT%H:%M:%SZ"),
    )


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
