"""The real data the demo ships with (``monitml/data``, licences in ``docs/DATA.md``)."""

from __future__ import annotations

import json
from importlib import resources
from typing import Any

import pandas as pd

__all__ = ["json_records", "load_ames", "load_flights"]


def _read(name: str) -> pd.DataFrame:
    with resources.as_file(resources.files("monitml") / "data" / name) as path:
        return pd.read_parquet(path)


def load_ames() -> pd.DataFrame:
    """The Ames housing sales (De Cock 2011), complete records only, in date order.

    2,927 of the 2,930 sales; the gateway takes complete records, and two basements and a
    garage are unrecorded.
    """
    frame = _read("ames_housing.parquet").dropna()
    return frame.sort_values(["yr_sold", "mo_sold"], kind="stable").reset_index(drop=True)


def load_flights() -> pd.DataFrame:
    """1,500 completed NYC flights per month of 2013, with the origin's weather at departure.

    ``scheduled`` is the scheduled departure (UTC); ``arr_delay`` is known only on arrival.
    """
    return _read("flights_2013.parquet")


def json_records(frame: pd.DataFrame) -> list[dict[str, Any]]:
    """The rows of ``frame`` as JSON-ready dicts (plain numbers, no numpy scalars)."""
    records: list[dict[str, Any]] = json.loads(frame.to_json(orient="records"))
    return records
