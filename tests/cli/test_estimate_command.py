"""``monitml estimate REFERENCE ANALYSIS`` as a user runs it (issue 11, item 4)."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pandas as pd
import pytest

MONITML = [sys.executable, "-m", "monitml.cli"]
DATA = Path(__file__).resolve().parents[1] / "estimation" / "data"
EMPLOYMENT = ["--target", "employed", "--prediction", "prediction"]
CAR = [
    "--task",
    "regression",
    "--target",
    "y_true",
    "--prediction",
    "y_pred",
    "--ignore",
    "id,timestamp",
]


def run(*args: str | Path) -> subprocess.CompletedProcess[str]:
    command = [*MONITML, *map(str, args)]
    return subprocess.run(command, capture_output=True, text=True, timeout=120, check=False)


@pytest.fixture(scope="module")
def files(tmp_path_factory: pytest.TempPathFactory) -> dict[str, Path]:
    folder = tmp_path_factory.mktemp("estimate")
    analysis = pd.read_parquet(DATA / "employment_analysis.parquet")
    paths = {
        "ref": DATA / "employment_reference.parquet",
        "labelled": DATA / "employment_analysis.parquet",
        "unlabelled": folder / "unlabelled.csv",
        "no_labels_ref": folder / "no_labels_ref.parquet",
        "car_ref": DATA / "car_price_reference.parquet",
        "car": DATA / "car_price_analysis.parquet",
        "folder": folder,
    }
    analysis.drop(columns="employed").to_csv(paths["unlabelled"], index=False)
    reference = pd.read_parquet(paths["ref"])
    reference.assign(employed=None).to_parquet(paths["no_labels_ref"])
    return paths


def test_binary_estimate_writes_the_json_with_realised_values_and_an_html_page(
    files: dict[str, Path],
) -> None:
    out, page = files["folder"] / "e.json", files["folder"] / "e.html"
    result = run(
        "estimate",
        files["ref"],
        files["labelled"],
        "--task",
        "binary",
        *EMPLOYMENT,
        "--score",
        "predicted_probability",
        "--chunk",
        "2000rows",
        "--json",
        out,
        "--html",
        page,
    )
    assert result.returncode == 0, result.stderr
    assert "Estimated performance" in result.stdout
    document = json.loads(out.read_text())
    assert document["format"] == "monitml.estimate/1"
    assert document["task"] == "binary"
    assert [(c["start"], c["end"]) for c in document["chunks"]] == [
        (0, 2000),
        (2000, 4000),
        (4000, 5969),
    ]
    assert all(c["metrics"]["roc_auc"]["realized"] is not None for c in document["chunks"])
    assert page.read_text().startswith("<!doctype html>")


def test_without_labels_in_the_analysis_realised_is_null(files: dict[str, Path]) -> None:
    out = files["folder"] / "unlabelled.json"
    result = run(
        "estimate",
        files["ref"],
        files["unlabelled"],
        "--task",
        "binary",
        *EMPLOYMENT,
        "--score",
        "predicted_probability",
        "--chunk",
        "3000rows",
        "--json",
        out,
        "-q",
    )
    assert result.returncode == 0, result.stderr
    chunks = json.loads(out.read_text())["chunks"]
    assert [metric["realized"] for c in chunks for metric in c["metrics"].values()] == [None] * 12


def test_regression_estimate_by_week_has_iso_bounds(files: dict[str, Path]) -> None:
    out = files["folder"] / "car.json"
    result = run(
        "estimate",
        files["car_ref"],
        files["car"],
        *CAR,
        "--chunk",
        "1w",
        "--timestamp",
        "timestamp",
        "--json",
        out,
        "-q",
    )
    assert result.returncode == 0, result.stderr
    document = json.loads(out.read_text())
    assert document["task"] == "regression"
    assert set(document["chunks"][0]["metrics"]) == {"mae", "rmse"}
    assert document["chunks"][0]["start"].endswith("+00:00")


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (["--task", "binary", *EMPLOYMENT], "CBPE needs the classifier's scores"),
        (["--task", "binary", *EMPLOYMENT, "--score", "nope"], "no column 'nope'"),
        (
            [
                "--task",
                "binary",
                "--target",
                "nope",
                "--prediction",
                "prediction",
                "--score",
                "predicted_probability",
            ],
            "--target: no column 'nope'",
        ),
        (
            ["--task", "ranking", *EMPLOYMENT],
            "--task must be one of binary, multiclass, regression",
        ),
        (
            [
                "--task",
                "binary",
                *EMPLOYMENT,
                "--score",
                "predicted_probability",
                "--chunk",
                "soon",
            ],
            "--chunk",
        ),
        (
            ["--task", "binary", *EMPLOYMENT, "--score", "predicted_probability", "--chunk", "1d"],
            "--timestamp",
        ),
        (
            ["--task", "multiclass", *EMPLOYMENT, "--scores", "predicted_probability"],
            "1 score column(s) for 2 classes",
        ),
        (
            ["--task", "binary", *EMPLOYMENT, "--scores", "0=predicted_probability"],
            "no score column for the positive class 1",
        ),
    ],
    ids=[
        "no-score",
        "unknown-score",
        "unknown-target",
        "bad-task",
        "bad-chunk",
        "period-without-time",
        "too-few-scores",
        "negative-class-score",
    ],
)
def test_bad_input_exits_two_with_one_line(
    files: dict[str, Path], args: list[str], message: str
) -> None:
    result = run("estimate", files["ref"], files["labelled"], *args)
    assert result.returncode == 2, result.stdout
    assert message in result.stderr
    assert len(result.stderr.strip().splitlines()) == 1
    assert "Traceback" not in result.stderr


def test_a_reference_without_labels_exits_two_with_one_line(files: dict[str, Path]) -> None:
    result = run(
        "estimate",
        files["no_labels_ref"],
        files["labelled"],
        "--task",
        "binary",
        *EMPLOYMENT,
        "--score",
        "predicted_probability",
    )
    assert result.returncode == 2
    assert result.stderr.strip() == "error: --target: the reference has no label in 'employed'"


def test_a_missing_analysis_file_is_named(files: dict[str, Path]) -> None:
    result = run(
        "estimate",
        files["ref"],
        files["folder"] / "absent.csv",
        "--task",
        "binary",
        *EMPLOYMENT,
        "--score",
        "predicted_probability",
    )
    assert result.returncode == 2
    assert result.stderr.startswith("error: ANALYSIS: file not found")
