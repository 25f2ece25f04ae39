"""The period report's "Why" section, from the ``explanation`` of each chunk payload.

Per version: the period's own explanation (features ranked by impact: drift score x share of
the model's importance), one line per chunk (its summary and the segments that moved), and the
performance of each configured segment column chunk by chunk (``segments:`` in the model's
config). Built from JSON payloads only, as the rest of the report; a payload without an
explanation (an older result, a chunk too small to judge) shows as a dash.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from monitml.report.format import as_float, fmt_count, fmt_number, fmt_share
from monitml.report.period import PeriodResults, VersionPeriod
from monitml.report.period_view import chunk_label

__all__ = [
    "ChunkWhy",
    "ImpactRow",
    "SegmentTable",
    "VersionWhy",
    "build_explanations",
    "move_text",
]

TOP_IMPACT_ROWS = 10
MAX_SEGMENT_ROWS = 15  # segments shown per column: the largest ones
_SIGNALS = {
    "prediction": "prediction mean",
    "error": "error",
    "estimated_error": "estimated error",
}
_METRICS = {"mae": "MAE", "accuracy": "accuracy"}


@dataclass(frozen=True, slots=True)
class ImpactRow:
    feature: str
    drift_score: str
    importance: str
    impact: str
    drifted: bool


@dataclass(frozen=True, slots=True)
class ChunkWhy:
    chunk: str
    rows: str
    summary: str
    moves: tuple[str, ...]


@dataclass(frozen=True, slots=True)
class SegmentTable:
    """One segment column: a row per segment, a cell per chunk (realised, else estimated)."""

    column: str
    metric: str
    chunks: tuple[str, ...]
    rows: tuple[tuple[str, tuple[str, ...]], ...]
    reference: tuple[str, ...]  # the metric on the reference's rows of each segment


@dataclass(frozen=True, slots=True)
class VersionWhy:
    version: str
    summary: str
    weighted: bool  # ranked with the model's importance (else by drift alone)
    impact: tuple[ImpactRow, ...]
    chunks: tuple[ChunkWhy, ...]
    segments: tuple[SegmentTable, ...]


def _explanation(payload: Mapping[str, Any]) -> Mapping[str, Any] | None:
    found = payload.get("explanation")
    return found if isinstance(found, Mapping) else None


def move_text(move: Mapping[str, Any]) -> str:
    """``neighborhood=Edwards: prediction mean -38% (typical neighborhood -2%), 110 rows``."""
    change, typical = as_float(move.get("change")), as_float(move.get("typical_change"))
    signal = _SIGNALS.get(str(move.get("signal")), str(move.get("signal")))
    column = move.get("column")
    text = f"{column}={move.get('segment')}: {signal} "
    text += "—" if change is None else f"{change:+.0%}"
    if typical is not None:
        text += f" (typical {column} {typical:+.0%})"
    return f"{text}, {fmt_count(move.get('current_rows'))} rows"


def _impact_rows(explanation: Mapping[str, Any]) -> tuple[ImpactRow, ...]:
    rows = []
    for entry in list(explanation.get("features") or [])[:TOP_IMPACT_ROWS]:
        importance = entry.get("importance")
        rows.append(
            ImpactRow(
                feature=str(entry.get("feature")),
                drift_score=fmt_number(entry.get("drift_score")),
                importance="—" if importance is None else fmt_share(importance),
                impact=fmt_number(entry.get("impact")),
                drifted=bool(entry.get("drift_detected")),
            )
        )
    return tuple(rows)


def _cell(segment: Mapping[str, Any] | None) -> str:
    if segment is None:
        return "—"
    value = segment.get("value")
    if isinstance(value, int | float):
        return fmt_number(value)
    estimated = segment.get("estimated")
    return f"est. {fmt_number(estimated)}" if isinstance(estimated, int | float) else "—"


def _segment_tables(entry: VersionPeriod, chunk: str) -> tuple[SegmentTable, ...]:
    explained = [(c, _explanation(c)) for c in entry.chunks]
    columns: dict[str, str] = {}
    for _, explanation in explained:
        for name, table in ((explanation or {}).get("segment_performance") or {}).items():
            columns.setdefault(str(name), str(table.get("metric") or ""))
    overall = (_explanation(entry.overall) or {}).get("segment_performance") or {}
    tables = []
    for name, metric in columns.items():
        by_chunk: list[dict[str, Mapping[str, Any]]] = []
        sizes: dict[str, int] = {}
        for _, explanation in explained:
            table = ((explanation or {}).get("segment_performance") or {}).get(name) or {}
            segments = {str(s.get("segment")): s for s in table.get("segments") or []}
            for label, segment in segments.items():
                sizes[label] = sizes.get(label, 0) + int(segment.get("rows") or 0)
            by_chunk.append(segments)
        shown = sorted(sizes, key=lambda label: (-sizes[label], label))[:MAX_SEGMENT_ROWS]
        whole = {str(s.get("segment")): s for s in (overall.get(name) or {}).get("segments") or []}
        tables.append(
            SegmentTable(
                column=name,
                metric=_METRICS.get(metric, metric),
                chunks=tuple(chunk_label(c, chunk) for c, _ in explained),
                rows=tuple(
                    (label, tuple(_cell(segments.get(label)) for segments in by_chunk))
                    for label in shown
                ),
                reference=tuple(
                    fmt_number((whole.get(label) or {}).get("reference")) for label in shown
                ),
            )
        )
    return tuple(tables)


def _chunks(entry: VersionPeriod, chunk: str) -> tuple[ChunkWhy, ...]:
    rows = []
    for payload in entry.chunks:
        explanation = _explanation(payload)
        rows.append(
            ChunkWhy(
                chunk=chunk_label(payload, chunk),
                rows=fmt_count(payload.get("rows")),
                summary=str(explanation.get("summary")) if explanation else "—",
                moves=tuple(move_text(m) for m in (explanation or {}).get("segments") or []),
            )
        )
    return tuple(rows)


def _version(entry: VersionPeriod, chunk: str) -> VersionWhy | None:
    overall = _explanation(entry.overall)
    if overall is None and not any(_explanation(c) for c in entry.chunks):
        return None
    return VersionWhy(
        version=entry.version,
        summary=str((overall or {}).get("summary") or "—"),
        weighted=bool((overall or {}).get("importance")),
        impact=_impact_rows(overall or {}),
        chunks=_chunks(entry, chunk),
        segments=_segment_tables(entry, chunk),
    )


def build_explanations(results: PeriodResults) -> dict[str, VersionWhy]:
    """Each version's "Why" section; versions without any explanation are left out."""
    found = (_version(entry, results.chunk) for entry in results.versions)
    return {why.version: why for why in found if why is not None}
