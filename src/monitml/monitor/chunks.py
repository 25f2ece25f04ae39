"""Cutting stored logs into chunks for batch monitoring: by period, calendar month or rows."""

from __future__ import annotations

import math
import re
from collections.abc import Iterator
from dataclasses import dataclass

import numpy as np
import pandas as pd

from monitml.alerts.durations import parse_duration
from monitml.errors import DataError

__all__ = ["ChunkSpec", "parse_chunk", "split_chunks"]

_ROWS = re.compile(r"^\s*(\d+)\s*rows?\s*$")
# Months are not a fixed period (28 to 31 days), so they get their own unit: 1mo, 3mo, month.
_MONTHS = re.compile(r"^\s*(\d*)\s*(?:mo|months?)\s*$")


@dataclass(frozen=True, slots=True)
class ChunkSpec:
    """Chunks of a fixed period (seconds), of calendar months (UTC), or of a number of rows."""

    seconds: float | None = None
    rows: int | None = None
    months: int | None = None

    def describe(self) -> str:
        if self.rows is not None:
            return f"{self.rows}rows"
        if self.months is not None:
            return f"{self.months}mo"
        return f"{self.seconds:g}s"


def parse_chunk(text: str) -> ChunkSpec:
    """``"1d"``, ``"1h"``, ``"15m"``, ``"1mo"`` (calendar months, UTC) or ``"10000rows"``.

    >>> parse_chunk("month"), parse_chunk("500rows").rows, parse_chunk("1d").seconds
    (ChunkSpec(seconds=None, rows=None, months=1), 500, 86400.0)
    """
    match = _ROWS.match(text)
    if match is not None:
        rows = int(match.group(1))
        if rows < 1:
            raise DataError(f"invalid chunk '{text}': a chunk needs at least one row")
        return ChunkSpec(rows=rows)
    match = _MONTHS.match(text)
    if match is not None:
        months = int(match.group(1) or 1)
        if months < 1:
            raise DataError(f"invalid chunk '{text}': a chunk needs at least one month")
        return ChunkSpec(months=months)
    try:
        seconds = parse_duration(text)
    except ValueError:
        seconds = 0.0
    if seconds <= 0:
        raise DataError(
            f"invalid chunk '{text}': use a period (1h, 1d, 1mo) or a row count (10000rows)"
        )
    return ChunkSpec(seconds=seconds)


def split_chunks(
    frame: pd.DataFrame, spec: ChunkSpec, *, start: float, end: float
) -> Iterator[tuple[float, float, pd.DataFrame]]:
    """Chunks of ``frame`` (sorted by ``timestamp``) as (chunk start, chunk end, rows).

    Period chunks are aligned to multiples of the period since the Unix epoch (whole UTC
    days for ``1d``), month chunks to the first of a UTC month, and empty ones are yielded
    too, so a gap in traffic shows; row chunks are consecutive, the last one possibly shorter.
    """
    times = frame["timestamp"].to_numpy(np.float64) if len(frame) else np.empty(0)
    if spec.rows is not None:
        for first in range(0, len(frame), spec.rows):
            part = frame.iloc[first : first + spec.rows]
            yield float(times[first]), float(times[min(first + spec.rows, len(frame)) - 1]), part
        return
    for edge, upper in _edges(spec, start, end):
        lo, hi = np.searchsorted(times, [max(edge, start), min(upper, end)], side="left")
        yield max(edge, start), min(upper, end), frame.iloc[int(lo) : int(hi)]


def _edges(spec: ChunkSpec, start: float, end: float) -> Iterator[tuple[float, float]]:
    if spec.months is not None:
        moment = pd.Timestamp(start, unit="s", tz="UTC")
        edge = pd.Timestamp(year=moment.year, month=moment.month, day=1, tz="UTC")
        while edge.timestamp() < end:
            upper = edge + pd.DateOffset(months=spec.months)
            yield edge.timestamp(), upper.timestamp()
            edge = upper
        return
    period = float(spec.seconds or 0.0)
    edge_seconds = math.floor(start / period) * period
    while edge_seconds < end:
        yield edge_seconds, edge_seconds + period
        edge_seconds += period
