"""``monitml log export`` and ``monitml check --source parquet:PATH`` through the console script."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path
from typing import TYPE_CHECKING, Any

import pytest

if TYPE_CHECKING:
    from conftest import PeriodConfig

# What differs between two runs over the same rows: when they ran and how long they took;
# and what a check from summaries leaves out (label-free estimates, ``estimated_*``, and the
# explanation, which segments rows, need rows).
VOLATILE = {"run_at", "compute_seconds", "generated_at", "sources", "explanation"}


def _run(*args: str) -> subprocess.CompletedProcess[str]:
    command = [sys.executable, "-m", "monitml.cli", *args]
    return subprocess.run(command, capture_output=True, text=True, timeout=180, check=False)


def _leaves(value: Any, path: str = "") -> dict[str, Any]:
    """Every value of a JSON document by its path, but the volatile ones."""
    if isinstance(value, dict):
        found: dict[str, Any] = {}
        for key, item in value.items():
            if key not in VOLATILE and not key.startswith("estimated_"):
                found |= _leaves(item, f"{path}/{key}")
        return found
    if isinstance(value, list):
        return {
            k: v for i, item in enumerate(value) for k, v in _leaves(item, f"{path}[{i}]").items()
        }
    return {path: value}


def _assert_same(found: dict[str, Any], expected: dict[str, Any]) -> None:
    """Equal documents, floats to 1e-9 (sums added in another order)."""
    left, right = _leaves(found), _leaves(expected)
    assert left.keys() == right.keys()
    for path, value in right.items():
        if isinstance(value, float):
            assert left[path] == pytest.approx(value, rel=1e-9, abs=1e-12), path
        else:
            assert left[path] == value, path


def _check(config: Path, out: Path, *extra: str) -> dict[str, Any]:
    done = _run(
        "check", "--config", str(config), "--model", "m", "--from", "2026-03-01",
        "--to", "2026-03-05", "--chunk", "1d", "--json", str(out), *extra,
    )  # fmt: skip
    assert done.returncode == 0, done.stderr
    payload: dict[str, Any] = json.loads(out.read_text())
    return payload


def test_a_check_of_the_exported_log_from_summaries_equals_the_check_of_the_stored_rows(
    period_config: PeriodConfig, tmp_path: Path
) -> None:
    log = tmp_path / "log"
    exported = _run("log", "export", "--config", str(period_config.path), "--to", str(log))
    assert exported.returncode == 0, exported.stderr
    assert exported.stdout.startswith("exported 720 new row(s) of 1 model(s)")
    assert len(list(log.glob("model=m/version=*/date=*/*.parquet"))) == 8

    from_store = _check(period_config.path, tmp_path / "store.json")
    from_log = _check(period_config.path, tmp_path / "log.json", "--source", f"parquet:{log}")

    _assert_same(from_log, from_store)
    alerted = [(c["version"], c["alerts"]) for c in from_log["chunks"] if c["alerts"]]
    assert alerted == [("v2", ["DatasetDrift"])]
    assert [c["rows"] for c in from_log["chunks"]] == [120] * 4 + [60] * 4


def test_exporting_twice_writes_nothing_the_second_time(
    period_config: PeriodConfig, tmp_path: Path
) -> None:
    args = ("log", "export", "--config", str(period_config.path), "--to", str(tmp_path / "log"))
    assert _run(*args).returncode == 0

    again = _run(*args)

    assert again.returncode == 0, again.stderr
    assert again.stdout.startswith("exported 0 new row(s)")
    assert "0 day partition(s) rewritten for late labels, 0 file(s) written" in again.stdout


def test_a_source_that_is_neither_store_nor_parquet_is_one_line_and_exit_2(
    period_config: PeriodConfig, tmp_path: Path
) -> None:
    done = _run(
        "check", "--config", str(period_config.path), "--model", "m", "--from", "2026-03-01",
        "--to", "2026-03-05", "--source", "csv:somewhere",
    )  # fmt: skip
    assert done.returncode == 2
    assert done.stderr == "error: --source: expected store or parquet:PATH, got 'csv:somewhere'\n"


def test_a_parquet_source_that_does_not_exist_is_one_line_and_exit_2(
    period_config: PeriodConfig, tmp_path: Path
) -> None:
    done = _run(
        "check", "--config", str(period_config.path), "--model", "m", "--from", "2026-03-01",
        "--to", "2026-03-05", "--source", f"parquet:{tmp_path / 'absent'}",
    )  # fmt: skip
    assert done.returncode == 2
    assert done.stderr.count("\n") == 1
    assert "no partitioned log at" in done.stderr


def test_row_chunks_of_the_exported_log_are_the_row_chunks_of_the_store(
    period_config: PeriodConfig, tmp_path: Path
) -> None:
    log = tmp_path / "log"
    assert (
        _run("log", "export", "--config", str(period_config.path), "--to", str(log)).returncode == 0
    )

    rows = ("--chunk", "100rows", "--version", "v2")
    from_store = _check(period_config.path, tmp_path / "store.json", *rows)
    from_log = _check(
        period_config.path, tmp_path / "log.json", *rows, "--source", f"parquet:{log}"
    )

    assert [c["rows"] for c in from_log["chunks"]] == [100, 100, 40]
    _assert_same(from_log, from_store)
