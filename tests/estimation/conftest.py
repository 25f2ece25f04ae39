"""Small real fixtures: NannyML's employment and car price data, subsampled (docs/DATA.md)."""

from __future__ import annotations

from pathlib import Path

import pandas as pd
import pytest

DATA = Path(__file__).resolve().parent / "data"


@pytest.fixture(scope="session")
def employment() -> tuple[pd.DataFrame, pd.DataFrame]:
    """(reference, analysis with its labels): a binary classifier with scores."""
    return (
        pd.read_parquet(DATA / "employment_reference.parquet"),
        pd.read_parquet(DATA / "employment_analysis.parquet"),
    )


@pytest.fixture(scope="session")
def car_price() -> tuple[pd.DataFrame, pd.DataFrame]:
    """(reference, analysis with its labels): a regressor."""
    return (
        pd.read_parquet(DATA / "car_price_reference.parquet"),
        pd.read_parquet(DATA / "car_price_analysis.parquet"),
    )
