"""A partitioned log exported from a real SQLite store, and the engines that summarise it."""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from monitml.engines import Engine, get_engine
from monitml.monitor.model_monitor import ModelMonitor
from monitml.monitor.policy import MonitorPolicy
from monitml.store import LabelRecord, PredictionRecord, PredictionStore
from monitml.store.export import export_log

DAY = 86_400.0
START = pd.Timestamp("2026-03-01", tz="UTC").timestamp()
DAYS = 3
# v1 has more rows a day than a summary keeps exactly (EXACT_CAP): its chunks are compared
# through the histograms and sketches; v2's are small enough to be compared exactly.
PER_DAY = {"v1": 6_000, "v2": 400}
# (version, day) → how many σ x1 and x2 move: a dataset drift on those chunks only.
SHIFTS = {("v1", 2): 1.0, ("v2", 1): 3.0}


def _features(rng: np.random.Generator, n: int, shift: float) -> pd.DataFrame:
    return pd.DataFrame(
        {
            "x1": rng.normal(shift, 1.0, n),
            "x2": rng.normal(shift, 1.0, n),
            "x3": rng.exponential(1.0, n),
            "c": rng.choice(["a", "b", "c"], n, p=[0.5, 0.3, 0.2]),
        }
    )


@dataclass(frozen=True)
class PartitionedLog:
    store: PredictionStore
    monitor: ModelMonitor
    root: Path


@pytest.fixture(scope="package")
def partitioned_log(tmp_path_factory: pytest.TempPathFactory) -> Iterator[PartitionedLog]:
    folder = tmp_path_factory.mktemp("engines")
    rng = np.random.default_rng(13)
    reference = _features(rng, 3_000, 0.0)
    reference["prediction"] = 2 * reference["x1"] + reference["x2"]
    reference["label"] = reference["prediction"] + rng.normal(0.0, 0.1, len(reference))
    monitor = ModelMonitor(
        "m",
        reference,
        features=["x1", "x2", "x3", "c"],
        numerical=["x1", "x2", "x3"],
        categorical=["c"],
        target="label",
        policy=MonitorPolicy(min_rows=30),
    )
    store = PredictionStore.from_url(f"sqlite:///{folder / 'store.db'}")
    records, labels = [], []
    for version, n in PER_DAY.items():
        for day in range(DAYS):
            frame = _features(rng, n, SHIFTS.get((version, day), 0.0))
            truth = (2 * frame["x1"] + frame["x2"]).to_numpy()
            for i, row in enumerate(frame.to_dict("records")):
                record_id = f"{version}-{day}-{i}"
                records.append(
                    PredictionRecord(
                        request_id=record_id,
                        record_id=record_id,
                        model="m",
                        version=version,
                        timestamp=START + day * DAY + (i + 0.5) * DAY / n,
                        features={str(key): value for key, value in row.items()},
                        prediction=float(truth[i]),
                        latency_seconds=0.01,
                    )
                )
                if i % 2 == 0:
                    label = float(truth[i] + rng.normal(0.0, 0.1))
                    labels.append(LabelRecord("m", record_id, label, START + day * DAY))
    store.insert_predictions(records)
    store.insert_labels(labels)
    export_log(store, folder / "log")
    yield PartitionedLog(store, monitor, folder / "log")
    store.dispose()


@pytest.fixture(scope="package")
def dask_engine() -> Iterator[Engine]:
    """A LocalCluster of two worker processes."""
    engine = get_engine("dask", workers=2)
    yield engine
    engine.close()


@pytest.fixture(scope="package")
def spark_engine() -> Iterator[Engine]:
    """Spark in local[2] (Debian's OpenJDK 17)."""
    engine = get_engine("spark", workers=2)
    yield engine
    engine.close()
