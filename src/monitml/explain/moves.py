"""The segments whose prediction mean, error or estimated error moved most since the reference,
against how the whole window moved.

A segment's *change* is its mean of one signal in the current rows against the same segment's
mean in the reference, ``(current - reference) / |reference|``. Segments are ranked by how much
more (or less) they changed than the column's segments typically did: a segment's *excess* is
``(current / reference) / typical - 1``, where ``typical`` is the median of the segments'
``current / reference`` ratios weighted by their current rows. So when the whole window's error
doubled (a reference that is the training set has small, in-sample errors) a segment whose
error doubled too is not news, and one whose error went up sixfold is. A median, not the ratio
of all rows: one segment that collapsed drags the mean of all rows along, and every other
segment would then seem to have risen.

So that noise does not win, a segment counts only with at least ``MIN_SEGMENT_ROWS`` rows on both
sides (for the error: labelled rows) and a difference from its expected mean (its reference mean
times ``typical``) of at least ``MIN_Z`` standard errors. ``MIN_Z = 4`` keeps the
chance that one of a few hundred segments that moved like the rest passes by luck to about 1%
(a two-sided normal tail of 6e-5 each).

Signals: ``prediction`` (a regressor's mean prediction; a classifier's share of rows predicted
as its positive class), ``error`` (mean absolute error; error rate) and ``estimated_error`` (the
same, estimated without labels: see :mod:`monitml.explain.row_errors`).
"""

from __future__ import annotations

import math
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

import numpy as np

from monitml.explain.segments import SegmentColumn, SegmentSums

__all__ = ["MIN_SEGMENT_ROWS", "MIN_Z", "SIGNALS", "SegmentMove", "find_moves", "signal_name"]

MIN_SEGMENT_ROWS = 30
MIN_Z = 4.0
SIGNALS = ("prediction", "error", "estimated_error")
# A reference mean this close to 0 has no meaningful relative change.
_TINY = 1e-12


def signal_name(signal: str, task: str, positive: str | None = None) -> str:
    """What a signal is called in a sentence.

    >>> signal_name("error", "regression"), signal_name("prediction", "classification", "1")
    ('mean absolute error', "share predicted '1'")
    """
    if signal == "prediction":
        return "prediction mean" if task == "regression" else f"share predicted {positive!r}"
    what = "mean absolute error" if task == "regression" else "error rate"
    return f"estimated {what}" if signal == "estimated_error" else what


@dataclass(frozen=True, slots=True)
class SegmentMove:
    """One segment's move of one signal between reference and current."""

    column: str
    segment: str
    signal: str
    reference: float
    current: float
    change: float  # relative: -0.38 is a fall of 38%
    reference_rows: int
    current_rows: int
    z: float
    overall_change: float = 0.0  # the same signal's change over all rows (context)
    excess: float = 0.0  # the segment's change beyond the column's typical one (its rank)
    typical_change: float = 0.0  # the column's segments' median change

    def to_dict(self) -> dict[str, Any]:
        return {
            "column": self.column,
            "segment": self.segment,
            "signal": self.signal,
            "reference": self.reference,
            "current": self.current,
            "change": self.change,
            "reference_rows": self.reference_rows,
            "current_rows": self.current_rows,
            "z": self.z,
            "overall_change": self.overall_change,
            "excess": self.excess,
            "typical_change": self.typical_change,
        }


def _typical_ratio(
    reference: SegmentSums, current: SegmentSums, enough: np.ndarray[Any, np.dtype[np.bool_]]
) -> float:
    """The median of the segments' current / reference ratios, weighted by current rows; 1
    when it is not positive (a mean that changed sign has no ratio to scale by)."""
    ratios = current.mean[enough] / reference.mean[enough]
    weights = current.count[enough]
    order = np.argsort(ratios)
    cumulative = np.cumsum(weights[order])
    median = float(ratios[order][np.searchsorted(cumulative, cumulative[-1] / 2.0)])
    return median if math.isfinite(median) and median > 0 else 1.0


def _moves_of(
    column: SegmentColumn,
    signal: str,
    reference: SegmentSums,
    current: SegmentSums,
    overall: tuple[float, float] | None,
) -> list[SegmentMove]:
    enough = (reference.count >= MIN_SEGMENT_ROWS) & (current.count >= MIN_SEGMENT_ROWS)
    enough &= np.abs(reference.mean) > _TINY
    if not enough.any():
        return []
    whole = 0.0
    if overall is not None and abs(overall[0]) > _TINY:
        whole = overall[1] / overall[0] - 1.0
    ratio = _typical_ratio(reference, current, enough)
    with np.errstate(invalid="ignore", divide="ignore"):
        expected = reference.mean * ratio
        error = np.sqrt(
            ratio * ratio * reference.variance / np.maximum(reference.count, 1)
            + current.variance / np.maximum(current.count, 1)
        )
        difference = current.mean - expected
        # A difference with no spread on either side (constant predictions) is certain.
        z = np.where(error > 0, difference / np.where(error > 0, error, 1.0), np.inf)
        z = np.where(difference == 0, 0.0, z)
        change = (current.mean - reference.mean) / np.abs(reference.mean)
        excess = difference / np.abs(expected)
    labels = column.labels()
    moves = []
    for index in np.flatnonzero(enough & (np.abs(z) >= MIN_Z)):
        moves.append(
            SegmentMove(
                column=column.name,
                segment=labels[index],
                signal=signal,
                reference=float(reference.mean[index]),
                current=float(current.mean[index]),
                change=float(change[index]),
                reference_rows=int(reference.count[index]),
                current_rows=int(current.count[index]),
                z=float(z[index]) if math.isfinite(z[index]) else math.copysign(1e9, z[index]),
                overall_change=whole,
                excess=float(excess[index]),
                typical_change=ratio - 1.0,
            )
        )
    return moves


def find_moves(
    columns: Mapping[str, SegmentColumn],
    reference: Mapping[tuple[str, str], SegmentSums],
    current: Mapping[tuple[str, str], SegmentSums],
    *,
    overall: Mapping[str, tuple[float, float]] | None = None,
    limit: int = 3,
) -> tuple[SegmentMove, ...]:
    """The ``limit`` largest significant moves of each signal, largest excess first.

    ``overall`` holds each signal's (reference mean, current mean) over all rows; without it
    a segment is compared with its own reference mean alone.
    """
    moves: list[SegmentMove] = []
    for signal in SIGNALS:
        found: list[SegmentMove] = []
        for (name, kind), sums in current.items():
            before = reference.get((name, kind))
            if kind == signal and before is not None and name in columns:
                whole = (overall or {}).get(signal)
                found.extend(_moves_of(columns[name], signal, before, sums, whole))
        found.sort(key=lambda m: (-abs(m.excess), -abs(m.z), m.column, m.segment))
        moves.extend(found[:limit])
    moves.sort(key=lambda m: (-abs(m.excess), -abs(m.z), m.column, m.segment))
    return tuple(moves)
