"""From :class:`PeriodResults` to the text the period report shows: verdict, tables, labels.

Drift is compared across methods as a *ratio* to the column's threshold, so that 1 is the line
between "no drift" and "drift" whatever the method: ``statistic / threshold`` for a distance,
``α / p-value`` for a test, and when the rule also needs an effect, the smaller of that and
``effect / effect threshold`` (both must reach 1 for the verdict to be drift).
"""

from __future__ import annotations

import math
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

from monitml.report.format import as_float, fmt_count, fmt_number, fmt_pvalue, fmt_share
from monitml.report.performance import PerformanceView, build_performance_view
from monitml.report.period import PeriodResults, VersionPeriod
from monitml.report.view import slugify

__all__ = [
    "AlertRow",
    "DriftRow",
    "MultivariateRow",
    "PeriodView",
    "VersionView",
    "build_period_view",
    "chunk_label",
    "chunk_text",
    "drift_ratio",
    "feature_columns",
]

_DAY = 86_400.0


def drift_ratio(column: Mapping[str, Any]) -> float | None:
    """A drift payload column's margin over its threshold: ≥ 1 means drifted.

    >>> drift_ratio({"statistic": 0.2, "p_value": None, "threshold": 0.1})
    2.0
    >>> test = {"p_value": 0.02, "threshold": 0.01, "effect_size": 0.3, "effect_threshold": 0.1}
    >>> drift_ratio(test)
    0.5
    """
    statistic = as_float(column.get("statistic"))
    p_value = as_float(column.get("p_value"))
    threshold = as_float(column.get("threshold"))
    if threshold is None:
        return None
    ratios = []
    if p_value is not None:
        ratios.append(threshold / p_value if p_value > 0 else math.inf)
    elif statistic is not None and threshold > 0:
        ratios.append(statistic / threshold)
    else:
        return None
    effect, floor = as_float(column.get("effect_size")), as_float(column.get("effect_threshold"))
    if effect is not None and floor:
        ratios.append(effect / floor)
    return min(ratios)


def feature_columns(result: Mapping[str, Any]) -> dict[str, Mapping[str, Any]]:
    """The feature columns of a chunk's (or the period's) drift payload."""
    drift = result.get("drift") or {}
    columns = drift.get("columns") or {}
    return {str(n): c for n, c in columns.items() if c.get("role", "feature") == "feature"}


def chunk_label(result: Mapping[str, Any], chunk: str) -> str:
    """The start of a chunk as a date (daily or longer chunks) or a date and time."""
    start = as_float(result.get("window_start")) or 0.0
    moment = datetime.fromtimestamp(start, UTC)
    try:
        daily = float(chunk.removesuffix("s")) >= _DAY
    except ValueError:  # row counts have times; calendar months ("1mo") have dates
        daily = not chunk.endswith("rows")
    return moment.strftime("%Y-%m-%d" if daily else "%Y-%m-%d %H:%M")


def chunk_text(chunk: str) -> str:
    """A chunk size as people write it.

    >>> chunk_text("604800s"), chunk_text("3600s"), chunk_text("90s"), chunk_text("500rows")
    ('7d', '1h', '90s', '500 rows')
    """
    if chunk.endswith("rows"):
        return f"{chunk[:-4]} rows"
    try:
        seconds = float(chunk.removesuffix("s"))
    except ValueError:
        return chunk
    for unit, size in (("d", _DAY), ("h", 3_600.0), ("m", 60.0)):
        if seconds >= size and seconds % size == 0:
            return f"{seconds / size:g}{unit}"
    return f"{seconds:g}s"


def _when(seconds: Any) -> str:
    value = as_float(seconds)
    if value is None:
        return "—"
    return datetime.fromtimestamp(value, UTC).strftime("%Y-%m-%d %H:%M UTC")


@dataclass(frozen=True, slots=True)
class DriftRow:
    """One feature of the period's drift table."""

    feature: str
    slug: str
    kind: str
    method: str
    statistic: str
    p_value: str
    threshold: str
    ratio: str
    sort_ratio: float | None
    drifted: bool
    chunks_drifted: str


@dataclass(frozen=True, slots=True)
class AlertRow:
    """An alert of the period: a stored alert event or a rule that held on a chunk."""

    when: str
    source: str
    rule: str
    version: str
    state: str
    detail: str


@dataclass(frozen=True, slots=True)
class MultivariateRow:
    """One multivariate method over the period, and in how many chunks it found drift."""

    method: str
    statistic: str
    threshold: str
    drifted: bool
    chunks_drifted: str


@dataclass(frozen=True, slots=True)
class VersionView:
    """One version's headline figures and drift table."""

    version: str
    slug: str
    rows: str
    labelled: str
    dataset_drift: bool
    drift_share: str
    chunks: int
    chunks_drifted: int
    chunks_insufficient: int
    drift_rows: tuple[DriftRow, ...]
    performance: PerformanceView | None
    multivariate: tuple[MultivariateRow, ...] = ()


@dataclass(frozen=True, slots=True)
class PeriodView:
    """Everything the period page shows as text."""

    title: str
    model: str
    period: str
    chunk: str
    generated_at: str
    verdict: str
    alarming: bool
    versions: tuple[VersionView, ...]
    alerts: tuple[AlertRow, ...]
    features: tuple[tuple[str, str], ...]  # (name, slug)


