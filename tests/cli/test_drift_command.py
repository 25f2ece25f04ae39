"""``monitml drift`` as a user runs it (issue 3, item 7)."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

MONITML = [sys.executable, "-m", "monitml.cli"]


def run(*args: str | Path) -> subprocess.CompletedProcess[str]:
    command = [*MONITML, *map(str, args)]
    return subprocess.run(command, capture_output=True, text=True, timeout=120, check=False)


@pytest.fixture(scope="module")
def files(tmp_path_factory: pytest.TempPathFactory) -> dict[str, Path]:
    folder = tmp_path_factory.mktemp("drift")
    rng = np.random.default_rng(0)
    n = 2_000
    reference = pd.DataFrame(
        {"a": rng.normal(0, 1, n), "b": rng.normal(0, 1, n), "c": rng.choice(["x", "y"], n)}
    )
    same = pd.DataFrame(
        {"a": rng.normal(0, 1, n), "b": rng.normal(0, 1, n), "c": rng.choice(["x", "y"], n)}
    )
    drifted = pd.DataFrame(
        {"a": rng.normal(2, 1, n), "b": rng.normal(2, 1, n), "c": rng.choice(["x", "y"], n)}
    )
    paths = {
        "ref": folder / "ref.parquet",
        "same": folder / "same.csv",
        "drifted": folder / "drifted.parquet",
    }
    reference.to_parquet(paths["ref"])
    same.to_csv(paths["same"], index=False)
    drifted.to_parquet(paths["drifted"])
    (folder / "bad.parquet").write_bytes(b"this is not parquet")
    paths["bad"] = folder / "bad.parquet"
    pd.DataFrame({"zzz": [1, 2]}).to_csv(folder / "other.csv", index=False)
    paths["other"] = folder / "other.csv"
    paths["folder"] = folder
    return paths


def test_undrifted_data_exits_zero_and_prints_a_table(files: dict[str, Path]) -> None:
    result = run("drift", files["ref"], files["same"], "--fail-on-drift")
    assert result.returncode == 0, result.stderr
    assert "Drift by column" in result.stdout
    assert "no dataset drift" in result.stdout


def test_drift_with_fail_on_drift_exits_one_and_writes_json_and_html(
    files: dict[str, Path],
) -> None:
    out_json, out_html = files["folder"] / "out.json", files["folder"] / "out.html"
    result = run(
        "drift",
        files["ref"],
        files["drifted"],
        "--json",
        out_json,
        "--html",
        out_html,
        "--fail-on-drift",
    )
    assert result.returncode == 1, result.stderr
    payload = json.loads(out_json.read_text())
    assert payload["dataset_drift"] is True
    assert payload["drifted_columns"] == 2
    assert out_html.read_text(encoding="utf-8").lower().startswith("<!doctype html>")
    assert "DATASET DRIFT" in result.stdout


def test_drift_without_fail_on_drift_exits_zero(files: dict[str, Path]) -> None:
    assert run("drift", files["ref"], files["drifted"], "-q").returncode == 0


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (("missing.csv", "same"), "file not found"),
        (("bad", "same"), "cannot read"),
        (("ref", "other"), "share no column"),
        (("ref", "same", "--method", "nope"), "unknown drift method 'nope'; valid methods:"),
        (("ref", "same", "--numerical", "nope"), "unknown column"),
        (("ref", "same", "--method", "c=ks"), "does not work on categorical column 'c'"),
        (("ref", "same", "--threshold", "2", "--method", "ks"), "must be a p-value in (0, 1)"),
        (("ref", "same", "--method", "a=ks,broken"), "expected NAME or COLUMN=NAME"),
    ],
    ids=[
        "missing-file",
        "unreadable-file",
        "no-common-columns",
        "unknown-method",
        "unknown-column",
        "method-wrong-kind",
        "threshold-out-of-range",
        "malformed-method",
    ],
)
def test_user_errors_exit_two_with_one_line_and_no_traceback(
    files: dict[str, Path], args: tuple[str, ...], message: str
) -> None:
    resolved = [str(files[a]) if a in files else a for a in args]
    result = run("drift", *resolved)
    assert result.returncode == 2
    assert "Traceback" not in result.stderr
    lines = result.stderr.strip().splitlines()
    assert len(lines) == 1
    assert message in lines[0]
