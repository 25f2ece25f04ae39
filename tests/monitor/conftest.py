"""A small seeded prediction log of two versions over whole UTC days, in a real SQLite store."""

from __future__ import annotations

import uuid
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from monitml.monitor.model_monitor import ModelMonitor
from monitml.monitor.policy import MonitorPolicy
from monitml.store import PredictionStore
from monitml.store.records import LabelRecord, PredictionRecord

NUMERICAL = ["x1", "x2", "x3"]
CATEGORICAL = ["c"]
DAY = 86_400.0
START = pd.Timestamp("2026-03-01", tz="UTC").timestamp()


def _features(rng: np.random.Generator, n: int, shift: float) -> pd.DataFrame:
    return pd.DataFrame(
        {
            "x1": rng.normal(shift, 1.0, n),
            "x2": rng.normal(shift, 1.0, n),
            "x3": rng.exponential(1.0, n),
            "c": rng.choice(["a", "b", "c"], n, p=[0.5, 0.3, 0.2]),
        }
    )


@dataclass
class Log:
    """What was logged: the store, a monitor of model ``m`` and the rows of each version/day."""

    store: PredictionStore
    monitor: ModelMonitor
    rows: dict[tuple[str, int], int]


LogFactory = Callable[..., Log]


@pytest.fixture
def make_log(tmp_path: Path) -> Iterator[LogFactory]:
    """``make_log(days=3, per_day={"v1": 120, "v2": 40}, shift={"v2": {2: 3.0}}, bias=...)``.

    ``shift[version][day]`` moves x1 and x2 by that many σ on that day (a dataset drift);
    ``bias[version]`` adds to every prediction; half the rows get a label (the unbiased
    prediction + N(0, 0.1)).
    """
    stores: list[PredictionStore] = []

    def make(
        days: int = 3,
        per_day: dict[str, int] | None = None,
        shift: dict[str, dict[int, float]] | None = None,
        bias: dict[str, float] | None = None,
    ) -> Log:
        rng = np.random.default_rng(7)
        reference = _features(rng, 3_000, 0.0)
        reference["prediction"] = 2 * reference["x1"] + reference["x2"]
        reference["label"] = reference["prediction"] + rng.normal(0.0, 0.1, len(reference))
        monitor = ModelMonitor(
            "m",
            reference,
            features=NUMERICAL + CATEGORICAL,
            numerical=NUMERICAL,
            categorical=CATEGORICAL,
            target="label",
            policy=MonitorPolicy(min_rows=30),
        )
        store = PredictionStore.from_url(f"sqlite:///{tmp_path / 'store.db'}")
        stores.append(store)
        counts: dict[tuple[str, int], int] = {}
        records, labels = [], []
        for version, n in (per_day or {"v1": 120, "v2": 40}).items():
            for day in range(days):
                frame = _features(rng, n, (shift or {}).get(version, {}).get(day, 0.0))
                truth = 2 * frame["x1"] + frame["x2"]
                counts[(version, day)] = n
                for i, row in enumerate(frame.to_dict("records")):
                    record_id = f"{version}-{day}-{i}"
                    records.append(
                        PredictionRecord(
                            request_id=uuid.uuid4().hex,
                            record_id=record_id,
                            model="m",
                            version=version,
                            timestamp=START + day * DAY + (i + 0.5) * DAY / n,
                            features={
                                k: (v.item() if hasattr(v, "item") else v) for k, v in row.items()
                            },
                            prediction=float(truth.iloc[i]) + (bias or {}).get(version, 0.0),
                            latency_seconds=0.01,
                        )
                    )
                    if i % 2 == 0:
                        label = float(truth.iloc[i] + rng.normal(0.0, 0.1))
                        labels.append(LabelRecord("m", record_id, label, START + day * DAY))
        store.insert_predictions(records)
        store.insert_labels(labels)
        return Log(store, monitor, counts)

    yield make
    for store in stores:
        store.dispose()