def _drift_rows(entry: VersionPeriod, slugs: Mapping[str, str]) -> tuple[DriftRow, ...]:
    chunk_columns = [feature_columns(c) for c in entry.chunks]
    rows = []
    for name, column in feature_columns(entry.overall).items():
        ratio = drift_ratio(column)
        scored = [c[name] for c in chunk_columns if name in c]
        drifted_chunks = sum(bool(c.get("drift_detected")) for c in scored)
        rows.append(
            DriftRow(
                feature=name,
                slug=slugs[name],
                kind=str(column.get("kind") or "—"),
                method=str(column.get("method") or "—"),
                statistic=fmt_number(column.get("statistic")),
                p_value=fmt_pvalue(column.get("p_value")),
                threshold=fmt_number(column.get("threshold")),
                ratio="∞" if ratio == math.inf else fmt_number(ratio),
                sort_ratio=ratio,
                drifted=bool(column.get("drift_detected")),
                chunks_drifted=f"{drifted_chunks}/{len(scored)}",
            )
        )
    rows.sort(key=lambda r: (not r.drifted, -(r.sort_ratio or 0.0), r.feature))
    return tuple(rows)


_MULTIVARIATE_NAMES = {"pca": "PCA reconstruction", "classifier": "domain classifier"}


def _multivariate_rows(entry: VersionPeriod) -> tuple[MultivariateRow, ...]:
    """The period's multivariate verdicts (``monitor.multivariate``); none when it was off."""
    overall = (entry.overall.get("drift") or {}).get("multivariate") or {}
    sections = [((c.get("drift") or {}).get("multivariate") or {}) for c in entry.chunks]
    rows = []
    for method, result in overall.items():
        scored = [s[method] for s in sections if isinstance(s.get(method), Mapping)]
        drifted = sum(bool(r.get("drift_detected")) for r in scored)
        rows.append(
            MultivariateRow(
                method=_MULTIVARIATE_NAMES.get(str(method), str(method)),
                statistic=fmt_number(result.get("statistic")),
                threshold=fmt_number(result.get("threshold")),
                drifted=bool(result.get("drift_detected")),
                chunks_drifted=f"{drifted}/{len(scored)}",
            )
        )
    return tuple(rows)


def _version_view(entry: VersionPeriod, slugs: Mapping[str, str], taken: set[str]) -> VersionView:
    overall = entry.overall
    drift = overall.get("drift") or {}
    drifted = sum(bool((c.get("drift") or {}).get("dataset_drift")) for c in entry.chunks)
    insufficient = sum(c.get("drift") is None for c in entry.chunks)
    return VersionView(
        version=entry.version,
        slug=slugify(f"v-{entry.version}", taken),
        rows=fmt_count(overall.get("rows")),
        labelled=fmt_count(overall.get("labelled_rows")),
        dataset_drift=bool(drift.get("dataset_drift")),
        drift_share=fmt_share(drift.get("drift_share")) if drift else "—",
        chunks=len(entry.chunks),
        chunks_drifted=drifted,
        chunks_insufficient=insufficient,
        drift_rows=_drift_rows(entry, slugs),
        performance=build_performance_view(drift.get("performance"))
        if overall.get("labelled_rows")
        else None,
        multivariate=_multivariate_rows(entry),
    )


def _alerts(results: PeriodResults) -> tuple[AlertRow, ...]:
    rows = []
    for event in results.alert_events:
        value = as_float(event.get("value"))
        rows.append(
            AlertRow(
                when=_when(event.get("starts_at")),
                source="monitor",
                rule=str(event.get("rule")),
                version=str(event.get("version") or "—"),
                state=str(event.get("state")),
                detail="" if value is None else f"value {fmt_number(value)}",
            )
        )
    for entry in results.versions:
        for chunk in entry.chunks:
            for rule in chunk.get("alerts") or []:
                rows.append(
                    AlertRow(
                        when=_when(chunk.get("window_start")),
                        source="check",
                        rule=str(rule),
                        version=entry.version,
                        state="held on chunk",
                        detail=f"chunk {chunk_label(chunk, results.chunk)}, "
                        f"{fmt_count(chunk.get('rows'))} rows",
                    )
                )
    return tuple(rows)


def _verdict(results: PeriodResults, versions: Sequence[VersionView], alerts: int) -> str:
    if not versions:
        return f"No predictions of {results.model} in this period."
    parts = []
    for v in versions:
        if v.rows == "0":
            parts.append(f"{v.version}: no predictions")
            continue
        state = "dataset drift over the period" if v.dataset_drift else "no dataset drift"
        text = f"{v.version}: {state}, drift in {v.chunks_drifted} of {v.chunks} chunks"
        multivariate = [r.method for r in v.multivariate if r.drifted]
        if multivariate:
            text += f", multivariate drift ({', '.join(multivariate)})"
        parts.append(text)
    noun = "alert" if alerts == 1 else "alerts"
    return " · ".join(parts) + f" · {alerts} {noun}"


def build_period_view(results: PeriodResults, title: str | None = None) -> PeriodView:
    """The text of the period report of ``results``."""
    taken: set[str] = set()
    names = list(
        dict.fromkeys(n for entry in results.versions for n in feature_columns(entry.overall))
    )
    slugs = {name: slugify(name, taken) for name in names}
    versions = tuple(_version_view(entry, slugs, taken) for entry in results.versions)
    alerts = _alerts(results)
    alarming = bool(alerts) or any(
        v.dataset_drift or v.chunks_drifted or any(r.drifted for r in v.multivariate)
        for v in versions
    )
    return PeriodView(
        title=title or f"Monitoring report: {results.model}",
        model=results.model,
        period=f"{_when(results.start)} – {_when(results.end)}",
        chunk=chunk_text(results.chunk),
        generated_at=_when(results.generated_at),
        verdict=_verdict(results, versions, len(alerts)),
        alarming=alarming,
        versions=versions,
        alerts=alerts,
        features=tuple((name, slugs[name]) for name in names),
    )
