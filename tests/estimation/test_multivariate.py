"""Multivariate drift on real data: a broken correlation that no column shows on its own."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from monitml.analysis import compare
from monitml.errors import DataError
from monitml.estimation.multivariate import DomainClassifier, PCAReconstruction, multivariate_drift

AMES = Path(__file__).resolve().parents[2] / "src" / "monitml" / "data" / "ames_housing.parquet"
NUMERIC = [
    "gr_liv_area",
    "overall_qual",
    "year_built",
    "total_bsmt_sf",
    "garage_cars",
    "lot_area",
    "full_bath",
    "tot_rms_abv_grd",
]


def _halves(seed: int) -> tuple[pd.DataFrame, pd.DataFrame, np.random.Generator]:
    houses = pd.read_parquet(AMES)[NUMERIC]
    rng = np.random.default_rng(seed)
    order = rng.permutation(len(houses))
    half = len(houses) // 2
    reference = houses.iloc[order[:half]].reset_index(drop=True)
    return reference, houses.iloc[order[half:]].reset_index(drop=True), rng


@pytest.mark.parametrize("seed", [0, 1], ids=["split-0", "split-1"])
def test_shuffling_one_of_two_correlated_columns_fires_only_the_multivariate_methods(
    seed: int,
) -> None:
    reference, current, rng = _halves(seed)
    assert reference["gr_liv_area"].corr(reference["tot_rms_abv_grd"]) > 0.8
    shuffled = current.assign(
        tot_rms_abv_grd=rng.permutation(current["tot_rms_abv_grd"].to_numpy())
    )
    assert compare(reference, shuffled).drifted_columns == 0  # every marginal is unchanged
    found = multivariate_drift(reference, shuffled)
    assert found["pca"].drift_detected
    assert found["classifier"].drift_detected


@pytest.mark.parametrize("seed", [0, 1], ids=["split-0", "split-1"])
def test_an_unshuffled_random_half_fires_neither_kind_of_test(seed: int) -> None:
    reference, current, _ = _halves(seed)
    assert compare(reference, current).drifted_columns == 0
    found = multivariate_drift(reference, current)
    assert not found["pca"].drift_detected
    assert not found["classifier"].drift_detected
    assert found["classifier"].statistic < found["classifier"].threshold


def test_results_carry_statistic_threshold_and_verdict_for_the_json() -> None:
    reference, current, _ = _halves(2)
    entry = PCAReconstruction().fit(reference).score(current).to_dict()
    assert {"statistic", "threshold", "drift_detected"} <= set(entry)
    assert entry["method"] == "pca"


def test_categorical_columns_take_part_and_unknown_columns_are_refused() -> None:
    houses = pd.read_parquet(AMES)
    columns = ["neighborhood", "house_style", "gr_liv_area"]
    result = DomainClassifier().fit(houses.iloc[:1000], columns).score(houses.iloc[1000:2000])
    assert 0.0 <= result.statistic <= 1.0
    with pytest.raises(DataError, match="unknown column"):
        PCAReconstruction().fit(houses, ["no_such_column"])
