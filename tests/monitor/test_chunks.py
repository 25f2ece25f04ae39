"""Chunks of stored logs: periods aligned on the epoch, calendar months, row counts."""

from __future__ import annotations

import pandas as pd
import pytest

from monitml.errors import DataError
from monitml.monitor.chunks import ChunkSpec, parse_chunk, split_chunks


def _utc(text: str) -> float:
    return pd.Timestamp(text, tz="UTC").timestamp()


@pytest.mark.parametrize(
    ("text", "spec"),
    [
        pytest.param("1d", ChunkSpec(seconds=86_400.0), id="day"),
        pytest.param("15m", ChunkSpec(seconds=900.0), id="minutes"),
        pytest.param("1mo", ChunkSpec(months=1), id="month"),
        pytest.param("month", ChunkSpec(months=1), id="month-word"),
        pytest.param("3mo", ChunkSpec(months=3), id="quarter"),
        pytest.param("500rows", ChunkSpec(rows=500), id="rows"),
    ],
)
def test_a_chunk_is_parsed_from_its_short_name(text: str, spec: ChunkSpec) -> None:
    assert parse_chunk(text) == spec


@pytest.mark.parametrize("text", ["0mo", "0rows", "yesterday", "-1d"])
def test_an_invalid_chunk_names_itself_and_the_valid_forms(text: str) -> None:
    with pytest.raises(DataError, match=f"invalid chunk '{text}'"):
        parse_chunk(text)


def test_month_chunks_follow_the_calendar_whatever_the_months_length() -> None:
    times = [_utc("2013-02-10"), _utc("2013-02-28T23:59"), _utc("2013-03-01"), _utc("2013-04-30")]
    frame = pd.DataFrame({"timestamp": times})
    chunks = list(
        split_chunks(frame, ChunkSpec(months=1), start=_utc("2013-02-01"), end=_utc("2013-05-01"))
    )
    assert [(lower, upper) for lower, upper, _ in chunks] == [
        (_utc("2013-02-01"), _utc("2013-03-01")),
        (_utc("2013-03-01"), _utc("2013-04-01")),
        (_utc("2013-04-01"), _utc("2013-05-01")),
    ]
    assert [len(part) for _, _, part in chunks] == [2, 1, 1]


def test_a_period_that_starts_mid_month_gets_a_shorter_first_month_chunk() -> None:
    frame = pd.DataFrame({"timestamp": [_utc("2013-04-20"), _utc("2013-05-02")]})
    chunks = list(
        split_chunks(frame, ChunkSpec(months=1), start=_utc("2013-04-15"), end=_utc("2013-06-01"))
    )
    assert [(lower, upper) for lower, upper, _ in chunks] == [
        (_utc("2013-04-15"), _utc("2013-05-01")),
        (_utc("2013-05-01"), _utc("2013-06-01")),
    ]


def test_empty_months_are_yielded_so_a_gap_in_traffic_shows() -> None:
    frame = pd.DataFrame({"timestamp": [_utc("2013-01-05"), _utc("2013-03-05")]})
    chunks = list(
        split_chunks(frame, ChunkSpec(months=1), start=_utc("2013-01-01"), end=_utc("2013-04-01"))
    )
    assert [len(part) for _, _, part in chunks] == [1, 0, 1]
