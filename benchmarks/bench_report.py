"""Cost and size of ``monitml report``: a year of flights-like predictions in monthly chunks.

Builds a SQLite store in a temporary folder with a year (2026) of predictions of two versions
(v1 75%, v2 25%) with 15 features: the seven of the shipped flights samples
(``src/monitml/data/flights_*.parquet``) and eight synthetic ones; from July on, v2 sees the
later flights sample and its synthetic features move. Half the rows get their label
(``arr_delay``). Then times the two stages of a report, each a few times:

* collect: read the year from the store and score every monthly chunk and the whole period
  of each version (``monitml.monitor.period.collect_period``);
* render: build the Bokeh charts and write the HTML file (``write_period_html``).

and prints the median, min and max of each and the file size.

    .venv/bin/python benchmarks/bench_report.py                    # 500 rows a day
    .venv/bin/python benchmarks/bench_report.py --rows-per-day 2000 --repeat 3
"""

from __future__ import annotations

import argparse
import statistics
import tempfile
import time
import uuid
from pathlib import Path

import numpy as np
import pandas as pd

from monitml.monitor.chunks import parse_chunk
from monitml.monitor.model_monitor import ModelMonitor
from monitml.monitor.period import collect_period
from monitml.monitor.policy import MonitorPolicy
from monitml.report.period_html import write_period_html
from monitml.store import PredictionStore
from monitml.store.records import LabelRecord, PredictionRecord

DATA = Path(__file__).resolve().parents[1] / "src" / "monitml" / "data"
NUMERICAL = ["dep_delay", "distance", "air_time", "hour"] + [f"n{i}" for i in range(5)]
CATEGORICAL = ["carrier", "origin", "dest"] + [f"k{i}" for i in range(3)]
FEATURES = NUMERICAL + CATEGORICAL
START = pd.Timestamp("2026-01-01", tz="UTC").timestamp()
DAYS = 365
DAY = 86_400.0


def synthetic(frame: pd.DataFrame, rng: np.random.Generator, drifted: bool) -> pd.DataFrame:
    n = len(frame)
    shares = [0.55, 0.15, 0.15, 0.15] if drifted else [0.25] * 4
    extra = {f"n{i}": rng.normal(1.0 if drifted else 0.0, 1.0, n) for i in range(5)}
    extra |= {f"k{i}": rng.choice(["a", "b", "c", "d"], n, p=shares) for i in range(3)}
    frame = frame.reset_index(drop=True).assign(**extra)
    return frame.assign(prediction=0.9 * frame["dep_delay"].fillna(0.0) + 3.0)


def fill(store: PredictionStore, rows_per_day: int, rng: np.random.Generator) -> int:
    reference = pd.read_parquet(DATA / "flights_reference.parquet")
    current = pd.read_parquet(DATA / "flights_current.parquet")
    total = 0
    for day in range(DAYS):
        late = day >= 181  # July on
        records, labels = [], []
        for version, share in (("v1", 0.75), ("v2", 0.25)):
            n = round(rows_per_day * share)
            source = current if late and version == "v2" else reference
            part = synthetic(source.sample(n, random_state=day * 2 + (version == "v2")), rng,
                             drifted=late and version == "v2")  # fmt: skip
            cleaned = part.astype(object).where(part.notna(), None)
            for i, row in enumerate(cleaned.to_dict("records")):
                record_id = f"{version}-{day}-{i}"
                records.append(
                    PredictionRecord(
                        request_id=uuid.uuid4().hex,
                        record_id=record_id,
                        model="flights",
                        version=version,
                        timestamp=START + day * DAY + (i + 0.5) * DAY / n,
                        features={k: row[k] for k in FEATURES},
                        prediction=float(row["prediction"]),
                        latency_seconds=0.001,
                    )
                )
                if i % 2 == 0 and row["arr_delay"] is not None:
                    labels.append(
                        LabelRecord(
                            "flights", record_id, float(row["arr_delay"]), START + day * DAY
                        )
                    )
        store.insert_predictions(records)
        store.insert_labels(labels)
        total += len(records)
    return total


def monitor() -> ModelMonitor:
    rng = np.random.default_rng(1)
    reference = synthetic(pd.read_parquet(DATA / "flights_reference.parquet"), rng, False)
    return ModelMonitor(
        "flights",
        reference[[*FEATURES, "prediction", "arr_delay"]],
        features=FEATURES,
        numerical=NUMERICAL,
        categorical=CATEGORICAL,
        target="arr_delay",
        policy=MonitorPolicy(),
    )


def summary(values: list[float]) -> str:
    return f"{statistics.median(values):.2f} s ({min(values):.2f}–{max(values):.2f})"


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rows-per-day", type=int, default=500)
    parser.add_argument("--repeat", type=int, default=3)
    parser.add_argument("--chunk", default="1mo", help="calendar months by default")
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as folder:
        store = PredictionStore.from_url(f"sqlite:///{Path(folder) / 'store.db'}")
        started = time.perf_counter()
        rows = fill(store, args.rows_per_day, np.random.default_rng(0))
        print(f"store: {rows:,} predictions over {DAYS} days, filled in "
              f"{time.perf_counter() - started:.1f} s")  # fmt: skip
        model_monitor = monitor()
        spec = parse_chunk(args.chunk)
        collect, render = [], []
        size = 0
        for _ in range(args.repeat):
            started = time.perf_counter()
            results = collect_period(
                store, model_monitor, start=START, end=START + DAYS * DAY, chunk=spec
            )
            collect.append(time.perf_counter() - started)
            started = time.perf_counter()
            path = write_period_html(results, Path(folder) / "report.html")
            render.append(time.perf_counter() - started)
            size = path.stat().st_size
        chunks = sum(len(v.chunks) for v in results.versions)
        store.dispose()
    print(f"report: {len(results.versions)} versions, {chunks} chunks ({args.chunk}), "
          f"{len(FEATURES)} features")  # fmt: skip
    print(f"  collect (read + score): {summary(collect)}")
    print(f"  render (charts + HTML): {summary(render)}  (first includes importing Bokeh)")
    print(f"  file: {size / 1e6:.2f} MB")


if __name__ == "__main__":
    main()
