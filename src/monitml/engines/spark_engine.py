"""The Spark engine: the files are distributed over Spark tasks, each reading its files with
pyarrow in its Python worker and summarising them (``mapInArrow`` over a range of file
numbers); only the summaries travel back.

The JVM decodes no Parquet and ships no rows to Python: a task's input is file numbers (the
window's files travel with the function), its output the files' parts. Files go in windows
of a few per core, each window one Spark job of one task per core, two windows in flight (so
the cores stay busy while a job starts and while the driver scores the window before); the
driver holds the summaries of at most those windows, not the range's. A task costs about
0.2 s and a job about 0.6 s in Spark itself on this machine's cores, hence several files a
task rather than one.

Without ``master`` it starts ``local[workers]`` (a JVM: Java 17 or later) and stops it on
``close``; with ``master`` it runs on that cluster, whose executors must have MonitML
installed. Python workers are reused across tasks, and each imports the summarising code
once, when the engine opens (a barrier stage of one ``mapInArrow`` task per core: the
workers that run ``mapInArrow`` are not those of plain RDD tasks), not on its first file.
"""

from __future__ import annotations

import contextlib
import functools
import importlib
import os
import sys
import warnings
from collections import deque
from collections.abc import Iterator, Sequence
from concurrent.futures import Future, ThreadPoolExecutor
from typing import Any

import pyarrow as pa

from monitml import numpy_dispatch
from monitml.monitor.chunk_summary import Part, SummaryPlan, summarise_fragment
from monitml.store.partitions import LogFragment

__all__ = ["SparkEngine", "open_engine"]

_PARTS_DDL = "index int, version string, lower double, payload binary"
_PARTS = pa.schema(
    [
        ("index", pa.int32()),
        ("version", pa.string()),
        ("lower", pa.float64()),
        ("payload", pa.binary()),
    ]
)
# Files a job summarises, per core: its start-up and its tasks' are small against them.
_FILES_PER_CORE = 8
_JOBS_IN_FLIGHT = 2


def _summarise_files(
    plan: SummaryPlan,
    files: Sequence[LogFragment],
    first: int,
    batches: Iterator[pa.RecordBatch],
) -> Iterator[pa.RecordBatch]:
    """A task: each file whose number is in ``batches`` (``first`` for ``files[0]``) read and
    summarised here, its parts yielded."""
    for batch in batches:
        for number in batch.column(0).to_pylist():
            parts = summarise_fragment(plan, files[number - first])
            yield pa.RecordBatch.from_pydict(
                {
                    "index": [number] * len(parts),
                    "version": [p[0] for p in parts],
                    "lower": [p[1] for p in parts],
                    "payload": [p[2] for p in parts],
                },
                schema=_PARTS,
            )


def _warm_up(batches: Iterator[pa.RecordBatch]) -> Iterator[pa.RecordBatch]:
    """Import what a task runs in this Python worker (with every core's task alive at once:
    the stage is a barrier, so each core's worker is the one warmed)."""
    importlib.import_module("monitml.monitor.chunk_summary")
    importlib.import_module("datasketches")
    for batch in batches:
        yield pa.RecordBatch.from_pydict({"pid": [os.getpid()] * batch.num_rows})


@contextlib.contextmanager
def _without_pandas_warning() -> Iterator[None]:
    # PySpark 4 warns on pandas 3 for its pandas APIs; mapInArrow does not use pandas.
    with warnings.catch_warnings():
        warnings.filterwarnings(
            "ignore", "PySpark does not yet fully support pandas", FutureWarning
        )
        yield


class SparkEngine:
    def __init__(self, session: Any, owned: bool) -> None:
        self.session = session
        self.owned = owned
        self.cores = max(int(session.sparkContext.defaultParallelism), 1)

    def _job(self, plan: SummaryPlan, first: int, files: Sequence[LogFragment]) -> list[list[Part]]:
        numbers = self.session.range(first, first + len(files), numPartitions=self.cores)
        summarise = functools.partial(_summarise_files, plan, tuple(files), first)
        with _without_pandas_warning():
            found = numbers.mapInArrow(summarise, _PARTS_DDL).collect()
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
    for name, value in numpy_dispatch.sort_environment().items():  # fast sorts on Zen 4
        builder = builder.config(f"spark.executorEnv.{name}", value)
    session = builder.getOrCreate()
    session.sparkContext.setLogLevel("ERROR")
    engine = SparkEngine(session, owned=master is None)
    with _without_pandas_warning():
        warm = session.range(0, engine.cores, numPartitions=engine.cores)
        warm.mapInArrow(_warm_up, "pid long", barrier=True).collect()
    return engine
