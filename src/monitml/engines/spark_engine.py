"""The Spark engine: the files read by Spark, each task's Arrow batches summarised on its
executor (``mapInArrow``) and merged there, so one summary per version and chunk per task
comes back to the driver.

Without ``master`` it starts ``local[workers]`` (a JVM: Java 17 or later) and stops it on
``close``; with ``master`` it runs on that cluster, whose executors must have MonitML
installed. Timestamps are read in UTC whatever the session's zone; partition values stay text.
"""

from __future__ import annotations

import os
import sys
import warnings
from collections.abc import Iterator, Sequence
from pathlib import Path
from typing import Any

import pyarrow as pa

from monitml.monitor.summarised import ChunkSummary, Part, SummaryPlan, summarise_frame
from monitml.store.partitions import TS_TYPE, LogFragment

__all__ = ["SparkEngine", "open_engine"]

_PARTS = "version string, lower double, payload binary"
# Rows per Arrow batch handed to a task: bigger batches, fewer summaries to merge.
_BATCH_ROWS = 200_000


def _summarise_batches(
    plan: SummaryPlan, batches: Iterator[pa.RecordBatch]
) -> Iterator[pa.RecordBatch]:
    merged: dict[tuple[str, float], ChunkSummary] = {}
    for batch in batches:
        table = pa.Table.from_batches([batch])
        micros = table["ts"].cast(TS_TYPE).cast(pa.int64()).to_numpy(zero_copy_only=False)
        frame = table.drop_columns(["ts"]).to_pandas()
        frame.insert(0, "timestamp", micros / 1_000_000)
        for version, rows in frame.groupby("version", sort=True):
            ordered = rows.sort_values("timestamp", kind="stable").reset_index(drop=True)
            for lower, summary in summarise_frame(plan, ordered).items():
                key = (str(version), lower)
                mine = merged.get(key)
                merged[key] = summary if mine is None else mine.merge(summary)
    if merged:
        keys = sorted(merged)
        yield pa.RecordBatch.from_pydict(
            {
                "version": [k[0] for k in keys],
                "lower": [k[1] for k in keys],
                "payload": [merged[k].to_bytes() for k in keys],
            },
            schema=pa.schema(
                [("version", pa.string()), ("lower", pa.float64()), ("payload", pa.binary())]
            ),
        )


class SparkEngine:
    def __init__(self, session: Any, owned: bool) -> None:
        self.session = session
        self.owned = owned

    def __call__(self, plan: SummaryPlan, fragments: Sequence[LogFragment]) -> Iterator[Part]:
        from pyspark.sql import functions as F  # noqa: N812, PLC0415

        if not fragments:
            return
        root = str(Path(fragments[0].path).parents[3])
        paths = [f.path for f in fragments]
        frame = self.session.read.option("basePath", root).parquet(*paths)
        wanted = ["ts", "version", *(c for c in plan.columns if c in frame.columns)]
        frame = frame.select(*wanted).where(
            (F.col("ts") >= F.timestamp_micros(F.lit(round(plan.start * 1_000_000))))
            & (F.col("ts") < F.timestamp_micros(F.lit(round(plan.end * 1_000_000))))
        )
        summarise = _summarise_batches
        with warnings.catch_warnings():
            # PySpark 4 warns on pandas 3 for its pandas APIs; mapInArrow does not use pandas.
            warnings.filterwarnings(
                "ignore", "PySpark does not yet fully support pandas", FutureWarning
            )
            rows = frame.mapInArrow(lambda batches: summarise(plan, batches), _PARTS).collect()
        yield from ((str(r["version"]), float(r["lower"]), bytes(r["payload"])) for r in rows)

    def close(self) -> None:
        if self.owned:
            self.session.stop()


def open_engine(*, workers: int = 2, master: str | None = None) -> SparkEngine:
    from pyspark.sql import SparkSession  # noqa: PLC0415

    # Local workers run this interpreter (the one with MonitML), unless told otherwise.
    os.environ.setdefault("PYSPARK_PYTHON", sys.executable)
    builder = (
        SparkSession.builder.appName("monitml-check")
        .master(master or f"local[{workers}]")
        .config("spark.sql.session.timeZone", "UTC")
        .config("spark.sql.sources.partitionColumnTypeInference.enabled", "false")
        .config("spark.sql.execution.arrow.maxRecordsPerBatch", str(_BATCH_ROWS))
        .config("spark.ui.enabled", "false")
    )
    session = builder.getOrCreate()
    session.sparkContext.setLogLevel("ERROR")
    return SparkEngine(session, owned=master is None)
