"""The fallback guard's cost per record on the request path, next to what a request costs anyway.

The guard of the Ames house-price model (10 numerical ranges, 3 category sets, from the
2006–2007 reference) checks the 2008–2010 houses, as ``POST /predict`` would after validation.
For scale it also times, per record, the request-body validation of the model's generated
schema and the scikit-learn model's prediction of one house (one thread, as the gateway runs
it), the two steps every request already pays. Each figure is the best of ``--repeat`` timings
of ``--number`` calls (timeit).

    flock /tmp/monitml-timing.lock .venv/bin/python benchmarks/bench_fallback.py
    flock /tmp/monitml-timing.lock .venv/bin/python benchmarks/bench_fallback.py --repeat 7
"""

from __future__ import annotations

import argparse
import os
import tempfile
import timeit
from pathlib import Path
from typing import Any

import joblib
import pandas as pd

from monitml.app.gateway import limit_model_threads
from monitml.app.models import input_bounds
from monitml.demo.models import AMES_CATEGORICAL, AMES_NUMERICAL, write_demo
from monitml.serving import Feature, FeatureSchema
from monitml.serving.fallback import FallbackGuard, apply_fallback
from monitml.serving.schemas import build_schemas


def _plain(value: Any) -> Any:
    return value.item() if hasattr(value, "item") else value


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--number", type=int, default=20_000, help="calls per timing")
    parser.add_argument("--repeat", type=int, default=5, help="timings; the best is kept")
    args = parser.parse_args()
    limit_model_threads(1)  # as the gateway serves it (server.model_threads: 1)

    with tempfile.TemporaryDirectory() as folder:
        write_demo(Path(folder))
        reference = pd.read_parquet(Path(folder) / "reference.parquet")
        traffic = pd.read_parquet(Path(folder) / "traffic.parquet")
        model = joblib.load(Path(folder) / "models" / "gbm.joblib")
    features = FeatureSchema(
        tuple(Feature(n, "numerical", "number") for n in AMES_NUMERICAL)
        + tuple(Feature(n, "categorical", "string") for n in AMES_CATEGORICAL)
    )
    guard = FallbackGuard("rules", input_bounds(reference, features))
    columns = list(features.names)
    rows = [
        {str(k): _plain(v) for k, v in row.items()}
        for row in traffic[columns].dropna().head(1_000).to_dict("records")
    ]
    outside = sum(guard.check(row) is not None for row in rows)
    schemas = build_schemas("house-price", features, "regression", "sale_price", 1_000)
    one_frame = pd.DataFrame([rows[0]])[columns]

    def per_record(statement: Any, records: int = 1, number: int = args.number) -> float:
        best = min(timeit.repeat(statement, number=number, repeat=args.repeat))
        return best / number / records * 1e6

    cycle = iter(rows * (args.number * args.repeat // len(rows) + 2))
    check_us = per_record(lambda: guard.check(next(cycle)))
    batch = rows[:100]
    batch_us = per_record(
        lambda: apply_fallback(guard, batch, ["v1"] * len(batch)), 100, args.number // 100
    )
    validate_us = per_record(lambda: schemas.record.model_validate(rows[0]), 1, args.number // 4)
    predict_us = per_record(lambda: model.predict(one_frame), 1, 50)

    print(f"load average (1 min): {os.getloadavg()[0]:.2f}; cores: {os.cpu_count()}")
    print(
        f"guard: {len(guard.bounds.ranges)} ranges, {len(guard.bounds.categories)} category sets;"
        f" {outside} of {len(rows)} 2008-2010 houses fall outside the 2006-2007 reference"
    )
    print(f"guard.check, one record:             {check_us:8.2f} us")
    print(f"apply_fallback, batch of 100:        {batch_us:8.2f} us per record")
    print(f"body validation, one record:         {validate_us:8.2f} us")
    print(f"model.predict (sklearn), one house:  {predict_us:8.2f} us")
    print(f"guard / (validation + prediction):   {check_us / (validate_us + predict_us):8.2%}")


if __name__ == "__main__":
    main()
