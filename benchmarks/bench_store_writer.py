"""How many predictions a second the LogWriter puts into SQLite and PostgreSQL.

    .venv/bin/python benchmarks/bench_store_writer.py [--records 200000] [--postgres URL]

The records look like a gateway's: 14 features (10 numeric, 4 categorical), a class prediction
and two probabilities. They are built before the clock starts; what is timed is what the writer
does, from the first ``submit`` of a burst of them until ``close`` returns with every record
committed (spilling and replaying what overflows the queue included). Each backend
is also timed without the writer (``insert_predictions`` in batches) to show the writer's overhead.
PostgreSQL gets a fresh schema, dropped afterwards; the URL defaults to the test server's env var.
"""

from __future__ import annotations

import argparse
import os
import random
import tempfile
import time
import uuid
from collections.abc import Iterator
from contextlib import AbstractContextManager, contextmanager
from pathlib import Path

import sqlalchemy as sa

from monitml.store import LogWriter, PredictionRecord, PredictionStore

PLANS = ["basic", "plus", "pro", "enterprise"]
REGIONS = ["eu-west", "eu-north", "us-east", "us-west", "ap-south"]


def make_records(n: int, seed: int = 0) -> list[PredictionRecord]:
    rng = random.Random(seed)
    start = time.time() - n / 1000
    records = []
    for i in range(n):
        features: dict[str, object] = {f"num_{j}": rng.gauss(j, 1 + j) for j in range(10)}
        features |= {
            "plan": rng.choice(PLANS),
            "region": rng.choice(REGIONS),
            "device": rng.choice(["ios", "android", "web"]),
            "promo": rng.random() < 0.2,
        }
        p = rng.random()
        records.append(
            PredictionRecord(
                request_id=uuid.uuid4().hex,
                record_id=f"rec-{i}",
                model="churn",
                version="v2" if i % 4 == 0 else "v1",
                timestamp=start + i / 1000,
                features=features,
                prediction=int(p > 0.5),
                latency_seconds=rng.uniform(0.001, 0.01),
                probabilities={"0": 1 - p, "1": p},
            )
        )
    return records


def time_writer(
    store: PredictionStore, records: list[PredictionRecord], spill: Path, max_queue: int
) -> dict[str, float]:
    writer = LogWriter(store, spill_path=spill, max_queue=max_queue).start()
    started = time.perf_counter()
    for record in records:
        writer.submit(record)
    submitted = time.perf_counter()
    if not writer.close(timeout=600):
        raise SystemExit("the writer did not finish in 10 minutes")
    finished = time.perf_counter()
    if store.count_predictions() != len(records) or writer.written_total != len(records):
        raise SystemExit("not every record reached the store")
    return {
        "records_per_s": len(records) / (finished - started),
        "submit_us": (submitted - started) / len(records) * 1e6,
        "spilled": writer.spilled_total,
    }


def time_direct(
    store: PredictionStore, records: list[PredictionRecord], batch: int = 2_000
) -> float:
    started = time.perf_counter()
    for i in range(0, len(records), batch):
        store.insert_predictions(records[i : i + batch])
    return len(records) / (time.perf_counter() - started)


@contextmanager
def sqlite_store(folder: Path, name: str) -> Iterator[PredictionStore]:
    store = PredictionStore.from_url(f"sqlite:///{folder / name}")
    yield store
    store.dispose()


@contextmanager
def postgres_store(base_url: str) -> Iterator[PredictionStore]:
    schema = f"monitml_bench_{uuid.uuid4().hex[:8]}"
    admin = sa.create_engine(base_url)
    with admin.begin() as connection:
        connection.execute(sa.text(f'CREATE SCHEMA "{schema}"'))
    url = sa.make_url(base_url).update_query_dict({"options": f"-csearch_path={schema}"})
    store = PredictionStore.from_url(url.render_as_string(hide_password=False))
    try:
        yield store
    finally:
        store.dispose()
        with admin.begin() as connection:
            connection.execute(sa.text(f'DROP SCHEMA "{schema}" CASCADE'))
        admin.dispose()


def open_store(
    backend: str, folder: Path, postgres_url: str | None, label: str
) -> AbstractContextManager[PredictionStore]:
    if backend == "sqlite":
        return sqlite_store(folder, f"{label}.db")
    return postgres_store(str(postgres_url))


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--records", type=int, default=200_000)
    parser.add_argument("--postgres", default=os.environ.get("MONITML_TEST_POSTGRES_URL"))
    args = parser.parse_args()

    print(f"building {args.records:,} records (14 features) ...", flush=True)
    records = make_records(args.records)
    print(f"{'backend':<12}{'path':<22}{'records/s':>12}{'submit µs':>12}{'spilled':>10}")
    backends = ["sqlite"] + (["postgresql"] if args.postgres else [])
    with tempfile.TemporaryDirectory() as tmp:
        folder = Path(tmp)
        for backend in backends:
            # The default queue (100k) overflows in a burst of 200k: the excess is spilled and
            # replayed, and that is included. A queue as large as the burst shows the drain rate.
            for label, max_queue in (
                ("LogWriter", 100_000),
                ("LogWriter, big queue", len(records)),
            ):
                with open_store(backend, folder, args.postgres, f"writer{max_queue}") as store:
                    found = time_writer(store, records, folder / f"{backend}.spill", max_queue)
                print(
                    f"{backend:<12}{label:<22}{found['records_per_s']:>12,.0f}"
                    f"{found['submit_us']:>12.1f}{found['spilled']:>10,.0f}",
                    flush=True,
                )
            with open_store(backend, folder, args.postgres, "direct") as store:
                rate = time_direct(store, records)
            print(f"{backend:<12}{'insert_predictions':<22}{rate:>12,.0f}", flush=True)


if __name__ == "__main__":
    main()
