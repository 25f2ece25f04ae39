"""``run_check``: every version gets its own chunks, stored and reported under its name."""

from __future__ import annotations

from monitml.monitor.batch import CHECK_FORMAT, run_check
from monitml.monitor.chunks import parse_chunk

from .conftest import DAY, START, LogFactory


def test_without_a_version_each_version_gets_its_own_chunks(make_log: LogFactory) -> None:
    log = make_log(days=3, per_day={"v1": 120, "v2": 40})
    check = run_check(
        log.store, log.monitor, start=START, end=START + 3 * DAY, chunk=parse_chunk("1d")
    )
    assert check.versions == ["v1", "v2"]
    assert [(r.version, r.rows) for r in check.results] == [
        ("v1", 120), ("v1", 120), ("v1", 120), ("v2", 40), ("v2", 40), ("v2", 40),
    ]  # fmt: skip
    assert [r.window_start for r in check.results[:3]] == [START, START + DAY, START + 2 * DAY]


def test_each_versions_chunks_are_stored_under_its_name(make_log: LogFactory) -> None:
    log = make_log(days=2)
    run_check(log.store, log.monitor, start=START, end=START + 2 * DAY, chunk=parse_chunk("1d"))
    stored = log.store.list_monitor_results("m", kind="chunk")
    assert sorted((row["version"], row["payload"]["rows"]) for row in stored) == [
        ("v1", 120), ("v1", 120), ("v2", 40), ("v2", 40),
    ]  # fmt: skip
    assert all(row["payload"]["version"] == row["version"] for row in stored)


def test_a_drifted_version_alerts_on_its_own_chunk_only(make_log: LogFactory) -> None:
    log = make_log(days=3, shift={"v2": {2: 3.0}})
    check = run_check(
        log.store,
        log.monitor,
        start=START,
        end=START + 3 * DAY,
        chunk=parse_chunk("1d"),
        save=False,
    )
    payload = check.to_dict()
    assert payload["format"] == CHECK_FORMAT
    assert payload["version"] is None
    assert payload["versions"] == ["v1", "v2"]
    alerted = [(c["version"], c["window_start"]) for c in payload["chunks"] if c["alerts"]]
    assert alerted == [("v2", START + 2 * DAY)]
    assert payload["alerts"] == 1
    assert log.store.list_monitor_results("m", kind="chunk") == []


def test_a_given_version_is_checked_alone(make_log: LogFactory) -> None:
    log = make_log(days=2)
    check = run_check(
        log.store,
        log.monitor,
        start=START,
        end=START + 2 * DAY,
        chunk=parse_chunk("50rows"),
        version="v2",
    )
    assert check.versions == ["v2"]
    assert [r.rows for r in check.results] == [50, 30]
    assert check.to_dict()["version"] == "v2"
