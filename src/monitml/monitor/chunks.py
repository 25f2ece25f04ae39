"""Cutting stored logs into chunks for batch monitoring: by period or by row count."""

from __future__ import annotations

import math
import re
from collections.abc import Iterator
from dataclasses import dataclass

import numpy as np
import pandas as pd

from monitml.errors import DataError

__all__ = ["ChunkSpec", "parse_chunk", "parse_duration", "split_chunks"]

_UNITS = {"s": 1, "m": 60, "h": 3_600, "d": 86_400, "w": 604_800}
_DURATION = re.compile(r"^\s*(\d+(?:\.\d+)?)\s*(s|m|h|d|w)\s*$")
_ROWS = re.compile(r"^\s*(\d+)\s*rows?\s*$")


def parse_duration(text: str | float | int) -> float:
    """``"30s"``, ``"5m"``, ``"1h"``, ``"1d"`` (or plain seconds) → seconds.

    >>> parse_duration("5m"), parse_duration("1d"), parse_duration(2)
    (300.0, 86400.0, 2.0)
    """
    if isinstance(text, int | float):
        seconds = float(text)
    else:
        match = _DURATION.match(text)
        if match is None:
            raise DataError(
                f"invalid duration '{text}': use a number and s, m, h, d or w (e.g. 30s, 5m, 1d)"
            )
        seconds = float(match.group(1)) * _UNITS[match.group(2)]
    if not (math.isfinite(seconds) and seconds > 0):
        raise DataError(f"invalid duration '{text}': it must be positive")
    return seconds


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
        return ChunkSpec(seconds=parse_duration(text))
    except DataError:
        raise DataError(
            f"invalid chunk '{text}': use a period (1h, 1d) or a row count (10000rows)"
        ) from None


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
