"""From a ``monitml.drift/1`` payload to the display-ready view the templates render.

All formatting and ordering happens here, so templates only place text; every value that may be
missing, null or non-finite in the payload is read through ``format.as_float`` and shows as ``—``.
"""

from __future__ import annotations

import math
import re
import unicodedata
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from monitml.errors import DataError
from monitml.report.charts import Chart, as_list, build_chart
from monitml.report.format import as_float, fmt_count, fmt_number, fmt_pvalue, fmt_share
from monitml.report.performance import PerformanceView, build_performance_view

__all__ = [
    "DRIFT_FORMAT",
    "ColumnView",
    "DriftView",
    "Flag",
    "Side",
    "Stat",
    "build_drift_view",
    "slugify",
]

DRIFT_FORMAT = "monitml.drift/1"


@dataclass(frozen=True, slots=True)
class Side:
    """One of the two compared samples, as the header shows it."""

    rows: str
    source: str


@dataclass(frozen=True, slots=True)
class Stat:
    """One row of a column's reference-against-current statistics table."""

    label: str
    reference: str
    current: str


@dataclass(frozen=True, slots=True)
class Flag:
    """A data-quality finding on a column; ``level`` is ``"bad"`` or ``"warn"``."""

    label: str
    level: str


@dataclass(frozen=True, slots=True)
class ColumnView:
    """One column: its drift verdict, chart, quality statistics and flags."""

    name: str
    slug: str
    kind: str
    role: str
    method: str
    drift_detected: bool
    statistic: str
    p_value: str
    threshold: str
    effect_size: str
    effect_threshold: str
    reason: str
    sort_statistic: float | None
    sort_p_value: float | None
    sort_threshold: float | None
    sort_effect: float | None
    chart: Chart | None
    missing_reference: str
    missing_current: str
    stats: tuple[Stat, ...]
    flags: tuple[Flag, ...]
    unseen: tuple[str, ...]


@dataclass(frozen=True, slots=True)
class DriftView:
    """Everything the drift page shows, formatted and ordered."""

    title: str
    generated_at: str
    dataset_drift: bool
    drift_share: str
    share_threshold: str
    drift_share_percent: float
    threshold_percent: float
    drifted_columns: str
    total_columns: str
    reference: Side
    current: Side
    columns: tuple[ColumnView, ...]
    quality: tuple[ColumnView, ...]
    issues: tuple[str, ...]
    performance: PerformanceView | None


def slugify(name: str, taken: set[str]) -> str:
    """A lowercase ASCII id fragment for ``name``, unique within ``taken`` (which it extends).

    >>> taken = set()
    >>> slugify("Arr Delay", taken), slugify("arr_delay", taken), slugify("<script>", taken)
    ('arr-delay', 'arr-delay-2', 'script')
    """
    ascii_name = unicodedata.normalize("NFKD", name).encode("ascii", "ignore").decode()
    base = re.sub(r"[^a-z0-9]+", "-", ascii_name.lower()).strip("-") or "column"
    slug, n = base, 2
    while slug in taken:
        slug, n = f"{base}-{n}", n + 1
    taken.add(slug)
    return slug


def _mapping(value: Any) -> Mapping[str, Any]:
    return value if isinstance(value, Mapping) else {}


def _text(value: Any) -> str:
    return "" if value is None else str(value)


def _missing(side: Mapping[str, Any]) -> str:
    share = as_float(side.get("missing_share"))
    if share is None:
        count, missing = as_float(side.get("count")), as_float(side.get("missing"))
        if count is not None and missing is not None and count + missing > 0:
            share = missing / (count + missing)
    if side.get("missing") is None:
        return fmt_share(share)
    return f"{fmt_count(side.get('missing'))} ({fmt_share(share)})"


def _level(key: Any) -> float:
    try:
        return float(key)
    except (TypeError, ValueError):
        return math.inf


def _quantile_label(key: str) -> str:
    level = _level(key)
    if not math.isfinite(level):
        return str(key)
    return "Median" if level == 0.5 else f"p{level * 100:g}"


def _stats(kind: str, ref: Mapping[str, Any], cur: Mapping[str, Any]) -> tuple[Stat, ...]:
    rows = [
        Stat("Count", fmt_count(ref.get("count")), fmt_count(cur.get("count"))),
        Stat("Missing", _missing(ref), _missing(cur)),
    ]
    if kind == "categorical":
        if "unique" in ref or "unique" in cur:
            rows.append(Stat("Unique", fmt_count(ref.get("unique")), fmt_count(cur.get("unique"))))
        return tuple(rows)
    ref_q, cur_q = _mapping(ref.get("quantiles")), _mapping(cur.get("quantiles"))
    levels = sorted(set(ref_q) | set(cur_q), key=_level)
    if "min" in ref or "min" in cur:
        rows.append(Stat("Min", fmt_number(ref.get("min")), fmt_number(cur.get("min"))))
    rows += [
        Stat(_quantile_label(k), fmt_number(ref_q.get(k)), fmt_number(cur_q.get(k))) for k in levels
    ]
    for key, label in (("max", "Max"), ("mean", "Mean"), ("std", "Std")):
        if key in ref or key in cur:
            rows.append(Stat(label, fmt_number(ref.get(key)), fmt_number(cur.get(key))))
    return tuple(rows)


