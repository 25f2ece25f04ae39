"""``monitml drift --multivariate``: PCA and domain-classifier drift in the drift JSON (item 6)."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import numpy as np
import pandas as pd

MONITML = [sys.executable, "-m", "monitml.cli"]
AMES = Path(__file__).resolve().parents[2] / "src" / "monitml" / "data" / "ames_housing.parquet"
COLUMNS = ["gr_liv_area", "overall_qual", "year_built", "total_bsmt_sf", "tot_rms_abv_grd"]


def test_a_broken_correlation_shows_in_the_multivariate_section_only(tmp_path: Path) -> None:
    houses = pd.read_parquet(AMES)[COLUMNS]
    rng = np.random.default_rng(0)
    order = rng.permutation(len(houses))
    reference = houses.iloc[order[: len(houses) // 2]]
    current = houses.iloc[order[len(houses) // 2 :]].copy()
    current["tot_rms_abv_grd"] = rng.permutation(current["tot_rms_abv_grd"].to_numpy())
    reference.to_parquet(tmp_path / "ref.parquet")
    current.to_parquet(tmp_path / "cur.parquet")
    out = tmp_path / "drift.json"
    command = [
        *MONITML,
        "drift",
        str(tmp_path / "ref.parquet"),
        str(tmp_path / "cur.parquet"),
        "--multivariate",
        "--json",
        str(out),
    ]
    result = subprocess.run(command, capture_output=True, text=True, timeout=120, check=False)
    assert result.returncode == 0, result.stderr
    assert "multivariate pca" in result.stdout
    document = json.loads(out.read_text())
    assert document["drifted_columns"] == 0
    for method in ("pca", "classifier"):
        entry = document["multivariate"][method]
        assert entry["drift_detected"] is True
        assert entry["statistic"] > entry["threshold"]


def test_without_the_flag_the_drift_json_has_no_multivariate_section(tmp_path: Path) -> None:
    houses = pd.read_parquet(AMES)[COLUMNS]
    houses.iloc[:1000].to_csv(tmp_path / "ref.csv", index=False)
    houses.iloc[1000:2000].to_csv(tmp_path / "cur.csv", index=False)
    out = tmp_path / "drift.json"
    command = [
        *MONITML,
        "drift",
        str(tmp_path / "ref.csv"),
        str(tmp_path / "cur.csv"),
        "-q",
        "--json",
        str(out),
    ]
    result = subprocess.run(command, capture_output=True, text=True, timeout=120, check=False)
    assert result.returncode == 0, result.stderr
    assert "multivariate" not in json.loads(out.read_text())
