"""The model page's "Why" panel: the newest window's explanation, per version.

Read from the same newest payload the page already parses for its quality flags: the one-line
summary, the features ranked by impact (drift score x importance share), the segments that
moved most, and the performance of each configured segment column (``segments:``) in that
window and in the ``SEGMENT_WINDOWS`` windows before it. Those earlier windows are the only other
payloads the page parses, and only for a model with segment columns: ``SEGMENT_WINDOWS`` payload
reads, tens of milliseconds, reused by the page's range cache.
"""

from __future__ import annotations

import json
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any

import sqlalchemy as sa

from monitml.report.format import fmt_count, fmt_number, fmt_share
from monitml.report.period_explain import move_text
from monitml.store.tables import json_text, monitor_results

__all__ = ["SEGMENT_WINDOWS", "ExplanationPanel", "SegmentRow", "explanation_panel"]

SEGMENT_WINDOWS = 12
TOP_FEATURES = 5
MAX_SEGMENTS = 10
_METRICS = {"mae": "MAE", "accuracy": "accuracy"}


@dataclass(frozen=True, slots=True)
class SegmentRow:
    segment: str
    rows: str
    labelled: str
    value: str
    estimated: str
    reference: str
    recent: tuple[str, ...]  # the metric in earlier windows, oldest first ("—" where absent)


@dataclass(frozen=True, slots=True)
class ExplanationPanel:
    summary: str
    features: tuple[tuple[str, str, str, str, bool], ...]  # feature, drift, importance, impact
    moves: tuple[str, ...]
    segments: tuple[tuple[str, str, tuple[SegmentRow, ...]], ...]  # column, metric, rows
    recent_windows: int


def _segment_tables(explanation: Mapping[str, Any]) -> dict[str, Mapping[str, Any]]:
    tables = explanation.get("segment_performance")
    return {str(k): v for k, v in tables.items()} if isinstance(tables, Mapping) else {}


def recent_segment_tables(
    connection: sa.Connection, model: str, version: str, limit: int = SEGMENT_WINDOWS
) -> list[dict[str, Mapping[str, Any]]]:
    """The segment tables of the version's ``limit`` windows before the newest, oldest first."""
    t = monitor_results
    texts = connection.execute(
        sa.select(json_text(t.c.payload))
        .where(t.c.model == model, t.c.version == version, t.c.kind == "window")
        .order_by(t.c.window_end.desc(), t.c.id.desc())
        .offset(1)
        .limit(limit)
    ).scalars()
    tables = []
    for text in texts:
        payload = json.loads(text) if text else None
        explanation = payload.get("explanation") if isinstance(payload, dict) else None
        tables.append(_segment_tables(explanation) if isinstance(explanation, Mapping) else {})
    return list(reversed(tables))


def _metric(segment: Mapping[str, Any] | None, key: str = "value") -> str:
    value = (segment or {}).get(key)
    return fmt_number(value) if isinstance(value, int | float) else "—"


def _rows(
    column: str, table: Mapping[str, Any], recent: Sequence[Mapping[str, Mapping[str, Any]]]
) -> tuple[SegmentRow, ...]:
    segments = sorted(
        table.get("segments") or [], key=lambda s: (-int(s.get("rows") or 0), str(s.get("segment")))
    )[:MAX_SEGMENTS]
    earlier = [
        {str(s.get("segment")): s for s in (tables.get(column) or {}).get("segments") or []}
        for tables in recent
    ]
    return tuple(
        SegmentRow(
            segment=str(s.get("segment")),
            rows=fmt_count(s.get("rows")),
            labelled=fmt_count(s.get("labelled_rows")),
            value=_metric(s),
            estimated=_metric(s, "estimated"),
            reference=_metric(s, "reference"),
            recent=tuple(_metric(window.get(str(s.get("segment")))) for window in earlier),
        )
        for s in segments
    )


def explanation_panel(
    payload: Mapping[str, Any] | None,
    recent: Sequence[Mapping[str, Mapping[str, Any]]] = (),
) -> ExplanationPanel | None:
    """The panel of a newest-window payload; None when it has no explanation."""
    explanation = (payload or {}).get("explanation")
    if not isinstance(explanation, Mapping):
        return None
    features = tuple(
        (
            str(f.get("feature")),
            fmt_number(f.get("drift_score")),
            "—" if f.get("importance") is None else fmt_share(f.get("importance")),
            fmt_number(f.get("impact")),
            bool(f.get("drift_detected")),
        )
        for f in list(explanation.get("features") or [])[:TOP_FEATURES]
    )
    segments = tuple(
        (column, _METRICS.get(str(table.get("metric")), str(table.get("metric"))),
         _rows(column, table, recent))
        for column, table in _segment_tables(explanation).items()
    )  # fmt: skip
    return ExplanationPanel(
        summary=str(explanation.get("summary") or ""),
        features=features,
        moves=tuple(move_text(m) for m in explanation.get("segments") or []),
        segments=segments,
        recent_windows=len(recent),
    )
