"""Fixtures shared across the suite."""

from __future__ import annotations

import os
from pathlib import Path

import pandas as pd
import pytest

PACKAGE_DATA = Path(__file__).resolve().parents[1] / "src" / "monitml" / "data"


@pytest.fixture(scope="session")
def flights_3m() -> pd.DataFrame:
    """US flights Jan–Jun 2001 (3,000,000 rows), from npm's vega-datasets via `make test`."""
    folder = os.environ.get(
        "MONITML_TEST_DATASETS", str(Path(__file__).resolve().parents[1] / ".cache/datasets")
    )
    path = Path(folder) / "flights-3m.parquet"
    if not path.exists():
        pytest.fail(f"{path} is missing: run `make test-data` (make test does it)")
    return pd.read_parquet(path)


@pytest.fixture(scope="session")
def flights_2013() -> tuple[pd.DataFrame, pd.DataFrame]:
    """The shipped NYC flights samples: Jan–Mar and Jul–Sep 2013."""
    return (
        pd.read_parquet(PACKAGE_DATA / "flights_reference.parquet"),
        pd.read_parquet(PACKAGE_DATA / "flights_current.parquet"),
    )
