"""Row chunks and period chunks of an analysis data set."""

from __future__ import annotations

import pandas as pd
import pytest

from monitml.errors import DataError
from monitml.estimation.chunking import ChunkRule, chunk_frame, parse_chunking


def test_row_chunks_are_consecutive_with_an_exclusive_end_and_a_shorter_last_one() -> None:
    frame = pd.DataFrame({"x": range(12)})
    _, chunks = chunk_frame(frame, parse_chunking("5rows"))
    assert [chunk.bounds() for chunk in chunks] == [(0, 5), (5, 10), (10, 12)]


def test_period_chunks_are_whole_utc_days_in_time_order_with_iso_bounds() -> None:
    times = ["2024-01-02T23:00Z", "2024-01-01T05:00Z", "2024-01-02T01:00Z", "2024-01-04T00:00Z"]
    frame = pd.DataFrame({"ts": times, "x": [3, 1, 2, 4]})
    ordered, chunks = chunk_frame(frame, parse_chunking("1d"), "ts")
    assert ordered["x"].tolist() == [1, 2, 3, 4]
    assert [chunk.bounds() for chunk in chunks] == [
        ("2024-01-01T00:00:00+00:00", "2024-01-02T00:00:00+00:00"),
        ("2024-01-02T00:00:00+00:00", "2024-01-03T00:00:00+00:00"),
        ("2024-01-04T00:00:00+00:00", "2024-01-05T00:00:00+00:00"),
    ]
    assert [chunk.size for chunk in chunks] == [1, 2, 1]


@pytest.mark.parametrize(
    "text", ["0rows", "soon", "1mo", ""], ids=["no-rows", "word", "months", "empty"]
)
def test_unusable_chunk_texts_are_refused_with_the_option_named(text: str) -> None:
    with pytest.raises(DataError, match="--chunk"):
        parse_chunking(text)


def test_period_chunks_without_a_timestamp_column_are_refused() -> None:
    with pytest.raises(DataError, match="--timestamp"):
        chunk_frame(pd.DataFrame({"x": [1]}), ChunkRule(seconds=3600))
    with pytest.raises(DataError, match="no column 'ts'"):
        chunk_frame(pd.DataFrame({"x": [1]}), ChunkRule(seconds=3600), "ts")
