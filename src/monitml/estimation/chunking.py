"""Cutting an analysis data set into chunks: a number of rows, or a fixed period of time.

Row chunks are consecutive (the last one may be shorter). Period chunks are aligned to whole
multiples of the period since the Unix epoch (UTC days for ``1d``); empty periods are left out,
since an estimate needs rows. Positions refer to the rows as given, or in time order for
period chunks (the frame is sorted by the timestamp first, keeping ties in their order).
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import TYPE_CHECKING

import numpy as np

from monitml.errors import DataError
from monitml.estimation.columns import Columns

if TYPE_CHECKING:
    import pandas as pd

    from monitml.estimation.base import Frame

__all__ = ["Chunk", "ChunkRule", "chunk_frame", "parse_chunking"]

_ROWS = re.compile(r"^\s*(\d+)\s*rows?\s*$")
_PERIOD = re.compile(r"^\s*(\d+)\s*(s|m|min|h|d|w)\s*$")
_SECONDS = {"s": 1, "m": 60, "min": 60, "h": 3600, "d": 86400, "w": 7 * 86400}


@dataclass(frozen=True, slots=True)
class ChunkRule:
    """Chunks of ``rows`` rows, or of ``seconds`` seconds of the timestamp column."""

    rows: int | None = None
    seconds: int | None = None

    def describe(self) -> str:
        return f"{self.rows}rows" if self.rows is not None else f"{self.seconds}s"


@dataclass(frozen=True, slots=True)
class Chunk:
    """One chunk: its place in the data (``stop`` exclusive) and, for period chunks, its times."""

    index: int
    first: int
    stop: int
    start_time: pd.Timestamp | None = None
    end_time: pd.Timestamp | None = None

    @property
    def size(self) -> int:
        return self.stop - self.first

    def bounds(self) -> tuple[int | str, int | str]:
        """``(start, end)`` as the JSON shows them: row positions, or ISO times for periods."""
        if self.start_time is not None and self.end_time is not None:
            return self.start_time.isoformat(), self.end_time.isoformat()
        return self.first, self.stop


def parse_chunking(text: str) -> ChunkRule:
    """``"5000rows"`` or a period: ``"30m"``, ``"6h"``, ``"1d"``, ``"1w"``.

    >>> parse_chunking("10000rows"), parse_chunking("1d")
    (ChunkRule(rows=10000, seconds=None), ChunkRule(rows=None, seconds=86400))
    """
    match = _ROWS.match(text)
    if match is not None:
        rows = int(match.group(1))
        if rows < 1:
            raise DataError(f"--chunk: a chunk needs at least one row, got '{text}'")
        return ChunkRule(rows=rows)
    match = _PERIOD.match(text)
    if match is not None and int(match.group(1)) > 0:
        return ChunkRule(seconds=int(match.group(1)) * _SECONDS[match.group(2)])
    raise DataError(f"--chunk: use a row count (5000rows) or a period (1h, 1d, 1w), got '{text}'")


def chunk_frame(
    frame: Frame, rule: ChunkRule, timestamp: str | None = None
) -> tuple[Frame, list[Chunk]]:
    """The frame (sorted by time for period chunks, index reset) and its chunks in order."""
    if rule.rows is not None:
        if not isinstance(frame, Columns):
            frame = frame.reset_index(drop=True)
        rows = [
            Chunk(i, first, min(first + rule.rows, len(frame)))
            for i, first in enumerate(range(0, len(frame), rule.rows))
        ]
        return frame, rows
    if timestamp is None:
        raise DataError("--chunk: period chunks need --timestamp COLUMN")
    if isinstance(frame, Columns):
        raise DataError("period chunks need a DataFrame")
    import pandas as pd  # noqa: PLC0415  # row chunks of numeric Columns go without it

    if timestamp not in frame.columns:
        raise DataError(f"--timestamp: no column '{timestamp}' in the analysis data")
    times = _to_utc(frame[timestamp], timestamp)
    order = np.argsort(times.to_numpy(), kind="stable")
    frame = frame.iloc[order].reset_index(drop=True)
    times = times.iloc[order].reset_index(drop=True)
    period = pd.Timedelta(seconds=rule.seconds or 0)
    epoch = pd.Timestamp(0, tz="UTC")
    edges = epoch + ((times - epoch) // period) * period
    chunks: list[Chunk] = []
    values = edges.to_numpy()
    starts: list[int] = (
        np.flatnonzero(np.r_[True, values[1:] != values[:-1]]).tolist() if len(values) else []
    )
    for i, first in enumerate(starts):
        stop = int(starts[i + 1]) if i + 1 < len(starts) else len(frame)
        begin = pd.Timestamp(edges.iloc[int(first)])
        chunks.append(Chunk(i, int(first), stop, begin, begin + period))
    return frame, chunks


def _to_utc(series: pd.Series, name: str) -> pd.Series:
    import pandas as pd  # noqa: PLC0415

    try:
        times = pd.to_datetime(series, utc=True)
    except (ValueError, TypeError) as exc:
        raise DataError(f"--timestamp: column '{name}' does not hold times") from exc
    if times.isna().any():
        raise DataError(f"--timestamp: column '{name}' has {int(times.isna().sum())} missing times")
    return times
