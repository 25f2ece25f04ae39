"""Checks from summaries: what a partition summarises, how parts merge, and the verdicts."""

from __future__ import annotations

from collections.abc import Iterator, Sequence
from pathlib import Path

import pytest

from monitml.errors import DataError
from monitml.monitor.batch import BatchCheck, run_check
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
from monitml.stats.summaries import CategoricalSummary, NumericSummary
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
    numeric, categorical = whole.columns["x1"], whole.columns["c"]
    assert isinstance(numeric, NumericSummary)
    assert isinstance(categorical, CategoricalSummary)
    assert numeric.count == 180
    assert sum(categorical.category_counts().values()) == 180


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


def _both_checks(make_log: LogFactory, tmp_path: Path) -> tuple[BatchCheck, BatchCheck]:
    """Three days of v1 and v2 (v2's x1, x2 moved 3σ on day 3), checked in daily chunks from
    the exported log's summaries and from the stored rows: (summarised, exact)."""
    log = make_log(days=3, shift={"v2": {2: 3.0}})
    export_log(log.store, tmp_path / "log")
    chunk, end = parse_chunk("1d"), START + 3 * DAY
    fragments = log_fragments(tmp_path / "log", "m")

    def local(plan: SummaryPlan, files: Sequence[LogFragment]) -> Iterator[list[Part]]:
        return (summarise_fragment(plan, fragment) for fragment in files)

    summarised = run_summary_check(
        log.store, log.monitor, fragments, local, start=START, end=end, chunk=chunk, save=False
    )
    exact = run_check(log.store, log.monitor, start=START, end=end, chunk=chunk, save=False)
    return summarised, exact


def test_a_check_from_summaries_gives_the_verdicts_and_statistics_of_the_rows(
    make_log: LogFactory, tmp_path: Path
) -> None:
    summarised, exact = _both_checks(make_log, tmp_path)

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


def test_a_chunk_from_summaries_ranks_the_drifted_features_as_its_rows_do(
    make_log: LogFactory, tmp_path: Path
) -> None:
    summarised, exact = _both_checks(make_log, tmp_path)
    drifted = [r for r in summarised.results if r.report is not None and r.report.dataset_drift]
    assert [(r.version, r.window_start) for r in drifted] == [("v2", START + 2 * DAY)]
    for mine, theirs in zip(summarised.results, exact.results, strict=True):
        assert mine.explanation is not None
        assert theirs.explanation is not None
        ranked = [(f.feature, f.drift_detected) for f in mine.explanation.features]
        assert ranked == [(f.feature, f.drift_detected) for f in theirs.explanation.features]
        assert mine.explanation.segments == ()  # segments need the rows
        assert mine.to_dict()["explanation"]["features"]
    (found,) = drifted
    assert found.explanation is not None
    assert {"x1", "x2"} <= {f.feature for f in found.explanation.features if f.drift_detected}
    assert "x1" in found.explanation.summary


def test_chunks_of_a_number_of_rows_cannot_be_checked_from_summaries(
    make_log: LogFactory,
) -> None:
    log = make_log(days=1)
    with pytest.raises(DataError, match=r"use a period \(1h, 1d\) or months"):
        plan_for(log.monitor, start=START, end=START + DAY, chunk=parse_chunk("100rows"))


def test_each_chunk_is_scored_before_the_files_of_later_days_are_summarised(
    make_log: LogFactory, tmp_path: Path
) -> None:
    log = make_log(days=4, per_day={"v1": 60, "v2": 40})
    export_log(log.store, tmp_path / "log")
    fragments = log_fragments(tmp_path / "log", "m")
    handed: list[LogFragment] = []
    handed_when_scored: list[int] = []

    def local(plan: SummaryPlan, files: Sequence[LogFragment]) -> Iterator[list[Part]]:
        for fragment in files:
            handed.append(fragment)
            yield summarise_fragment(plan, fragment)

    def judge(samples: list[tuple[str, dict[str, str], float]]) -> list[str]:
        handed_when_scored.append(len(handed))  # called as each chunk's result is made
        return []

    check = run_summary_check(
        log.store, log.monitor, fragments, local, start=START, end=START + 4 * DAY,
        chunk=parse_chunk("1d"), judge=judge, save=False,
    )  # fmt: skip

    assert [(r.version, r.rows) for r in check.results] == [("v1", 60)] * 4 + [("v2", 40)] * 4
    # Day d of a version is scored as soon as its file is in (the next file is of a later
    # day, so holds none of its rows), not once every file is.
    assert handed_when_scored == [1, 2, 3, 4, 5, 6, 7, 8]


def test_a_file_holding_rows_of_a_chunk_already_scored_is_refused_naming_it(
    make_log: LogFactory, tmp_path: Path
) -> None:
    log = make_log(days=2, per_day={"v1": 50})
    export_log(log.store, tmp_path / "log")
    first, second = log_fragments(tmp_path / "log", "m")
    plan = plan_for(log.monitor, start=START, end=START + 2 * DAY, chunk=parse_chunk("1d"))

    def misplaced(plan: SummaryPlan, files: Sequence[LogFragment]) -> Iterator[list[Part]]:
        # The second day's file also holds the first day's rows (a writer that broke the layout).
        yield summarise_fragment(plan, first)
        yield summarise_fragment(plan, second) + summarise_fragment(plan, first)

    with pytest.raises(DataError, match=rf"{second.path}: rows of the chunk from 2026-03-01"):
        run_summary_check(
            log.store, log.monitor, [first, second], misplaced, start=plan.start, end=plan.end,
            chunk=plan.chunk, save=False,
        )  # fmt: skip


def test_a_version_without_rows_in_the_range_gets_no_chunks(
    make_log: LogFactory, tmp_path: Path
) -> None:
    log = make_log(days=3, per_day={"v1": 40, "v2": 40})
    export_log(log.store, tmp_path / "log")
    # Two days of a three-day log: v2's files of those days are read, and v1's.
    fragments = log_fragments(tmp_path / "log", "m", start=START, end=START + 2 * DAY)

    def only_v1(plan: SummaryPlan, files: Sequence[LogFragment]) -> Iterator[list[Part]]:
        for fragment in files:
            yield summarise_fragment(plan, fragment) if fragment.version == "v1" else []

    check = run_summary_check(
        log.store, log.monitor, fragments, only_v1, start=START, end=START + 2 * DAY,
        chunk=parse_chunk("1d"), save=False,
    )  # fmt: skip
    one_version = run_summary_check(
        log.store, log.monitor, fragments, only_v1, start=START, end=START + 2 * DAY,
        chunk=parse_chunk("1d"), version="v2", save=False,
    )  # fmt: skip

    assert [(r.version, r.rows) for r in check.results] == [("v1", 40), ("v1", 40)]
    assert [(r.version, r.rows) for r in one_version.results] == [("v2", 0), ("v2", 0)]
