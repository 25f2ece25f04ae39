"""Cutting stored logs into chunks for batch monitoring: by period or by row count."""

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


@dataclass(frozen=True, slots=True)
class ChunkSpec:
    """Chunks of a fixed period (seconds) or a fixed number of rows."""

    seconds: float | None = None
    rows: int | None = None

    def describe(self) -> str:
        return f"{self.rows}rows" if self.rows is not None else f"{self.seconds:g}s"


def parse_chunk(text: str) -> ChunkSpec:
    """``"1d"``, ``"1h"``, ``"15m"`` or ``"10000rows"``."""
    match = _ROWS.match(text)
    if match is not None:
        rows = int(match.group(1))
        if rows < 1:
            raise DataError(f"invalid chunk '{text}': a chunk needs at least one row")
        return ChunkSpec(rows=rows)
    try:
        seconds = parse_duration(text)
    except ValueError:
        seconds = 0.0
    if seconds <= 0:
        raise DataError(f"invalid chunk '{text}': use a period (1h, 1d) or a row count (10000rows)")
    return ChunkSpec(seconds=seconds)


def split_chunks(
    frame: pd.DataFrame, spec: ChunkSpec, *, start: float, end: float
) -> Iterator[tuple[float, float, pd.DataFrame]]:
    """Chunks of ``frame`` (sorted by ``timestamp``) as (chunk start, chunk end, rows).

    Period chunks are aligned to multiples of the period since the Unix epoch (whole UTC
    days for ``1d``) and empty ones are yielded too, so a gap in traffic shows; row chunks
    are consecutive, the last one possibly shorter.
    """
    times = frame["timestamp"].to_numpy(np.float64) if len(frame) else np.empty(0)
    if spec.rows is not None:
        for first in range(0, len(frame), spec.rows):
            part = frame.iloc[first : first + spec.rows]
            yield float(times[first]), float(times[min(first + spec.rows, len(frame)) - 1]), part
        return
    period = float(spec.seconds or 0.0)
    edge = math.floor(start / period) * period
    while edge < end:
        upper = edge + period
        lo, hi = np.searchsorted(times, [max(edge, start), min(upper, end)], side="left")
        yield max(edge, start), min(upper, end), frame.iloc[int(lo) : int(hi)]
        edge = upper
