"""A classifier of integer classes whose labels are partly missing, checked from summaries.

An integer label column holding a missing value is read back as floats (1.0), while the
reference's classes are "0" and "1": the summaries must count 1.0 as "1", as the rows do.
"""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pandas as pd
import pyarrow as pa
import pyarrow.parquet as pq

from monitml.engines import get_engine
from monitml.monitor.batch import run_check
from monitml.monitor.chunks import parse_chunk
from monitml.monitor.model_monitor import ModelMonitor
from monitml.monitor.policy import MonitorPolicy
from monitml.monitor.summarised import run_summary_check
from monitml.store import PredictionStore
from monitml.store.partitions import log_fragments, read_log

DAY = 86_400.0
START = pd.Timestamp("2026-04-01", tz="UTC").timestamp()


def _rows(rng: np.random.Generator, n: int) -> pd.DataFrame:
    x = rng.normal(0.0, 1.0, n)
    chance = 1 / (1 + np.exp(-3 * x))
    return pd.DataFrame(
        {
            "x": x,
            "prediction": (chance >= 0.5).astype(np.int64),
            "label": (rng.random(n) < chance).astype(np.int64),
        }
    )


def test_integer_classes_with_missing_labels_give_the_rows_performance(tmp_path: Path) -> None:
    rng = np.random.default_rng(4)
    monitor = ModelMonitor(
        "m", _rows(rng, 2_000), features=["x"], numerical=["x"], target="label",
        task="classification", policy=MonitorPolicy(min_rows=30),
    )  # fmt: skip
    frame = _rows(rng, 600)
    labels = frame["label"].astype("Int64").astype(object)
    frame["label"] = labels.where(np.arange(len(frame)) % 3 != 0, None)  # a third missing
    ts = START + (np.arange(len(frame)) + 0.5) * DAY / len(frame)
    frame.insert(0, "ts", pa.array((ts * 1e6).astype(np.int64)).cast(pa.timestamp("us", tz="UTC")))
    frame.insert(1, "record_id", [str(i) for i in range(len(frame))])
    folder = tmp_path / "model=m" / "version=v1" / "date=2026-04-01"
    folder.mkdir(parents=True)
    table = pa.Table.from_pandas(frame, preserve_index=False)
    # As a pipeline writing pandas' floats would leave it: 0.0, 1.0 and nulls.
    where = table.schema.get_field_index("label")
    table = table.set_column(where, "label", table["label"].cast(pa.float64()))
    pq.write_table(table, folder / "part-0.parquet")

    end, chunk = START + DAY, parse_chunk("1d")
    store = PredictionStore.from_url("sqlite:///:memory:")
    try:
        rows = read_log(tmp_path, "m", start=START, end=end)
        exact = run_check(store, monitor, start=START, end=end, chunk=chunk, frame=rows, save=False)
        summarised = run_summary_check(
            store, monitor, log_fragments(tmp_path, "m", start=START, end=end),
            get_engine("local"), start=START, end=end, chunk=chunk, save=False,
        )  # fmt: skip
    finally:
        store.dispose()
    (mine,), (theirs,) = summarised.results, exact.results
    assert mine.labelled_rows == theirs.labelled_rows == 400
    assert mine.report is not None
    assert theirs.report is not None
    found, expected = mine.report.performance, theirs.report.performance
    assert found is not None
    assert expected is not None
    assert found["labels"] == expected["labels"] == ["0", "1"]
    assert found["current"]["confusion_matrix"] == expected["current"]["confusion_matrix"]
    assert found["current"]["accuracy"] == expected["current"]["accuracy"]
    assert 0.6 < found["current"]["accuracy"] < 1.0
