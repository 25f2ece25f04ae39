"""The Spark engine: the list of files is distributed, one Spark task per file, and each task
reads its file with pyarrow in its Python worker and summarises it (``mapInArrow`` over a
DataFrame of paths); only the summaries travel back.

The JVM decodes no Parquet and ships no rows to Python: a task's input is one path, its
output the file's parts. Files go in windows of a few per core, each window one Spark job,
two windows in flight (so the cores stay busy while the driver scores the previous one);
the driver holds the summaries of at most those windows, not the range's.

Without ``master`` it starts ``local[workers]`` (a JVM: Java 17 or later) and stops it on
``close``; with ``master`` it runs on that cluster, whose executors must have MonitML
installed. Python workers are reused across tasks, and each imports the summarising code
once, when the engine opens (a barrier stage of one task per core), not on its first file.
"""

from __future__ import annotations

import importlib
import os
import sys
import warnings
from collections import deque
from collections.abc import Iterable, Iterator, Sequence
from concurrent.futures import Future, ThreadPoolExecutor
from typing import Any

import pyarrow as pa

from monitml.monitor.chunk_summary import Part, SummaryPlan, summarise_fragment
from monitml.store.partitions import LogFragment

__all__ = ["SparkEngine", "open_engine"]

_FILES = "index int, path string, model string, version string, date string"
_PARTS_DDL = "index int, version string, lower double, payload binary"
_PARTS = pa.schema(
    [
        ("index", pa.int32()),
        ("version", pa.string()),
        ("lower", pa.float64()),
        ("payload", pa.binary()),
    ]
)
# Files a job summarises, per core: enough that a job's start-up is small against it.
_FILES_PER_CORE = 4
_JOBS_IN_FLIGHT = 2


def _summarise_files(
    plan: SummaryPlan, batches: Iterator[pa.RecordBatch]
) -> Iterator[pa.RecordBatch]:
    """A task: each file named in ``batches`` read and summarised here, its parts yielded."""
    for batch in batches:
        for row in batch.to_pylist():
            fragment = LogFragment(row["path"], row["model"], row["version"], row["date"])
            parts = summarise_fragment(plan, fragment)
            yield pa.RecordBatch.from_pydict(
                {
                    "index": [row["index"]] * len(parts),
                    "version": [p[0] for p in parts],
                    "lower": [p[1] for p in parts],
                    "payload": [p[2] for p in parts],
                },
                schema=_PARTS,
            )


def _warm_up(_: Iterable[int]) -> Iterator[int]:
    """Import what a task runs in this Python worker, with every other core's task alive at
    once (a barrier), so each core's worker is the one warmed."""
    from pyspark import BarrierTaskContext  # noqa: PLC0415

    importlib.import_module("monitml.monitor.chunk_summary")
    importlib.import_module("datasketches")
    BarrierTaskContext.get().barrier()
    yield os.getpid()


class SparkEngine:
    def __init__(self, session: Any, owned: bool) -> None:
        self.session = session
        self.owned = owned
        self.cores = max(int(session.sparkContext.defaultParallelism), 1)

    def _job(self, plan: SummaryPlan, first: int, files: Sequence[LogFragment]) -> list[list[Part]]:
        rows = [(first + i, f.path, f.model, f.version, f.date) for i, f in enumerate(files)]
        # One partition a file: one task each, balanced over the cores.
        paths = self.session.sparkContext.parallelize(rows, len(rows))
        frame = self.session.createDataFrame(paths, _FILES)
        with warnings.catch_warnings():
            # PySpark 4 warns on pandas 3 for its pandas APIs; mapInArrow does not use pandas.
            warnings.filterwarnings(
                "ignore", "PySpark does not yet fully support pandas", FutureWarning
            )
            found = frame.mapInArrow(lambda b: _summarise_files(plan, b), _PARTS_DDL).collect()
        per_file: list[list[Part]] = [[] for _ in files]
        for row in found:
            per_file[int(row["index"]) - first].append(
                (str(row["version"]), float(row["lower"]), bytes(row["payload"]))
            )
        return per_file

    def __call__(self, plan: SummaryPlan, fragments: Sequence[LogFragment]) -> Iterator[list[Part]]:
        size = self.cores * _FILES_PER_CORE
        windows = [(i, fragments[i : i + size]) for i in range(0, len(fragments), size)]
        pending: deque[Future[list[list[Part]]]] = deque()
        with ThreadPoolExecutor(max_workers=_JOBS_IN_FLIGHT) as pool:
            try:
                for first, files in windows[:_JOBS_IN_FLIGHT]:
                    pending.append(pool.submit(self._job, plan, first, files))
                upcoming = iter(windows[_JOBS_IN_FLIGHT:])
                while pending:
                    done = pending.popleft().result()
                    following = next(upcoming, None)
                    if following is not None:
                        pending.append(pool.submit(self._job, plan, *following))
                    yield from done
            finally:
                for job in pending:
                    job.cancel()

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
        .config("spark.python.worker.reuse", "true")
        .config("spark.ui.enabled", "false")
    )
    session = builder.getOrCreate()
    session.sparkContext.setLogLevel("ERROR")
    engine = SparkEngine(session, owned=master is None)
    context = session.sparkContext
    context.parallelize(range(engine.cores), engine.cores).barrier().mapPartitions(
        _warm_up
    ).collect()
    return engine
