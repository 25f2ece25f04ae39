"""Checks from summaries: what a partition summarises, how parts merge, and the verdicts."""

from __future__ import annotations

from collections.abc import Iterator, Sequence
from pathlib import Path

import pytest

from monitml.errors import DataError
from monitml.monitor.batch import run_check
from monitml.monitor.chunks import parse_chunk
from monitml.monitor.summarised import (
    ChunkSummary,
    Part,
    SummaryPlan,
    merge_parts,
    plan_for,
    run_summary_check,
    summarise_fragment,
)
from monitml.store.export import export_log
from monitml.store.partitions import LogFragment, log_fragments

from .conftest import DAY, START, LogFactory


def test_parts_merge_into_the_summary_of_the_whole_chunk(
    make_log: LogFactory, tmp_path: Path
) -> None:
    log = make_log(days=2, per_day={"v1": 90})
    export_log(log.store, tmp_path / "log")
    # A month's chunk: the two days' files each hold part of it.
    plan = plan_for(log.monitor, start=START, end=START + 2 * DAY, chunk=parse_chunk("1mo"))
    parts = [p for f in log_fragments(tmp_path / "log", "m") for p in summarise_fragment(plan, f)]

    merged = merge_parts(parts)

    assert [(version, lower) for version, lower, _ in parts] == [("v1", START), ("v1", START)]
    whole = merged[("v1", START)]
    assert (whole.rows, whole.labelled) == (180, 90)
    assert whole.columns["x1"].count == 180
    assert sum(whole.columns["c"].category_counts().values()) == 180


def test_a_chunk_summary_travels_as_bytes_and_back_unchanged(
    make_log: LogFactory, tmp_path: Path
) -> None:
    log = make_log(days=1, per_day={"v1": 60})
    export_log(log.store, tmp_path / "log")
    plan = plan_for(log.monitor, start=START, end=START + DAY, chunk=parse_chunk("1d"))
    ((_, _, data),) = summarise_fragment(plan, log_fragments(tmp_path / "log", "m")[0])

    summary = ChunkSummary.from_bytes(data)

    assert summary.to_bytes() == data
    assert summary.performance is not None
    assert summary.performance.metrics()["count"] == 30


def test_a_check_from_summaries_gives_the_verdicts_and_statistics_of_the_rows(
    make_log: LogFactory, tmp_path: Path
) -> None:
    log = make_log(days=3, shift={"v2": {2: 3.0}})
    export_log(log.store, tmp_path / "log")
    chunk, end = parse_chunk("1d"), START + 3 * DAY
    fragments = log_fragments(tmp_path / "log", "m")

    def local(plan: SummaryPlan, files: Sequence[LogFragment]) -> Iterator[Part]:
        return (part for fragment in files for part in summarise_fragment(plan, fragment))

    summarised = run_summary_check(
        log.store, log.monitor, fragments, local, start=START, end=end, chunk=chunk, save=False
    )
    exact = run_check(log.store, log.monitor, start=START, end=end, chunk=chunk, save=False)

    assert [a.chunk for a in summarised.alerts] == [a.chunk for a in exact.alerts] == [5]
    for mine, theirs in zip(summarised.results, exact.results, strict=True):
        assert (mine.version, mine.window_start, mine.rows) == (
            theirs.version, theirs.window_start, theirs.rows,
        )  # fmt: skip
        assert mine.report is not None
        assert theirs.report is not None
        for name, column in theirs.report.columns.items():
            found = mine.report.columns[name].result
            assert found.drift_detected == column.result.drift_detected, name
            assert found.statistic == pytest.approx(column.result.statistic, rel=1e-9), name
        assert mine.prediction == pytest.approx(theirs.prediction, rel=1e-9)
        assert mine.performance() == pytest.approx(theirs.performance(), rel=1e-9)


def test_chunks_of_a_number_of_rows_cannot_be_checked_from_summaries(
    make_log: LogFactory,
) -> None:
    log = make_log(days=1)
    with pytest.raises(DataError, match=r"use a period \(1h, 1d\) or months"):
        plan_for(log.monitor, start=START, end=START + DAY, chunk=parse_chunk("100rows"))
