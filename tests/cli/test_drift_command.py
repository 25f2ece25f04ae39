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


# The modules a Parquet comparison by the default rule never imports (issue 13, item 7).
LAZY_MODULES = ("pandas", "scipy", "scipy.stats", "jinja2", "pyarrow.parquet", "pyarrow.fs")
HARNESS = """
import json, sys
modules = json.loads(sys.argv.pop(-1))
from monitml.cli.main import main
sys.argv = ["monitml", *sys.argv[1:]]
try:
    main()
finally:
    loaded = [name for name in modules if name in sys.modules]
    sys.stderr.write("loaded: " + json.dumps(loaded) + "\\n")
"""


@pytest.fixture(scope="module")
def large_files(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, Path]:
    """5,000 rows a side: KS's p-value comes from Kolmogorov's limit, not SciPy's exact one."""
    folder = tmp_path_factory.mktemp("lazy")
    rng = np.random.default_rng(7)
    n = 5_000

    def make(shift: float) -> pd.DataFrame:
        gaps = rng.random(n) < 0.05
        return pd.DataFrame(
            {
                "a": np.where(gaps, np.nan, rng.normal(shift, 1, n)),
                "code": rng.integers(0, 3, n),
                "city": pd.Series(rng.choice(["x", "y", "z"], n)).where(~gaps),
                "flag": rng.random(n) < 0.4,
            }
        )

    paths = folder / "ref.parquet", folder / "cur.parquet"
    make(0.0).to_parquet(paths[0])
    make(0.3).to_parquet(paths[1])
    return paths


def test_a_parquet_comparison_by_the_default_rule_imports_no_pandas_scipy_or_jinja(
    large_files: tuple[Path, Path], tmp_path: Path
) -> None:
    out = tmp_path / "out.json"
    command = [
        sys.executable,
        "-c",
        HARNESS,
        "drift",
        *map(str, large_files),
        "--json",
        str(out),
        json.dumps(LAZY_MODULES),
    ]
    result = subprocess.run(command, capture_output=True, text=True, timeout=120, check=False)
    assert result.returncode == 0, result.stderr
    assert result.stderr.strip().splitlines()[-1] == "loaded: []"
    assert json.loads(out.read_text())["columns"]["a"]["method"] == "ks"
    assert "Drift by column" in result.stdout


def test_the_json_of_a_parquet_comparison_equals_the_dataframe_api_s(
    large_files: tuple[Path, Path], tmp_path: Path
) -> None:
    from monitml.analysis import compare  # noqa: PLC0415

    out = tmp_path / "out.json"
    reference, current = large_files
    assert run("drift", reference, current, "--json", out, "-q").returncode == 0
    from_cli = json.loads(out.read_text())
    sources = {"reference": {"source": str(reference)}, "current": {"source": str(current)}}
    report = compare(pd.read_parquet(reference), pd.read_parquet(current), sources=sources)
    from_api = json.loads(report.to_json())
    from_cli.pop("generated_at"), from_api.pop("generated_at")
    assert from_cli == from_api
    assert from_cli["columns"]["a"]["drift_detected"] is True


def test_the_table_gives_a_reason_only_to_a_column_that_has_one(tmp_path: Path) -> None:
    rng = np.random.default_rng(9)
    reference = pd.DataFrame({"a": rng.normal(0, 1, 500), "b": rng.normal(0, 1, 500)})
    current = reference.assign(b=rng.choice(["x", "y"], 500))  # b changes type
    reference.to_parquet(tmp_path / "ref.parquet")
    current.to_parquet(tmp_path / "cur.parquet")
    result = run("drift", tmp_path / "ref.parquet", tmp_path / "cur.parquet")
    assert result.returncode == 0, result.stderr
    assert "(type" in result.stdout
    assert "nan" not in result.stdout  # a missing reason is not printed as "(nan)"
