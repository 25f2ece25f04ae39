"""The Dask engine: one ``dask.dataframe`` partition per file, each read with pyarrow and
summarised on a worker of a ``distributed`` cluster; only the summaries come back.

The driver decodes no Parquet: a task reads its file where it runs. The partitions are
computed as futures a few per worker ahead, earlier files first, and fetched in file order,
each released once fetched, so the driver holds one file's summaries at a time while the
workers keep busy.

Without ``master`` it starts a ``LocalCluster`` of ``workers`` processes (one thread each: the
summaries are numpy work that holds the GIL in parts) and stops it on ``close``; with
``master`` it connects to that scheduler, whose workers must have MonitML installed. Either
way each worker imports the summarising code once when the engine opens, not on its first
file.
"""

from __future__ import annotations

import importlib
from collections import deque
from collections.abc import Iterator, Sequence
from typing import Any

import dask
import dask.dataframe as dd
import pandas as pd
from distributed import Client, LocalCluster

from monitml.monitor.chunk_summary import Part, SummaryPlan, summarise_fragment
from monitml.store.partitions import LogFragment

__all__ = ["DaskEngine", "open_engine"]

_META = pd.DataFrame(
    {
        "version": pd.Series([], dtype=object),
        "lower": pd.Series([], dtype="float64"),
        "payload": pd.Series([], dtype=object),
    }
)


def _summarise(fragment: LogFragment, plan: SummaryPlan) -> pd.DataFrame:
    parts = summarise_fragment(plan, fragment)
    return pd.DataFrame(
        {
            "version": pd.Series([p[0] for p in parts], dtype=object),
            "lower": pd.Series([p[1] for p in parts], dtype="float64"),
            "payload": pd.Series([p[2] for p in parts], dtype=object),
        }
    )


def _parts(future: Any) -> list[Part]:
    """A partition's parts, its future released (the driver keeps no file's summaries)."""
    parts = future.result()
    future.release()
    return [
        (str(version), float(lower), bytes(payload))
        for version, lower, payload in parts.itertuples(index=False)
    ]


def _warm_up() -> None:
    """Import what a task runs (MonitML's summaries, the sketch library) in this worker."""
    importlib.import_module("monitml.monitor.chunk_summary")
    importlib.import_module("datasketches")


class DaskEngine:
    def __init__(self, client: Any, cluster: Any | None) -> None:
        self.client = client
        self.cluster = cluster

    def __call__(self, plan: SummaryPlan, fragments: Sequence[LogFragment]) -> Iterator[list[Part]]:
        if not fragments:
            return
        # Bytes must stay bytes: no conversion of object columns to Arrow strings.
        with dask.config.set({"dataframe.convert-string": False}):
            frame = dd.from_map(_summarise, list(fragments), plan=plan, meta=_META)  # type: ignore[no-untyped-call]
            partitions = frame.to_delayed()
        # A few files per worker in flight, the earlier first (the scheduler would otherwise
        # run the last partitions first): results come back in file order as they are done.
        in_flight = 2 * max(sum(self.client.nthreads().values()), 1) + 2
        pending: deque[Any] = deque()
        try:
            for index, partition in enumerate(partitions):
                pending.append(self.client.compute(partition, priority=-index))
                if len(pending) >= in_flight:
                    yield _parts(pending.popleft())
            while pending:
                yield _parts(pending.popleft())
        finally:
            for future in pending:
                future.cancel()

    def close(self) -> None:
        self.client.close()
        if self.cluster is not None:
            self.cluster.close()


def open_engine(*, workers: int = 2, master: str | None = None) -> DaskEngine:
    if master is not None:
        client = Client(master)  # type: ignore[no-untyped-call]
        client.run(_warm_up)
        return DaskEngine(client, None)
    cluster = LocalCluster(  # type: ignore[no-untyped-call]
        n_workers=workers,
        threads_per_worker=1,
        processes=True,
        dashboard_address=":0",  # a free port: never 8787 of another cluster
        silence_logs=40,  # logging.ERROR: a check prints its chunks, not the cluster's chatter
    )
    client = Client(cluster)  # type: ignore[no-untyped-call]
    client.wait_for_workers(workers)
    client.run(_warm_up)
    return DaskEngine(client, cluster)