def _flags(quality: Mapping[str, Any]) -> tuple[Flag, ...]:
    flags = []
    if as_float(_mapping(quality.get("current")).get("missing_share")) == 1.0:
        flags.append(Flag("empty in current", "bad"))
    if quality.get("type_mismatch"):
        flags.append(Flag(f"type mismatch: {quality['type_mismatch']}", "bad"))
    if quality.get("constant"):
        flags.append(Flag("constant", "warn"))
    out_of_range = as_float(quality.get("out_of_range_share"))
    if out_of_range:
        flags.append(Flag(f"{fmt_share(out_of_range)} out of reference range", "warn"))
    unseen = as_list(quality.get("unseen_categories"))
    if unseen:
        share = as_float(quality.get("unseen_share"))
        noun = "category" if len(unseen) == 1 else "categories"
        suffix = f" ({fmt_share(share)} of rows)" if share is not None else ""
        flags.append(Flag(f"{len(unseen)} unseen {noun}{suffix}", "warn"))
    return tuple(flags)


def _column(
    name: str, drift: Mapping[str, Any], quality: Mapping[str, Any], slug: str, charted: bool
) -> ColumnView:
    kind = _text(drift.get("kind") or quality.get("kind")) or "—"
    ref = _mapping(quality.get("reference")) or _mapping(drift.get("reference"))
    cur = _mapping(quality.get("current")) or _mapping(drift.get("current"))
    reason = _text(drift.get("reason"))
    effect_threshold = as_float(drift.get("effect_threshold"))
    return ColumnView(
        name=name,
        slug=slug,
        kind=kind,
        role=_text(drift.get("role")),
        method=_text(drift.get("method")) or "—",
        drift_detected=bool(drift.get("drift_detected")),
        statistic=fmt_number(drift.get("statistic")),
        p_value=fmt_pvalue(drift.get("p_value")),
        threshold=fmt_number(drift.get("threshold")),
        effect_size=fmt_number(drift.get("effect_size")),
        effect_threshold="" if effect_threshold is None else fmt_number(effect_threshold),
        reason=reason,
        sort_statistic=as_float(drift.get("statistic")),
        sort_p_value=as_float(drift.get("p_value")),
        sort_threshold=as_float(drift.get("threshold")),
        sort_effect=as_float(drift.get("effect_size")),
        chart=build_chart(f"chart-{slug}", name, drift.get("chart"), reason) if charted else None,
        missing_reference=_missing(ref),
        missing_current=_missing(cur),
        stats=_stats(kind, ref, cur),
        flags=_flags(quality),
        unseen=tuple(str(u) for u in as_list(quality.get("unseen_categories"))),
    )


def _severity(item: tuple[str, Mapping[str, Any]]) -> tuple[bool, bool, float, float, str]:
    name, column = item
    drifted = bool(column.get("drift_detected"))
    effect, statistic = as_float(column.get("effect_size")), as_float(column.get("statistic"))
    unscored = effect is None and statistic is None
    # A drifted column without a score is a schema change (e.g. emptied): the most severe, so it
    # leads; an undrifted one has nothing to rank by, so it trails.
    return (
        not drifted,
        not unscored if drifted else unscored,
        -(effect if effect is not None else -math.inf),
        -(statistic if statistic is not None else -math.inf),
        name,
    )


def _side(raw: Any) -> Side:
    side = _mapping(raw)
    return Side(rows=fmt_count(side.get("rows")), source=_text(side.get("source")) or "—")


def _percent(value: Any) -> float:
    share = as_float(value)
    return 0.0 if share is None else round(min(max(share, 0.0), 1.0) * 100, 2)


def build_drift_view(payload: Mapping[str, Any], title: str | None = None) -> DriftView:
    """The view of a ``monitml.drift/1`` payload; raises ``DataError`` for any other format."""
    if not isinstance(payload, Mapping):
        raise DataError(
            f"A drift report needs a mapping payload. Got {type(payload).__name__} instead."
        )
    if payload.get("format") != DRIFT_FORMAT:
        raise DataError(
            f"A drift report needs a payload of format {DRIFT_FORMAT!r}. "
            f"Got {payload.get('format')!r} instead."
        )
    drift_columns = _mapping(payload.get("columns"))
    quality = _mapping(payload.get("quality"))
    quality_columns = _mapping(quality.get("columns"))
    taken: set[str] = set()
    columns = tuple(
        _column(
            str(name),
            _mapping(col),
            _mapping(quality_columns.get(name)),
            slugify(str(name), taken),
            True,
        )
        for name, col in sorted(
            ((str(n), _mapping(c)) for n, c in drift_columns.items()), key=_severity
        )
    )
    by_name = {c.name: c for c in columns}
    quality_only = tuple(
        _column(str(name), {}, _mapping(q), slugify(str(name), taken), False)
        for name, q in quality_columns.items()
        if str(name) not in by_name
    )
    quality_views = (
        tuple(c for c in columns if str(c.name) in {str(n) for n in quality_columns}) + quality_only
    )
    return DriftView(
        title=title or "Data drift report",
        generated_at=_text(payload.get("generated_at")),
        dataset_drift=bool(payload.get("dataset_drift")),
        drift_share=fmt_share(payload.get("drift_share")),
        share_threshold=fmt_share(payload.get("share_threshold")),
        drift_share_percent=_percent(payload.get("drift_share")),
        threshold_percent=_percent(payload.get("share_threshold")),
        drifted_columns=fmt_count(payload.get("drifted_columns")),
        total_columns=fmt_count(payload.get("total_columns")),
        reference=_side(payload.get("reference")),
        current=_side(payload.get("current")),
        columns=columns,
        quality=quality_views,
        issues=tuple(str(issue) for issue in as_list(quality.get("issues"))),
        performance=build_performance_view(payload.get("performance")),
    )
